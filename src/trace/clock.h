// Wall-clock time for span timestamps, cheaply.
//
// std::chrono::system_clock::now() costs about 24 ns on the machines this library is measured on
// (a vDSO call), and a span needs two. Where the kernel itself trusts the CPU's time-stamp
// counter (an invariant TSC, the current clocksource "tsc"), this clock reads the counter (one
// instruction) and scales it: unix_nanos = anchor_nanos + (tsc - anchor_tsc) * nanos_per_tick.
// The scale is measured against system_clock over the first 10 ms and then re-measured, and the
// anchor moved, every second, so the clock follows NTP adjustments within microseconds. Until
// the first measurement, and on machines without a usable TSC, it is system_clock.
//
// Thread-safety: now_unix_nanos() may be called from any thread; the calibration data is read
// under a sequence lock that writers hold for a few stores.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mmf::detail {

std::int64_t now_unix_nanos() noexcept;

// A time as a span records it: Unix nanoseconds, or a raw TSC reading that unix_nanos_of()
// converts later. A span's start and end are needed as Unix time only when it is exported, so
// they are recorded raw where the TSC is in use and converted on the export thread. Converted
// at once, as now_unix_nanos() does, the arithmetic (a sequence-locked read of the calibration,
// a multiplication, two conversions) waits for the counter on the request thread, which takes
// some 40 cycles to read on AMD EPYC; recorded raw, nothing waits for it (see
// docs/performance.md).
struct ClockReading {
  std::int64_t value = 0;
  bool ticks = false;  // a TSC reading; otherwise Unix nanoseconds
};

// True once the TSC is in use and calibrated; it stays true (the scale is only ever replaced by
// a newer measurement), so any reading taken as ticks can be converted.
extern std::atomic<bool> g_ticks_convertible;

inline ClockReading read_clock() noexcept {
#if defined(__x86_64__)
  if (g_ticks_convertible.load(std::memory_order_relaxed)) [[likely]] {
    return {static_cast<std::int64_t>(__builtin_ia32_rdtsc()), true};
  }
#endif
  return {now_unix_nanos(), false};
}

// The Unix time of a reading (a tick reading with the calibration of the moment: the scale
// changes by parts per million between calibrations, so a reading milliseconds old is placed
// within nanoseconds of where now_unix_nanos() would have put it).
std::int64_t unix_nanos_of(ClockReading reading) noexcept;

// A time given by the caller (a span's explicit start or end), in the same unit.
inline std::int64_t to_unix_nanos(std::chrono::system_clock::time_point time) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

// The wall-clock time of a steady_clock reading, in the unit above: one steady_clock::now() then
// serves both a duration (monotonic) and a span's timestamp, where reading each clock would cost
// two calls. The kernel slews CLOCK_MONOTONIC and CLOCK_REALTIME alike (NTP, adjtime), so their
// difference changes only when the wall clock is stepped; it is re-read once a second, and the
// result is never earlier than the wall clock was at that reading.
std::int64_t unix_nanos_at(std::chrono::steady_clock::time_point time) noexcept;

// Unix nanoseconds as a system_clock time point, for SpanOptions::start_time and Span::end().
inline std::chrono::system_clock::time_point from_unix_nanos(std::int64_t nanos) noexcept {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(nanos)));
}

inline std::chrono::system_clock::time_point wall_time_at(
    std::chrono::steady_clock::time_point time) noexcept {
  return from_unix_nanos(unix_nanos_at(time));
}

// Whether the TSC is in use (for tests and the self-description).
bool fast_clock_active() noexcept;

}  // namespace mmf::detail
