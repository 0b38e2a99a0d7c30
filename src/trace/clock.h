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

#include <chrono>
#include <cstdint>

namespace mmf::detail {

std::int64_t now_unix_nanos() noexcept;

// A time given by the caller (a span's explicit start or end), in the same unit.
inline std::int64_t to_unix_nanos(std::chrono::system_clock::time_point time) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

// Whether the TSC is in use (for tests and the self-description).
bool fast_clock_active() noexcept;

}  // namespace mmf::detail
