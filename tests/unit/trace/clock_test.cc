#include "trace/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace mmf::detail {
namespace {

TEST(UnixNanosAt, IsTheWallClockAtTheSteadyReading) {
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t before = to_unix_nanos(std::chrono::system_clock::now());
    const auto steady = std::chrono::steady_clock::now();
    const std::int64_t after = to_unix_nanos(std::chrono::system_clock::now());
    const std::int64_t converted = unix_nanos_at(steady);
    // Never early (the offset is measured from the steady reading before the wall one); late by
    // at most the gap between the two reads of a refresh, which a descheduled thread can make
    // long: the upper bound is loose.
    ASSERT_GE(converted, before) << "iteration " << i;
    ASSERT_LE(converted, after + 50'000'000) << "iteration " << i;
  }
}

TEST(UnixNanosAt, KeepsTheSteadyClocksDifferences) {
  // A duration measured on the steady clock is the difference of the two wall times: a span's
  // start and end agree with the duration histogram of the same request.
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t first = unix_nanos_at(start);
  const std::int64_t later = unix_nanos_at(start + std::chrono::milliseconds(250));
  EXPECT_EQ(later - first, 250'000'000);
  EXPECT_EQ(unix_nanos_at(start), first);
}

TEST(UnixNanosAt, ConvertsOldReadingsWithTheCurrentOffset) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t at_start = unix_nanos_at(start);
  // A reading from long ago (a request that began an hour before it ended) is still placed an
  // hour before now, not refreshed from the old time.
  const std::int64_t hour_ago = unix_nanos_at(start - std::chrono::hours(1));
  EXPECT_EQ(at_start - hour_ago, std::int64_t{3600} * 1'000'000'000);
}

std::int64_t wall_now() { return to_unix_nanos(std::chrono::system_clock::now()); }

// The fast clock calibrates itself over its first 10 ms of use; until then, and on machines
// where the kernel does not use the TSC, a reading is already in Unix nanoseconds.
void let_the_clock_calibrate() {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (!fast_clock_active() && std::chrono::steady_clock::now() < give_up) {
    now_unix_nanos();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// How far a converted reading may stray from the wall clock: the calibration's scale is
// measured over at least 10 ms, so the error it adds over a second is microseconds; the rest is
// a thread descheduled between its reads.
constexpr std::int64_t kSlackNanos = 5'000'000;

TEST(ReadClock, ConvertsToTheWallClockAtTheReading) {
  let_the_clock_calibrate();
  EXPECT_EQ(read_clock().ticks, fast_clock_active());
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t before = wall_now();
    const ClockReading reading = read_clock();
    const std::int64_t after = wall_now();
    const std::int64_t converted = unix_nanos_of(reading);
    ASSERT_GE(converted, before - kSlackNanos) << "iteration " << i;
    ASSERT_LE(converted, after + kSlackNanos) << "iteration " << i;
    // Converted again later, with the same calibration or a newer one: the same place in time.
    ASSERT_NEAR(static_cast<double>(unix_nanos_of(reading)), static_cast<double>(converted), 1e4);
  }
}

TEST(ReadClock, AReadingKeepsItsTimeAcrossARecalibration) {
  let_the_clock_calibrate();
  const std::int64_t before = wall_now();
  const ClockReading old = read_clock();
  const std::int64_t old_at = unix_nanos_of(old);
  // Past the calibration's second, with no other clock reading in this process: converting
  // the new reading measures the scale again and moves the anchor; the old one stays put.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const ClockReading fresh = read_clock();
  const std::int64_t after = wall_now();
  const std::int64_t fresh_at = unix_nanos_of(fresh);
  EXPECT_NEAR(static_cast<double>(fresh_at), static_cast<double>(after), kSlackNanos);
  EXPECT_NEAR(static_cast<double>(unix_nanos_of(old)), static_cast<double>(old_at), 1e5);
  EXPECT_GE(unix_nanos_of(old), before - kSlackNanos);
  EXPECT_GE(fresh_at - old_at, 1'100'000'000 - kSlackNanos);
}

TEST(UnixNanosOf, PassesUnixNanosecondsThrough) {
  EXPECT_EQ(unix_nanos_of({1'700'000'000'123'456'789, false}), 1'700'000'000'123'456'789);
  EXPECT_EQ(unix_nanos_of({}), 0);
}

TEST(FromUnixNanos, RoundTripsThroughTheSystemClock) {
  const std::int64_t nanos = 1'700'000'000'123'456'789;
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::nanoseconds>(
                from_unix_nanos(nanos).time_since_epoch())
                .count(),
            nanos);
  EXPECT_EQ(wall_time_at(std::chrono::steady_clock::time_point()),
            from_unix_nanos(unix_nanos_at(std::chrono::steady_clock::time_point())));
}

}  // namespace
}  // namespace mmf::detail
