#include "trace/clock.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace mmf::detail {

std::atomic<bool> g_ticks_convertible{false};

namespace {

std::int64_t system_nanos() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

#if defined(__x86_64__)

// The kernel's judgement: it uses the TSC as its clocksource only when the TSC is invariant and
// synchronised across CPUs (which it checks at boot, and in VMs only when the hypervisor says so).
bool kernel_trusts_tsc() {
  std::ifstream file("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  return file && (file >> source) && source == "tsc";
}

constexpr std::int64_t kFirstCalibrationNanos = 10'000'000;  // 10 ms
constexpr std::int64_t kRecalibrationNanos = 1'000'000'000;  // 1 s

struct Calibration {
  std::atomic<std::uint64_t> sequence{0};  // odd while a writer updates
  std::atomic<std::int64_t> anchor_tsc{0};
  std::atomic<std::int64_t> anchor_nanos{0};
  std::atomic<double> nanos_per_tick{0.0};  // 0: not calibrated yet
  std::atomic<std::int64_t> recalibrate_at_tsc{0};
  std::atomic<bool> updating{false};
  bool usable = kernel_trusts_tsc();
};

Calibration& calibration() {
  static Calibration instance;
  return instance;
}

std::int64_t read_tsc() noexcept { return static_cast<std::int64_t>(__rdtsc()); }

// Moves the anchor to now and measures the scale over the time since the previous anchor.
void recalibrate(Calibration& c, std::int64_t tsc) noexcept {
  if (c.updating.exchange(true, std::memory_order_acquire)) return;  // another thread does it
  const std::int64_t nanos = system_nanos();
  const std::int64_t previous_tsc = c.anchor_tsc.load(std::memory_order_relaxed);
  const std::int64_t previous_nanos = c.anchor_nanos.load(std::memory_order_relaxed);
  if (previous_tsc == 0) {  // the very first call: set the anchor, measure later
    c.sequence.fetch_add(1, std::memory_order_acq_rel);
    c.anchor_tsc.store(tsc, std::memory_order_relaxed);
    c.anchor_nanos.store(nanos, std::memory_order_relaxed);
    c.sequence.fetch_add(1, std::memory_order_release);
    c.updating.store(false, std::memory_order_release);
    return;
  }
  const std::int64_t elapsed_nanos = nanos - previous_nanos;
  const std::int64_t elapsed_ticks = tsc - previous_tsc;
  if (elapsed_nanos < kFirstCalibrationNanos || elapsed_ticks <= 0) {
    c.updating.store(false, std::memory_order_release);
    return;  // too soon to measure (or the wall clock stepped back): keep the old values
  }
  const double scale = static_cast<double>(elapsed_nanos) / static_cast<double>(elapsed_ticks);
  c.sequence.fetch_add(1, std::memory_order_acq_rel);
  c.anchor_tsc.store(tsc, std::memory_order_relaxed);
  c.anchor_nanos.store(nanos, std::memory_order_relaxed);
  c.nanos_per_tick.store(scale, std::memory_order_relaxed);
  c.recalibrate_at_tsc.store(tsc + static_cast<std::int64_t>(kRecalibrationNanos / scale),
                             std::memory_order_relaxed);
  c.sequence.fetch_add(1, std::memory_order_release);
  c.updating.store(false, std::memory_order_release);
  if (c.usable) g_ticks_convertible.store(true, std::memory_order_relaxed);
}

#endif

std::int64_t steady_nanos(std::chrono::steady_clock::time_point time) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

constexpr std::int64_t kOffsetRefreshNanos = 1'000'000'000;  // 1 s

// The wall clock minus the steady clock, and when to read it again (a steady time). Two
// threads may refresh it at once: each stores a value as good as the other's.
std::atomic<std::int64_t> wall_minus_steady{0};
std::atomic<std::int64_t> refresh_offset_at{std::numeric_limits<std::int64_t>::min()};

std::int64_t refresh_offset() noexcept {
  const std::int64_t before = steady_nanos(std::chrono::steady_clock::now());
  const std::int64_t wall = system_nanos();
  // Measured from the steady reading before the wall one: the wall clock was read at or after
  // it, so a time converted with this offset is never early (at most the two reads' gap late).
  const std::int64_t offset = wall - before;
  wall_minus_steady.store(offset, std::memory_order_relaxed);
  // Release: a thread that sees the new deadline sees this offset (or a later one).
  refresh_offset_at.store(before + kOffsetRefreshNanos, std::memory_order_release);
  return offset;
}

}  // namespace

std::int64_t unix_nanos_at(std::chrono::steady_clock::time_point time) noexcept {
  const std::int64_t steady = steady_nanos(time);
  const std::int64_t offset = steady >= refresh_offset_at.load(std::memory_order_acquire)
                                  ? refresh_offset()
                                  : wall_minus_steady.load(std::memory_order_relaxed);
  return steady + offset;
}

#if defined(__x86_64__)
namespace {

// The calibration as one consistent read.
struct CalibrationSnapshot {
  double scale;  // 0: not calibrated yet
  std::int64_t anchor_tsc;
  std::int64_t anchor_nanos;
  std::int64_t recalibrate_at;

  std::int64_t unix_nanos(std::int64_t tsc) const noexcept {
    return anchor_nanos + static_cast<std::int64_t>(static_cast<double>(tsc - anchor_tsc) * scale);
  }
};

// Reads the calibration under its sequence lock; nullopt when a writer was between its stores.
inline std::optional<CalibrationSnapshot> read_calibration(const Calibration& c) noexcept {
  const std::uint64_t before = c.sequence.load(std::memory_order_acquire);
  if ((before & 1) != 0) return std::nullopt;
  const CalibrationSnapshot snapshot{c.nanos_per_tick.load(std::memory_order_relaxed),
                                     c.anchor_tsc.load(std::memory_order_relaxed),
                                     c.anchor_nanos.load(std::memory_order_relaxed),
                                     c.recalibrate_at_tsc.load(std::memory_order_relaxed)};
  std::atomic_thread_fence(std::memory_order_acquire);
  if (c.sequence.load(std::memory_order_relaxed) != before) return std::nullopt;
  return snapshot;
}

}  // namespace
#endif

std::int64_t now_unix_nanos() noexcept {
#if defined(__x86_64__)
  Calibration& c = calibration();
  if (!c.usable) return system_nanos();
  const std::int64_t tsc = read_tsc();
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::optional<CalibrationSnapshot> snapshot = read_calibration(c);
    if (!snapshot) continue;
    if (snapshot->scale == 0.0 || tsc >= snapshot->recalibrate_at) {
      recalibrate(c, tsc);
      if (snapshot->scale == 0.0) return system_nanos();
    }
    return snapshot->unix_nanos(tsc);
  }
#endif
  return system_nanos();
}

std::int64_t unix_nanos_of(ClockReading reading) noexcept {
  if (!reading.ticks) return reading.value;
#if defined(__x86_64__)
  Calibration& c = calibration();
  bool measured = false;
  while (true) {
    const std::optional<CalibrationSnapshot> snapshot = read_calibration(c);
    if (!snapshot) {  // a writer is between its few stores (it may have been preempted)
      std::this_thread::yield();
      continue;
    }
    // A reading past the calibration's second: measure again first (with the counter as it is
    // now, the anchor must be a reading taken beside the wall clock's), then convert.
    if (reading.value >= snapshot->recalibrate_at && !measured) {
      measured = true;
      recalibrate(c, read_tsc());
      continue;
    }
    return snapshot->unix_nanos(reading.value);
  }
#else
  return reading.value;
#endif
}

bool fast_clock_active() noexcept {
#if defined(__x86_64__)
  return calibration().usable && calibration().nanos_per_tick.load() != 0.0;
#else
  return false;
#endif
}

}  // namespace mmf::detail
