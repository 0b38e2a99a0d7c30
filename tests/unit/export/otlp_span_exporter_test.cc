// OtlpSpanExporter in the real pipeline, against a real HTTP server on loopback: what reaches
// the collector, and what happens when the collector is down, slow, failing, rate-limiting,
// hanging or cutting connections. The request threads never wait; every loss is counted.
#include "mmf/otlp_exporter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "mmf/tracer.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test_http_server.h"

namespace mmf {
namespace {

using testing_support::ScriptedResponse;
using testing_support::TestHttpServer;
using Request = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using Response = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

// Fast retries, so that the fault tests take milliseconds.
OtlpExporterOptions options_for(const std::string& url,
                                OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf) {
  OtlpExporterOptions options;
  options.http.endpoint = url;
  options.http.timeout = std::chrono::milliseconds(2000);
  options.http.initial_backoff = std::chrono::milliseconds(10);
  options.http.max_backoff = std::chrono::milliseconds(20);
  options.protocol = protocol;
  return options;
}

struct Pipeline {
  std::shared_ptr<OtlpSpanExporter> exporter;
  Tracer tracer;

  explicit Pipeline(OtlpExporterOptions options, BatchOptions batch = {})
      : exporter(std::make_shared<OtlpSpanExporter>(std::move(options))),
        tracer({.exporter = exporter,
                .resource = Resource({{"service.name", std::string("checkout")}}),
                .batch = batch,
                .scope_name = "test-scope",
                .scope_version = "1.0"}) {}

  void end_spans(int count) {
    for (int i = 0; i < count; ++i) {
      Span span = tracer.start_span("work", {.kind = SpanKind::kServer});
      span.set_attribute("index", i);
    }
  }
};

Request decode(const std::string& body) {
  Request request;
  EXPECT_TRUE(request.ParseFromString(body));
  return request;
}

TEST(OtlpSpanExporter, SendsProtobufThatDecodes) {
  TestHttpServer server;
  Pipeline pipeline(options_for(server.url()));
  pipeline.end_spans(3);
  ASSERT_TRUE(pipeline.tracer.force_flush(std::chrono::seconds(10)));
  const std::vector<testing_support::RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const testing_support::RecordedRequest& recorded = requests[0];
  EXPECT_EQ(recorded.method, "POST");
  EXPECT_EQ(recorded.target, "/v1/traces");
  EXPECT_EQ(recorded.header("content-type"), "application/x-protobuf");
  const Request request = decode(recorded.body);
  ASSERT_EQ(request.resource_spans_size(), 1);
  const auto& resource_spans = request.resource_spans(0);
  ASSERT_EQ(resource_spans.resource().attributes_size(), 1);
  EXPECT_EQ(resource_spans.resource().attributes(0).value().string_value(), "checkout");
  ASSERT_EQ(resource_spans.scope_spans_size(), 1);
  EXPECT_EQ(resource_spans.scope_spans(0).scope().name(), "test-scope");
  EXPECT_EQ(resource_spans.scope_spans(0).scope().version(), "1.0");
  ASSERT_EQ(resource_spans.scope_spans(0).spans_size(), 3);
  EXPECT_EQ(resource_spans.scope_spans(0).spans(2).name(), "work");
  const OtlpExporterStats stats = pipeline.exporter->stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.spans_sent, 3u);
  EXPECT_EQ(stats.bytes_sent, recorded.body.size());
  EXPECT_EQ(pipeline.tracer.stats().spans_exported, 3u);
}

TEST(OtlpSpanExporter, SendsJsonWhenAsked) {
  TestHttpServer server;
  Pipeline pipeline(options_for(server.url(), OtlpProtocol::kHttpJson));
  pipeline.end_spans(1);
  ASSERT_TRUE(pipeline.tracer.force_flush(std::chrono::seconds(10)));
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("content-type"), "application/json");
  EXPECT_EQ(server.requests()[0].body.rfind("{\"resourceSpans\":[", 0), 0u);
}

TEST(OtlpSpanExporter, CollectorDownCostsOnlyTheCountedSpans) {
  Pipeline pipeline(options_for("http://127.0.0.1:" +
                                std::to_string(testing_support::closed_port())));
  pipeline.end_spans(5);
  pipeline.tracer.force_flush(std::chrono::seconds(10));
  const TracerStats stats = pipeline.tracer.stats();
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.dropped_export_failed, 5u);
  EXPECT_EQ(stats.export_failures, 1u);
  EXPECT_EQ(pipeline.exporter->stats().failed_requests, 1u);
  EXPECT_EQ(pipeline.exporter->stats().retries, 4u);  // five attempts in all
}

TEST(OtlpSpanExporter, ServerErrorIsNotRetried) {
  TestHttpServer server;
  server.set_default_response({.status = 500, .body = "broken"});
  Pipeline pipeline(options_for(server.url()));
  pipeline.end_spans(2);
  pipeline.tracer.force_flush(std::chrono::seconds(10));
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(pipeline.tracer.stats().dropped_export_failed, 2u);
  EXPECT_EQ(pipeline.exporter->stats().retries, 0u);
}

TEST(OtlpSpanExporter, RateLimitedWithRetryAfterThenAccepted) {
  TestHttpServer server;
  server.respond({.status = 429, .headers = {{"Retry-After", "1"}}});
  Pipeline pipeline(options_for(server.url()));
  pipeline.end_spans(4);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(pipeline.tracer.force_flush(std::chrono::seconds(10)));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(pipeline.tracer.stats().spans_exported, 4u);
  EXPECT_EQ(pipeline.exporter->stats().retries, 1u);
  EXPECT_EQ(server.requests()[0].body, server.requests()[1].body);  // the same batch again
}

TEST(OtlpSpanExporter, ConnectionCutMidAnswerIsRetried) {
  TestHttpServer server;
  server.respond({.status = 200, .body = std::string(100, 'x'), .close_mid_body = true});
  server.respond({.status = 503});
  Pipeline pipeline(options_for(server.url()));
  pipeline.end_spans(3);
  ASSERT_TRUE(pipeline.tracer.force_flush(std::chrono::seconds(10)));
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(pipeline.tracer.stats().spans_exported, 3u);
  EXPECT_EQ(pipeline.exporter->stats().retries, 2u);
}

TEST(OtlpSpanExporter, SlowCollectorWithinTheTimeoutSucceeds) {
  TestHttpServer server;
  server.respond({.status = 200, .delay = std::chrono::milliseconds(300)});
  Pipeline pipeline(options_for(server.url()));
  pipeline.end_spans(1);
  ASSERT_TRUE(pipeline.tracer.force_flush(std::chrono::seconds(10)));
  EXPECT_EQ(pipeline.tracer.stats().spans_exported, 1u);
}

TEST(OtlpSpanExporter, HangingCollectorNeitherBlocksRequestThreadsNorShutdown) {
  TestHttpServer server;
  server.set_default_response({.hang = true});
  Pipeline pipeline(options_for(server.url()),
                    {.schedule_delay = std::chrono::milliseconds(10), .max_queue_size = 64});
  pipeline.end_spans(1);
  ASSERT_TRUE(server.wait_for_requests(1, std::chrono::seconds(10)));  // the export now hangs
  // Meanwhile the request thread keeps ending spans: none waits; the queue fills and drops.
  pipeline.end_spans(1000);
  TracerStats stats = pipeline.tracer.stats();
  EXPECT_EQ(stats.spans_ended, 1001u);
  EXPECT_GE(stats.dropped_queue_full, 1000u - 64u);
  const auto started = std::chrono::steady_clock::now();
  pipeline.tracer.shutdown(std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  stats = pipeline.tracer.stats();
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(stats.spans_ended, stats.dropped_queue_full + stats.dropped_export_failed +
                                   stats.queue_depth);
}

TEST(OtlpSpanExporter, PartialSuccessIsCountedAsRejected) {
  TestHttpServer server;
  Response response;
  response.mutable_partial_success()->set_rejected_spans(2);
  response.mutable_partial_success()->set_error_message("attribute too long");
  server.respond({.status = 200,
                  .headers = {{"Content-Type", "application/x-protobuf"}},
                  .body = response.SerializeAsString()});
  Pipeline pipeline(options_for(server.url()));
  pipeline.end_spans(5);
  ASSERT_TRUE(pipeline.tracer.force_flush(std::chrono::seconds(10)));
  EXPECT_EQ(pipeline.tracer.stats().spans_exported, 5u);
  EXPECT_EQ(pipeline.exporter->stats().spans_rejected, 2u);
}

TEST(OtlpSpanExporter, OptionsFromTheEnvironment) {
  ConfigErrors errors;
  OtlpExporterOptions options = otlp_exporter_options_from_env(
      environment_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                        {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}),
      errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.protocol, OtlpProtocol::kHttpJson);
  EXPECT_EQ(options.http.endpoint, "http://collector:4318");
  options = otlp_exporter_options_from_env(
      environment_from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                        {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"}}),
      errors);
  EXPECT_EQ(options.protocol, OtlpProtocol::kHttpProtobuf);  // the per-signal variable wins
  otlp_exporter_options_from_env(
      environment_from({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"}}), errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
  EXPECT_NE(errors[0].message.find("gRPC transport"), std::string::npos);
}

}  // namespace
}  // namespace mmf
