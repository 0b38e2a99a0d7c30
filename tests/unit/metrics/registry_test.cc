// MetricRegistry and its instruments: values, validation, cardinality, exemplars, and exact
// totals under concurrent recording.
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "mmf/context.h"
#include "mmf/ids.h"

namespace mmf {
namespace {

using detail::MetricFamilyData;
using detail::PointData;

const MetricFamilyData& family(const std::vector<MetricFamilyData>& families,
                               std::string_view name) {
  for (const auto& f : families) {
    if (f.name == name) return f;
  }
  static const MetricFamilyData none;
  ADD_FAILURE() << "no family " << name;
  return none;
}

const PointData* point(const MetricFamilyData& f, std::vector<std::string> values) {
  for (const auto& p : f.points) {
    if (p.label_values == values) return &p;
  }
  return nullptr;
}

TEST(Metrics, CounterAddsPerSeriesInAnyLabelOrder) {
  MetricRegistry registry;
  Counter payments =
      registry.create_counter("payments_processed_total", "Payments", {"status", "method"});
  payments.inc({{"status", "success"}, {"method", "card"}});
  payments.inc({{"method", "card"}, {"status", "success"}}, 2);
  payments.inc({{"status", "failed"}, {"method", "card"}});
  BoundCounter ok = payments.bind({{"status", "success"}, {"method", "card"}});
  ok.inc();
  ok.inc(0.5);
  ok.inc(-4);            // a counter only goes up
  ok.inc(std::nan(""));  // and NaN is not a value
  const auto families = registry.state().collect();
  const MetricFamilyData& f = family(families, "payments_processed");  // "_total" is the writer's
  EXPECT_EQ(f.kind, detail::MetricKind::kCounter);
  EXPECT_EQ(f.help, "Payments");
  ASSERT_EQ(f.points.size(), 2u);
  EXPECT_EQ(point(f, {"success", "card"})->value, 4.5);
  EXPECT_EQ(point(f, {"failed", "card"})->value, 1);
  EXPECT_GT(point(f, {"failed", "card"})->start_time_unix_nano, 0);
}

TEST(Metrics, UpDownCounterGaugeAndCallbackGauge) {
  MetricRegistry registry;
  UpDownCounter active = registry.create_up_down_counter("active_requests", "In flight");
  active.add(3);
  active.add(-1);
  active.bind().add(-1);
  Gauge temperature = registry.create_gauge("temperature_celsius", "Temp", {"room"});
  temperature.set(20, {{"room", "a"}});
  temperature.set(21.5, {{"room", "a"}});
  double queue = 7;
  registry.create_callback_gauge("queue_depth", "Depth", [&] { return queue; });
  queue = 9;
  const auto families = registry.state().collect();
  EXPECT_EQ(family(families, "active_requests").points.at(0).value, 1);
  EXPECT_EQ(point(family(families, "temperature_celsius"), {"a"})->value, 21.5);
  EXPECT_EQ(family(families, "queue_depth").points.at(0).value, 9);
}

TEST(Metrics, HistogramBucketsAreUpperInclusive) {
  MetricRegistry registry;
  Histogram latency =
      registry.create_histogram("latency_seconds", "Latency", {"route"}, {0.1, 0.5, 1});
  BoundHistogram users = latency.bind({{"route", "/users/{id}"}});
  for (double value : {0.05, 0.1, 0.2, 0.5, 0.7, 1.0, 3.0}) users.observe(value);
  users.observe(std::nan(""));
  latency.observe(0.3, {{"route", "/health"}});
  const auto families = registry.state().collect();
  const MetricFamilyData& f = family(families, "latency_seconds");
  EXPECT_EQ(f.bounds, (std::vector<double>{0.1, 0.5, 1}));
  const PointData* p = point(f, {"/users/{id}"});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->bucket_counts, (std::vector<std::uint64_t>{2, 2, 2, 1}));
  EXPECT_EQ(p->count, 7u);
  EXPECT_DOUBLE_EQ(p->sum, 5.55);
  EXPECT_EQ(point(f, {"/health"})->count, 1u);
  EXPECT_EQ(default_seconds_buckets().size(), 14u);
}

TEST(Metrics, BadDefinitionsAreClearErrors) {
  MetricRegistry registry;
  EXPECT_THROW(registry.create_counter("9lives", "x"), std::invalid_argument);
  EXPECT_THROW(registry.create_counter("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(registry.create_counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.create_counter("ok_total", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.create_counter("ok_total", "x", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.create_histogram("h", "x", {}, {1, 1}), std::invalid_argument);
  EXPECT_THROW(registry.create_histogram("h", "x", {}, {}), std::invalid_argument);
  EXPECT_THROW(registry.create_histogram("h", "x", {}, {1, INFINITY}), std::invalid_argument);
  try {
    registry.create_counter("logins_total", "Logins", {"user_id"});
    FAIL() << "an identity label was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("allow_identity_labels"), std::string::npos);
  }
  MetricRegistry permissive({.allow_identity_labels = true});
  EXPECT_NO_THROW(permissive.create_counter("logins_total", "Logins", {"user_id"}));
}

TEST(Metrics, SameDefinitionReturnsTheSameInstrumentAConflictingOneThrows) {
  MetricRegistry registry;
  Counter first = registry.create_counter("jobs_total", "Jobs", {"queue"});
  Counter again = registry.create_counter("jobs_total", "Jobs", {"queue"});
  first.inc({{"queue", "a"}});
  again.inc({{"queue", "a"}});
  const auto collected = registry.state().collect();
  EXPECT_EQ(point(family(collected, "jobs"), {"a"})->value, 2);
  EXPECT_THROW(registry.create_counter("jobs_total", "Jobs", {"other"}), std::invalid_argument);
  EXPECT_THROW(registry.create_counter("jobs_total", "Other help", {"queue"}),
               std::invalid_argument);
  EXPECT_THROW(registry.create_gauge("jobs", "Jobs", {"queue"}), std::invalid_argument);
}

TEST(Metrics, WrongLabelsAreDroppedAndCountedAtRecordingAndRefusedAtBind) {
  MetricRegistry registry;
  Counter c = registry.create_counter("c_total", "C", {"a", "b"});
  c.inc({{"a", "1"}});                          // missing b
  c.inc({{"a", "1"}, {"c", "2"}});              // unknown c
  c.inc({{"a", "1"}, {"a", "2"}});              // a twice
  c.inc({{"a", "1"}, {"b", "2"}, {"x", "3"}});  // one too many
  EXPECT_EQ(registry.stats().label_errors, 4u);
  EXPECT_TRUE(family(registry.state().collect(), "c").points.empty());
  EXPECT_THROW(c.bind({{"a", "1"}}), std::invalid_argument);
  Counter empty;
  empty.inc();  // an empty handle does nothing
  EXPECT_THROW(empty.bind(), std::invalid_argument);
}

TEST(Metrics, PastTheCardinalityLimitValuesGoToOneOverflowSeries) {
  MetricRegistry registry({.cardinality_limit = 3});
  Counter c = registry.create_counter("paths_total", "Paths", {"path"});
  for (int i = 0; i < 10; ++i) c.inc({{"path", "/p" + std::to_string(i)}});
  c.inc({{"path", "/p0"}});  // an existing series still records normally
  const auto collected = registry.state().collect();
  const MetricFamilyData& f = family(collected, "paths");
  ASSERT_EQ(f.points.size(), 4u);
  EXPECT_EQ(point(f, {"/p0"})->value, 2);
  const PointData& overflow = f.points.back();
  EXPECT_TRUE(overflow.overflow);
  EXPECT_TRUE(overflow.label_values.empty());
  EXPECT_EQ(overflow.value, 7);
  EXPECT_EQ(registry.stats().overflowed, 7u);
  EXPECT_EQ(registry.stats().series, 4u);
}

TEST(Metrics, ExemplarsLinkToTheSampledCurrentSpan) {
  MetricRegistry registry;
  Counter c = registry.create_counter("orders_total", "Orders");
  Histogram h = registry.create_histogram("order_seconds", "Order time", {}, {0.1, 1});
  c.inc();  // no span: no exemplar
  SpanContext span{.trace_id = new_trace_id(),
                   .span_id = new_span_id(),
                   .flags = TraceFlags(TraceFlags::kSampled)};
  {
    ContextScope scope(Context::current().with_span_context(span));
    c.inc(2);
    h.observe(0.5);
  }
  SpanContext unsampled = span;
  unsampled.flags = TraceFlags(0);
  {
    ContextScope scope(Context::current().with_span_context(unsampled));
    h.observe(5);  // not sampled: no exemplar
  }
  const auto families = registry.state().collect();
  const PointData& counter = family(families, "orders").points.at(0);
  ASSERT_EQ(counter.exemplars.size(), 1u);
  ASSERT_TRUE(counter.exemplars[0].has_value());
  EXPECT_EQ(counter.exemplars[0]->trace_id, span.trace_id);
  EXPECT_EQ(counter.exemplars[0]->span_id, span.span_id);
  EXPECT_EQ(counter.exemplars[0]->value, 2);
  EXPECT_GT(counter.exemplars[0]->time_unix_nano, 0);
  const PointData& histogram = family(families, "order_seconds").points.at(0);
  ASSERT_EQ(histogram.exemplars.size(), 3u);
  EXPECT_FALSE(histogram.exemplars[0].has_value());
  ASSERT_TRUE(histogram.exemplars[1].has_value());
  EXPECT_EQ(histogram.exemplars[1]->value, 0.5);
  EXPECT_FALSE(histogram.exemplars[2].has_value());
}

// Totals are exact with many threads, more than the per-thread cells (the rest share one).
TEST(Metrics, ConcurrentTotalsAreExact) {
  MetricRegistry registry;
  Counter lookups = registry.create_counter("lookups_total", "L", {"k"});
  BoundCounter bound = registry.create_counter("bound_total", "B").bind();
  BoundHistogram histogram = registry.create_histogram("h_seconds", "H").bind();
  constexpr int kThreads = 80;  // > kMaxRecordingThreads
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        bound.inc();
        histogram.observe(0.01 * (i % 50));
        lookups.inc({{"k", (t + i) % 2 == 0 ? "even" : "odd"}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto families = registry.state().collect();
  EXPECT_EQ(family(families, "bound").points.at(0).value, double{kThreads} * kEach);
  const PointData& h = family(families, "h_seconds").points.at(0);
  EXPECT_EQ(h.count, std::uint64_t{kThreads} * kEach);
  std::uint64_t buckets = 0;
  for (std::uint64_t n : h.bucket_counts) buckets += n;
  EXPECT_EQ(buckets, h.count);
  const MetricFamilyData& l = family(families, "lookups");
  EXPECT_EQ(point(l, {"even"})->value + point(l, {"odd"})->value, double{kThreads} * kEach);
}

TEST(Metrics, NewSeriesWhileOthersRecordAreAllKept) {
  MetricRegistry registry;
  Counter c = registry.create_counter("series_total", "S", {"id"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) c.inc({{"id", std::to_string(t * 1000 + i)}});
    });
  }
  for (auto& thread : threads) thread.join();
  const auto collected = registry.state().collect();
  const MetricFamilyData& f = family(collected, "series");
  EXPECT_EQ(f.points.size(), 2000u);
  for (const auto& p : f.points) EXPECT_EQ(p.value, 1);
}

}  // namespace
}  // namespace mmf
