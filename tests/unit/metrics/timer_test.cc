#include <gtest/gtest.h>

#include <thread>

#include "metrics/registry.h"
#include "mmf/metrics.h"

namespace mmf {
namespace {

const detail::PointData* only_point(const MetricRegistry& registry) {
  static std::vector<detail::MetricFamilyData> families;
  families = registry.state().collect();
  if (families.empty() || families[0].points.empty()) return nullptr;
  return &families[0].points[0];
}

TEST(Timer, RecordsTheScopesDurationInSecondsOnce) {
  MetricRegistry registry;
  Histogram duration = registry.create_histogram("work_seconds", "Work.", {"route"});
  {
    Timer timer(duration, {{"route", "/users/{id}"}});
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const detail::PointData* point = only_point(registry);
  ASSERT_NE(point, nullptr);
  EXPECT_EQ(point->count, 1U);
  EXPECT_GE(point->sum, 0.019);
  EXPECT_LT(point->sum, 10.0);

  Timer explicit_stop(duration, {{"route", "/users/{id}"}});
  const double seconds = explicit_stop.stop();
  EXPECT_GE(seconds, 0.0);
  explicit_stop.stop();  // once only
  EXPECT_EQ(only_point(registry)->count, 2U);
}

TEST(Timer, CancelAndMoveRecordNothingTwice) {
  MetricRegistry registry;
  Histogram duration = registry.create_histogram("work_seconds", "Work.");
  { Timer(duration).cancel(); }
  {
    Timer first(duration);
    Timer moved(std::move(first));  // only the new owner records
  }
  EXPECT_EQ(only_point(registry)->count, 1U);
}

TEST(Timer, WrongLabelsRecordNothingAndNeverThrow) {
  MetricRegistry registry;
  Histogram duration = registry.create_histogram("work_seconds", "Work.", {"route"});
  { Timer timer(duration, {{"path", "/x"}}); }
  { Timer timer(Histogram{}); }  // an empty handle
  EXPECT_EQ(only_point(registry), nullptr);
  EXPECT_EQ(registry.stats().label_errors, 1U);
}

}  // namespace
}  // namespace mmf
