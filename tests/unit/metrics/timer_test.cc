#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "mmf/metrics.h"
#include "mmf/testing.h"

namespace mmf {
namespace {

using test::MetricSnapshot;

TEST(Timer, RecordsTheScopesDurationInSecondsOnce) {
  MetricRegistry registry;
  Histogram duration = registry.create_histogram("work_seconds", "Work.", {"route"});
  const LabelValues route = {{"route", "/users/{id}"}};
  const MetricSnapshot before = MetricSnapshot::of(registry);
  {
    Timer timer(duration, route);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const MetricSnapshot after_scope = MetricSnapshot::of(registry);
  EXPECT_EQ(MetricSnapshot::count_delta(before, after_scope, "work_seconds", route), 1U);
  const double scope_seconds =
      MetricSnapshot::sum_delta(before, after_scope, "work_seconds", route);
  EXPECT_GE(scope_seconds, 0.019);
  EXPECT_LT(scope_seconds, 10.0);

  Timer explicit_stop(duration, route);
  const double seconds = explicit_stop.stop();
  EXPECT_GE(seconds, 0.0);
  explicit_stop.stop();  // once only
  const MetricSnapshot after_stop = MetricSnapshot::of(registry);
  EXPECT_EQ(MetricSnapshot::count_delta(after_scope, after_stop, "work_seconds", route), 1U);
  // What stop() returns is what it recorded (up to the rounding of the histogram's running sum).
  EXPECT_NEAR(MetricSnapshot::sum_delta(after_scope, after_stop, "work_seconds", route), seconds,
              1e-9);
}

TEST(Timer, CancelAndMoveRecordNothingTwice) {
  MetricRegistry registry;
  Histogram duration = registry.create_histogram("work_seconds", "Work.");
  const MetricSnapshot before = MetricSnapshot::of(registry);
  { Timer(duration).cancel(); }
  {
    Timer first(duration);
    Timer moved(std::move(first));  // only the new owner records
  }
  EXPECT_EQ(MetricSnapshot::count_delta(before, MetricSnapshot::of(registry), "work_seconds"), 1U);
}

TEST(Timer, WrongLabelsRecordNothingAndNeverThrow) {
  MetricRegistry registry;
  Histogram duration = registry.create_histogram("work_seconds", "Work.", {"route"});
  { Timer timer(duration, {{"path", "/x"}}); }
  { Timer timer(Histogram{}); }  // an empty handle
  // No series under any labels: not route="/x", not route="", not the overflow series.
  EXPECT_THAT(MetricSnapshot::of(registry).to_string(),
              ::testing::HasSubstr("work_seconds (no series yet)"));
  EXPECT_EQ(registry.stats().label_errors, 1U);
}

}  // namespace
}  // namespace mmf
