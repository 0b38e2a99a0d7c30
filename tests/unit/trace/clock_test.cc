#include "trace/clock.h"

#include <gtest/gtest.h>

#include <chrono>

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
