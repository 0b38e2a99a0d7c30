#include "mmf/telemetry_metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "mmf/metrics_scrape.h"
#include "mmf/propagation.h"
#include "mmf/span_exporter.h"
#include "mmf/testing.h"
#include "unit/metrics/tool_support.h"

namespace mmf {
namespace {

using test::MetricSnapshot;
using testing_support::run_command;
using testing_support::temp_file;

std::string scrape(const MetricRegistry& registry, std::string_view accept = {}) {
  return scrape_metrics(registry, accept, {}, {.process_metrics = false}).body;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

class CountingExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanView> spans, const Resource&,
                            const InstrumentationScope&,
                            std::chrono::steady_clock::time_point) noexcept override {
    return spans.empty() || fail ? ExportResult::kFailure : ExportResult::kSuccess;
  }
  bool fail = false;
};

TEST(CallbackInstruments, CounterWithLabelsReportsWhatTheCallbackObserves) {
  MetricRegistry registry;
  double served = 5;
  registry.create_callback_counter("cache_lookups_total", "Cache lookups.", {"result"},
                                   [&](CallbackObserver& observer) {
                                     observer.observe(served, {"hit"});
                                     observer.observe(2, {"miss"});
                                   });
  std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text, "# TYPE cache_lookups_total counter")) << text;
  EXPECT_TRUE(has_line(text, "cache_lookups_total{result=\"hit\"} 5"));
  EXPECT_TRUE(has_line(text, "cache_lookups_total{result=\"miss\"} 2"));
  served = 9;  // read again at the next collection
  EXPECT_TRUE(has_line(scrape(registry), "cache_lookups_total{result=\"hit\"} 9"));
  // OpenMetrics gets _created from when the callback was registered.
  const std::string open = scrape(registry, "application/openmetrics-text; version=1.0.0");
  EXPECT_NE(open.find("cache_lookups_created{result=\"hit\"} "), std::string::npos) << open;
}

TEST(CallbackInstruments, WrongObservationsAreDroppedAndCounted) {
  MetricRegistry registry;
  registry.create_callback_gauge("pool_connections", "Connections.", {"state"},
                                 [](CallbackObserver& observer) {
                                   observer.observe(3, {"idle"});
                                   observer.observe(1, {});                // too few values
                                   observer.observe(1, {"busy", "x"});     // too many
                                   observer.observe(0.0 / 0.0, {"busy"});  // NaN
                                 });
  const std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text, "pool_connections{state=\"idle\"} 3")) << text;
  EXPECT_EQ(text.find("busy"), std::string::npos);
  EXPECT_EQ(registry.stats().label_errors, 3U);
}

TEST(CallbackInstruments, AThrowingCallbackLeavesNoPointsAndTheScrapeGoesOn) {
  MetricRegistry registry;
  registry.create_callback_counter("flaky_total", "Flaky.", {"k"}, [](CallbackObserver& observer) {
    observer.observe(1, {"a"});
    throw std::runtime_error("source gone");
  });
  registry.create_counter("steady_total", "Steady.").inc();
  const std::string text = scrape(registry);
  EXPECT_EQ(text.find("flaky_total{"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, "steady_total 1"));
}

TEST(CallbackInstruments, MissingCallbackOrBadNameIsAnError) {
  MetricRegistry registry;
  EXPECT_THROW(registry.create_callback_counter("a_total", "A.", {}, nullptr),
               std::invalid_argument);
  EXPECT_THROW(registry.create_callback_counter("bad name", "A.", {}, [](CallbackObserver&) {}),
               std::invalid_argument);
}

TEST(TelemetryMetrics, TracerPipelineIsPublished) {
  MetricRegistry registry;
  auto exporter = std::make_shared<CountingExporter>();
  Tracer tracer({.exporter = exporter});
  publish_tracer_metrics(registry, tracer);
  for (int i = 0; i < 3; ++i) tracer.start_span("work");
  ASSERT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
  const MetricSnapshot exported = MetricSnapshot::of(registry);
  const LabelValues export_failed = {{"reason", "export_failed"}};
  // value() finds only series that exist: a 0 here is a published 0, not a missing series.
  EXPECT_EQ(exported.value("mmf_telemetry_spans_started_total"), 3) << exported.to_string();
  EXPECT_EQ(exported.value("mmf_telemetry_spans_ended_total"), 3);
  EXPECT_EQ(exported.value("mmf_telemetry_spans_exported_total"), 3);
  EXPECT_EQ(exported.value("mmf_telemetry_spans_dropped_total", {{"reason", "queue_full"}}), 0);
  EXPECT_EQ(exported.value("mmf_telemetry_spans_dropped_total", export_failed), 0);
  EXPECT_EQ(exported.value("mmf_telemetry_span_export_failures_total"), 0);
  EXPECT_EQ(exported.value("mmf_telemetry_span_queue_depth"), 0);
  // An instrument's type shows only in the exposition.
  EXPECT_TRUE(has_line(scrape(registry), "# TYPE mmf_telemetry_span_export_seconds_total counter"));

  exporter->fail = true;
  tracer.start_span("lost");
  tracer.force_flush(std::chrono::seconds(10));
  const MetricSnapshot failed = MetricSnapshot::of(registry);
  EXPECT_EQ(
      MetricSnapshot::delta(exported, failed, "mmf_telemetry_spans_dropped_total", export_failed),
      1)
      << failed.to_string();
  EXPECT_EQ(MetricSnapshot::delta(exported, failed, "mmf_telemetry_span_export_failures_total"), 1);
  tracer.shutdown(std::chrono::seconds(5));
}

TEST(TelemetryMetrics, UnsampledSpansAreCounted) {
  MetricRegistry registry;
  Tracer tracer(
      {.sampler = always_off_sampler(), .exporter = std::make_shared<CountingExporter>()});
  publish_tracer_metrics(registry, tracer);
  const MetricSnapshot before = MetricSnapshot::of(registry);
  tracer.start_span("dropped");
  tracer.start_span("dropped");
  const MetricSnapshot after = MetricSnapshot::of(registry);
  EXPECT_EQ(before.value("mmf_telemetry_spans_not_sampled_total"), 0) << before.to_string();
  EXPECT_EQ(MetricSnapshot::delta(before, after, "mmf_telemetry_spans_not_sampled_total"), 2);
}

TEST(TelemetryMetrics, PropagationAndRegistryCountersArePublished) {
  MetricRegistry registry;
  publish_telemetry_metrics(registry);
  // The propagation counters are the process's: other tests may have counted before this one.
  const MetricSnapshot before = MetricSnapshot::of(registry);
  const std::uint64_t counted_before = propagation_counters().traceparent_invalid;
  const Propagator propagator;
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"traceparent", "00-not-a-valid-traceparent-at-all-00"}};
  propagator.extract(headers);
  const std::uint64_t now = propagation_counters().traceparent_invalid;
  ASSERT_EQ(now, counted_before + 1);
  registry.create_counter("orders_total", "Orders.", {"status"}).inc({{"wrong", "x"}});
  const MetricSnapshot after = MetricSnapshot::of(registry);
  const LabelValues invalid = {{"reason", "traceparent_invalid"}};
  EXPECT_EQ(
      MetricSnapshot::delta(before, after, "mmf_telemetry_propagation_rejected_total", invalid), 1)
      << after.to_string();
  EXPECT_EQ(after.value("mmf_telemetry_propagation_rejected_total", invalid),
            static_cast<double>(now));
  EXPECT_EQ(after.value("mmf_telemetry_metric_label_errors_total"), 1);
  EXPECT_EQ(after.value("mmf_telemetry_metric_overflow_total"), 0);
  // An instrument's type shows only in the exposition.
  EXPECT_TRUE(has_line(scrape(registry), "# TYPE mmf_telemetry_metric_series gauge"));
}

TEST(TelemetryMetrics, PromtoolAcceptsTheSelfMetrics) {
  std::string output;
  MMF_SKIP_OR_FAIL_WITHOUT(run_command("command -v promtool", output) == 0,
                           "promtool is not installed (Debian package prometheus)");
  MetricRegistry registry;
  Tracer tracer({.exporter = std::make_shared<CountingExporter>()});
  publish_telemetry_metrics(registry);
  publish_tracer_metrics(registry, tracer);
  const std::string file = temp_file(scrape(registry));
  output.clear();
  const int status = run_command("promtool check metrics < " + file, output);
  std::remove(file.c_str());
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace mmf
