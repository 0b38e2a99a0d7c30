#include "mmf/otlp_metrics_exporter.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "test_http_server.h"

namespace mmf {
namespace {

using std::chrono::milliseconds;
using testing_support::ScriptedResponse;
using testing_support::TestHttpServer;
using ExportMetricsServiceRequest =
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
namespace otlp_metrics = opentelemetry::proto::metrics::v1;

OtlpMetricsExporterOptions options_for(const TestHttpServer& collector,
                                       milliseconds interval = std::chrono::hours(1)) {
  OtlpMetricsExporterOptions options;
  options.otlp.http.endpoint = collector.url();
  options.otlp.http.initial_backoff = milliseconds(10);
  options.otlp.http.max_backoff = milliseconds(20);
  options.interval = interval;
  options.timeout = std::chrono::seconds(10);
  options.resource = Resource({{"service.name", std::string("checkout")}});
  options.process_metrics = false;
  return options;
}

const otlp_metrics::Metric* find_metric(const ExportMetricsServiceRequest& request,
                                        std::string_view name) {
  for (const auto& resource : request.resource_metrics()) {
    for (const auto& scope : resource.scope_metrics()) {
      for (const auto& metric : scope.metrics()) {
        if (metric.name() == name) return &metric;
      }
    }
  }
  return nullptr;
}

ExportMetricsServiceRequest decode(const std::string& body) {
  ExportMetricsServiceRequest request;
  EXPECT_TRUE(request.ParseFromString(body));
  return request;
}

TEST(OtlpMetricsExporter, ForceFlushPushesCumulativeTotalsToV1Metrics) {
  TestHttpServer collector;
  MetricRegistry registry;
  Counter orders = registry.create_counter("orders_total", "Orders.", {"status"});
  orders.inc({{"status", "ok"}}, 2);
  OtlpMetricsExporter exporter(registry, options_for(collector));
  ASSERT_TRUE(exporter.force_flush(std::chrono::seconds(10)));
  orders.inc({{"status", "ok"}}, 3);
  ASSERT_TRUE(exporter.force_flush(std::chrono::seconds(10)));

  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/metrics");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-protobuf");
  const ExportMetricsServiceRequest first = decode(requests[0].body);
  const ExportMetricsServiceRequest second = decode(requests[1].body);
  ASSERT_EQ(first.resource_metrics_size(), 1);
  EXPECT_EQ(first.resource_metrics(0).resource().attributes(0).key(), "service.name");
  EXPECT_EQ(first.resource_metrics(0).scope_metrics(0).scope().name(), "mmf-observability");
  const otlp_metrics::Metric* before = find_metric(first, "orders");
  const otlp_metrics::Metric* after = find_metric(second, "orders");
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  ASSERT_TRUE(after->has_sum());
  EXPECT_TRUE(after->sum().is_monotonic());
  EXPECT_EQ(after->sum().aggregation_temporality(),
            otlp_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(before->sum().data_points(0).as_double(), 2);
  EXPECT_EQ(after->sum().data_points(0).as_double(), 5);  // the total, not the difference
  EXPECT_EQ(after->sum().data_points(0).start_time_unix_nano(),
            before->sum().data_points(0).start_time_unix_nano());
  EXPECT_GT(after->sum().data_points(0).time_unix_nano(),
            before->sum().data_points(0).time_unix_nano());
  const OtlpMetricsExporterStats stats = exporter.stats();
  EXPECT_EQ(stats.pushes, 2U);
  EXPECT_EQ(stats.points_sent, 2U);
  EXPECT_EQ(stats.failed_pushes, 0U);
}

TEST(OtlpMetricsExporter, PushesOnItsIntervalAndOnceMoreAtShutdown) {
  TestHttpServer collector;
  MetricRegistry registry;
  registry.create_histogram("latency_seconds", "Latency.").observe(0.2);
  OtlpMetricsExporter exporter(registry, options_for(collector, milliseconds(100)));
  ASSERT_TRUE(collector.wait_for_requests(3, std::chrono::seconds(10)));
  const std::size_t before = collector.requests().size();
  EXPECT_TRUE(exporter.shutdown(std::chrono::seconds(10)));
  EXPECT_EQ(collector.requests().size(), before + 1);        // the last push
  EXPECT_FALSE(exporter.shutdown(std::chrono::seconds(1)));  // idempotent
  EXPECT_FALSE(exporter.force_flush(milliseconds(100)));
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_EQ(collector.requests().size(), before + 1);  // and nothing after it
  const ExportMetricsServiceRequest last = decode(collector.requests().back().body);
  const otlp_metrics::Metric* latency = find_metric(last, "latency_seconds");
  ASSERT_NE(latency, nullptr);
  ASSERT_TRUE(latency->has_histogram());
  EXPECT_EQ(latency->histogram().data_points(0).count(), 1U);
  EXPECT_EQ(latency->unit(), "");
}

TEST(OtlpMetricsExporter, JsonProtocolAndProcessMetrics) {
  TestHttpServer collector;
  MetricRegistry registry;
  registry.create_gauge("queue_depth", "Depth.").set(7);
  OtlpMetricsExporterOptions options = options_for(collector);
  options.otlp.protocol = OtlpProtocol::kHttpJson;
  options.process_metrics = true;
  OtlpMetricsExporter exporter(registry, options);
  ASSERT_TRUE(exporter.force_flush(std::chrono::seconds(10)));
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  ExportMetricsServiceRequest request;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(requests[0].body, &request).ok());
  const otlp_metrics::Metric* depth = find_metric(request, "queue_depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_EQ(depth->gauge().data_points(0).as_double(), 7);
  EXPECT_NE(find_metric(request, "process_resident_memory_bytes"), nullptr);
}

TEST(OtlpMetricsExporter, AFailingCollectorIsCountedAndTheNextPushCarriesTheTotals) {
  TestHttpServer collector;
  MetricRegistry registry;
  Counter orders = registry.create_counter("orders_total", "Orders.");
  orders.inc(4);
  OtlpMetricsExporter exporter(registry, options_for(collector));
  collector.respond({.status = 400, .body = "bad"});  // permanent: not retried
  EXPECT_FALSE(exporter.force_flush(std::chrono::seconds(10)));
  orders.inc(1);
  EXPECT_TRUE(exporter.force_flush(std::chrono::seconds(10)));
  const OtlpMetricsExporterStats stats = exporter.stats();
  EXPECT_EQ(stats.failed_pushes, 1U);
  EXPECT_EQ(stats.pushes, 2U);
  const ExportMetricsServiceRequest last = decode(collector.requests().back().body);
  EXPECT_EQ(find_metric(last, "orders")->sum().data_points(0).as_double(), 5);
}

TEST(OtlpMetricsExporter, PartialSuccessIsCounted) {
  TestHttpServer collector;
  MetricRegistry registry;
  registry.create_counter("orders_total", "Orders.").inc();
  OtlpMetricsExporter exporter(registry, options_for(collector));
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse response;
  response.mutable_partial_success()->set_rejected_data_points(1);
  response.mutable_partial_success()->set_error_message("too old");
  collector.respond({.status = 200,
                     .headers = {{"Content-Type", "application/x-protobuf"}},
                     .body = response.SerializeAsString()});
  EXPECT_TRUE(exporter.force_flush(std::chrono::seconds(10)));
  EXPECT_EQ(exporter.stats().points_rejected, 1U);
}

TEST(OtlpMetricsExporter, ShutdownDoesNotWaitForAHangingCollector) {
  TestHttpServer collector;
  MetricRegistry registry;
  registry.create_counter("orders_total", "Orders.").inc();
  OtlpMetricsExporterOptions options = options_for(collector);
  options.timeout = std::chrono::hours(1);
  options.otlp.http.timeout = milliseconds(0);  // only the deadline limits an attempt
  collector.set_default_response({.hang = true});
  OtlpMetricsExporter exporter(registry, options);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(exporter.shutdown(milliseconds(300)));
  // Bounded by the shutdown's own timeout plus the transport's cancellation (about 100 ms),
  // never by the hour-long push timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  collector.stop();
}

TEST(OtlpMetricsExporter, NothingRecordedMeansNoRequest) {
  TestHttpServer collector;
  MetricRegistry registry;
  registry.create_counter("orders_total", "Orders.", {"status"});  // no series yet
  OtlpMetricsExporter exporter(registry, options_for(collector));
  EXPECT_TRUE(exporter.force_flush(std::chrono::seconds(10)));
  EXPECT_TRUE(collector.requests().empty());
  EXPECT_EQ(exporter.stats().pushes, 0U);
}

TEST(OtlpMetricsExporter, BadOptionsAreClearErrors) {
  MetricRegistry registry;
  EXPECT_THROW(OtlpMetricsExporter(registry, {.interval = milliseconds(0)}), std::invalid_argument);
  EXPECT_THROW(OtlpMetricsExporter(registry, {.timeout = milliseconds(-5)}), std::invalid_argument);
  OtlpMetricsExporterOptions bad_endpoint;
  bad_endpoint.otlp.http.endpoint = "ftp://collector";
  EXPECT_THROW(OtlpMetricsExporter(registry, bad_endpoint), std::invalid_argument);
}

TEST(OtlpMetricsExporter, OptionsFromTheEnvironment) {
  ConfigErrors errors;
  const OtlpMetricsExporterOptions options = otlp_metrics_exporter_options_from_env(
      environment_from({{"OTEL_METRIC_EXPORT_INTERVAL", "15000"},
                        {"OTEL_METRIC_EXPORT_TIMEOUT", "5000"},
                        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                        {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                        {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"},
                        {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "api-key=abc"}}),
      errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.interval, milliseconds(15000));
  EXPECT_EQ(options.timeout, milliseconds(5000));
  EXPECT_EQ(options.otlp.http.endpoint, "http://collector:4318");
  EXPECT_EQ(options.otlp.protocol, OtlpProtocol::kHttpJson);  // the per-signal one wins
  ASSERT_EQ(options.otlp.http.headers.size(), 1U);
  EXPECT_EQ(options.otlp.http.headers[0].first, "api-key");

  ConfigErrors bad;
  const OtlpMetricsExporterOptions kept = otlp_metrics_exporter_options_from_env(
      environment_from({{"OTEL_METRIC_EXPORT_INTERVAL", "0"},
                        {"OTEL_METRIC_EXPORT_TIMEOUT", "soon"},
                        {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"}}),
      bad);
  ASSERT_EQ(bad.size(), 3U);
  EXPECT_EQ(bad[0].source, "environment variable OTEL_EXPORTER_OTLP_METRICS_PROTOCOL");
  EXPECT_EQ(kept.interval, milliseconds(60000));
  EXPECT_EQ(kept.timeout, milliseconds(30000));
}

}  // namespace
}  // namespace mmf
