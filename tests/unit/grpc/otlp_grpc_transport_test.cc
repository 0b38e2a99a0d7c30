// OtlpGrpcTransport against a real gRPC server on loopback (TestOtlpGrpcCollector): the method
// and metadata of each signal, the OTLP/gRPC retry rules, deadlines, cancel(), and the exporters
// reaching the transport through make_otlp_transport()'s registry, with nothing injected.
#include "mmf/otlp_grpc_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mmf/otlp_exporter.h"
#include "mmf/otlp_log_sink.h"
#include "mmf/otlp_metrics_exporter.h"
#include "mmf/tracer.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test_http_server.h"
#include "test_otlp_grpc_collector.h"

namespace mmf {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Status = TransportResult::Status;
using testing_support::OtlpGrpcReply;
using testing_support::TestOtlpGrpcCollector;
using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using TraceResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kTinyBody("\x0a\x00", 2);
constexpr std::string_view kTraceMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// Fast retries, so that the fault tests take milliseconds.
OtlpHttpOptions options_for(const std::string& url) {
  return {.endpoint = url,
          .timeout = milliseconds(5000),
          .initial_backoff = milliseconds(10),
          .max_backoff = milliseconds(20)};
}

Clock::time_point in(milliseconds duration) { return Clock::now() + duration; }

TEST(OtlpGrpcTransport, SendsEachSignalToItsServiceWithMetadata) {
  TestOtlpGrpcCollector collector;
  OtlpHttpOptions options = options_for(collector.url());
  options.headers = {{"API-Key", "secret"}, {"x-tenant", "blue"}};
  OtlpGrpcTransport transport(options);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/traces", std::string(kTraceMethod)},
      {"/v1/metrics", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"},
      {"/v1/logs", "/opentelemetry.proto.collector.logs.v1.LogsService/Export"}};
  for (const auto& [path, method] : cases) {
    const TransportResult result =
        transport.send(path, kTinyBody, kProtobuf, in(milliseconds(5000)));
    EXPECT_TRUE(result.ok()) << result.message;
    EXPECT_EQ(result.attempts, 1);
    EXPECT_EQ(result.http_status, 0);
  }
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 3U);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].method, cases[i].second);
    EXPECT_EQ(requests[i].body, kTinyBody);
    EXPECT_EQ(requests[i].metadata_value("api-key"), "secret");
    EXPECT_EQ(requests[i].metadata_value("x-tenant"), "blue");
    EXPECT_EQ(requests[i].metadata_value("user-agent").rfind("mmf-observability/", 0), 0U)
        << requests[i].metadata_value("user-agent");
    EXPECT_FALSE(requests[i].compressed);
  }
}

TEST(OtlpGrpcTransport, EndpointPathIsIgnoredAndUserAgentIsConfigurable) {
  TestOtlpGrpcCollector collector;
  OtlpHttpOptions options = options_for(collector.url() + "/ignored/prefix");
  options.user_agent = "checkout/2.0";
  OtlpGrpcTransport transport(options);
  EXPECT_TRUE(transport.send("/v1/traces", "", kProtobuf, in(milliseconds(5000))).ok());
  ASSERT_EQ(collector.requests().size(), 1U);
  EXPECT_EQ(collector.requests()[0].method, kTraceMethod);
  EXPECT_EQ(collector.requests()[0].metadata_value("user-agent").rfind("checkout/2.0", 0), 0U);
}

TEST(OtlpGrpcTransport, UnknownPathOrJsonIsAPermanentFailureWithoutARequest) {
  TestOtlpGrpcCollector collector;
  OtlpGrpcTransport transport(options_for(collector.url()));
  TransportResult result = transport.send("/v1/profiles", "", kProtobuf, in(milliseconds(5000)));
  EXPECT_EQ(result.status, Status::kPermanentFailure);
  EXPECT_NE(result.message.find("/v1/profiles"), std::string::npos) << result.message;
  result = transport.send("/v1/traces", "{}", "application/json", in(milliseconds(5000)));
  EXPECT_EQ(result.status, Status::kPermanentFailure);
  EXPECT_NE(result.message.find("protobuf only"), std::string::npos) << result.message;
  EXPECT_TRUE(collector.requests().empty());
}

TEST(OtlpGrpcTransport, GzipCompressesTheMessage) {
  TestOtlpGrpcCollector collector;
  OtlpHttpOptions options = options_for(collector.url());
  options.gzip = true;
  OtlpGrpcTransport transport(options);
  const std::string body(2000, 'x');
  EXPECT_TRUE(transport.send("/v1/traces", body, kProtobuf, in(milliseconds(5000))).ok());
  ASSERT_EQ(collector.requests().size(), 1U);
  EXPECT_TRUE(collector.requests()[0].compressed);
  EXPECT_EQ(collector.requests()[0].encoding, "gzip");
  EXPECT_EQ(collector.requests()[0].body, body);
}

TEST(OtlpGrpcTransport, RetriesUnavailableThenSucceeds) {
  TestOtlpGrpcCollector collector;
  collector.respond({.code = grpc::StatusCode::UNAVAILABLE, .message = "restarting"});
  collector.respond({.code = grpc::StatusCode::UNAVAILABLE, .message = "restarting"});
  OtlpGrpcTransport transport(options_for(collector.url()));
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(5000)));
  EXPECT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(collector.requests().size(), 3U);
}

TEST(OtlpGrpcTransport, EachRetryableCodeIsRetried) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::CANCELLED, grpc::StatusCode::ABORTED, grpc::StatusCode::OUT_OF_RANGE,
        grpc::StatusCode::DATA_LOSS, grpc::StatusCode::DEADLINE_EXCEEDED}) {
    TestOtlpGrpcCollector collector;
    collector.respond({.code = code});
    OtlpGrpcTransport transport(options_for(collector.url()));
    const TransportResult result =
        transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(5000)));
    EXPECT_TRUE(result.ok()) << static_cast<int>(code) << ": " << result.message;
    EXPECT_EQ(result.attempts, 2) << static_cast<int>(code);
  }
}

TEST(OtlpGrpcTransport, GivesUpAfterMaxAttempts) {
  TestOtlpGrpcCollector collector;
  collector.set_default_reply({.code = grpc::StatusCode::UNAVAILABLE, .message = "down"});
  OtlpHttpOptions options = options_for(collector.url());
  options.max_attempts = 3;
  OtlpGrpcTransport transport(options);
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(5000)));
  EXPECT_EQ(result.status, Status::kRetryableFailure);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_NE(result.message.find("UNAVAILABLE (14)"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("down"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("gave up after 3 attempts"), std::string::npos) << result.message;
}

TEST(OtlpGrpcTransport, PermanentCodesAreNotRetried) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::UNAUTHENTICATED,
        grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::UNIMPLEMENTED,
        grpc::StatusCode::INTERNAL, grpc::StatusCode::UNKNOWN, grpc::StatusCode::NOT_FOUND,
        grpc::StatusCode::RESOURCE_EXHAUSTED}) {
    TestOtlpGrpcCollector collector;
    collector.set_default_reply({.code = code, .message = "no"});
    OtlpGrpcTransport transport(options_for(collector.url()));
    const TransportResult result =
        transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(5000)));
    EXPECT_EQ(result.status, Status::kPermanentFailure) << static_cast<int>(code);
    EXPECT_EQ(result.attempts, 1) << static_cast<int>(code);
    EXPECT_NE(result.message.find("(" + std::to_string(static_cast<int>(code)) + ")"),
              std::string::npos)
        << result.message;
  }
}

TEST(OtlpGrpcTransport, ResourceExhaustedWithRetryInfoWaitsItsDelay) {
  TestOtlpGrpcCollector collector;
  collector.respond({.code = grpc::StatusCode::RESOURCE_EXHAUSTED,
                     .message = "slow down",
                     .details = testing_support::status_details_with_retry_info(
                         8, "slow down", milliseconds(400))});
  OtlpGrpcTransport transport(options_for(collector.url()));
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(10000)));
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.attempts, 2);
  EXPECT_GE(elapsed, milliseconds(390));  // not the 10 ms backoff
  EXPECT_LT(elapsed, milliseconds(5000));
}

TEST(OtlpGrpcTransport, RetryInfoDelayPastTheDeadlineEndsAtOnce) {
  TestOtlpGrpcCollector collector;
  collector.respond(
      {.code = grpc::StatusCode::RESOURCE_EXHAUSTED,
       .details = testing_support::status_details_with_retry_info(8, "", std::chrono::hours(1))});
  OtlpGrpcTransport transport(options_for(collector.url()));
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(10000)));
  EXPECT_EQ(result.status, Status::kRetryableFailure);
  EXPECT_NE(result.message.find("no time left"), std::string::npos) << result.message;
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
}

TEST(OtlpGrpcTransport, GarbageStatusDetailsMeanNoRetryInfo) {
  const std::string valid =
      testing_support::status_details_with_retry_info(8, "m", milliseconds(10));
  const std::vector<std::string> garbage = {
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),  // endless varint
      std::string("\x1a\x7f", 2),                                       // length past the end
      std::string("\x0b\x0c", 2),                                       // a group
      valid.substr(0, valid.size() - 3),                                // truncated
      std::string(1000, '\x1a'),
      "not protobuf at all"};
  for (const std::string& details : garbage) {
    TestOtlpGrpcCollector collector;
    collector.respond({.code = grpc::StatusCode::RESOURCE_EXHAUSTED, .details = details});
    OtlpGrpcTransport transport(options_for(collector.url()));
    const TransportResult result =
        transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(5000)));
    EXPECT_EQ(result.status, Status::kPermanentFailure) << result.message;
    EXPECT_EQ(result.attempts, 1);
  }
}

TEST(OtlpGrpcTransport, HangingCollectorReturnsNearTheDeadline) {
  TestOtlpGrpcCollector collector;
  collector.set_default_reply({.hang = true});
  OtlpHttpOptions options = options_for(collector.url());
  options.timeout = milliseconds(0);  // the deadline only
  OtlpGrpcTransport transport(options);
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(500)));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(result.status, Status::kTimedOut) << result.message;
  EXPECT_EQ(result.attempts, 1);
  EXPECT_GE(elapsed, milliseconds(450));
  EXPECT_LT(elapsed, milliseconds(3000));
}

TEST(OtlpGrpcTransport, AttemptTimeoutIsRetriedWithinTheDeadline) {
  TestOtlpGrpcCollector collector;
  collector.set_default_reply({.hang = true});
  OtlpHttpOptions options = options_for(collector.url());
  options.timeout = milliseconds(200);
  options.max_attempts = 3;
  OtlpGrpcTransport transport(options);
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(20000)));
  EXPECT_EQ(result.status, Status::kRetryableFailure) << result.message;
  EXPECT_EQ(result.attempts, 3);
  EXPECT_NE(result.message.find("DEADLINE_EXCEEDED (4)"), std::string::npos) << result.message;
}

TEST(OtlpGrpcTransport, DeadlineAlreadyPassedSendsNothing) {
  TestOtlpGrpcCollector collector;
  OtlpGrpcTransport transport(options_for(collector.url()));
  const TransportResult result = transport.send("/v1/traces", "x", kProtobuf, Clock::now());
  EXPECT_EQ(result.status, Status::kTimedOut);
  EXPECT_EQ(result.attempts, 0);
  EXPECT_TRUE(collector.requests().empty());
}

TEST(OtlpGrpcTransport, CancelFromAnotherThreadEndsAHangingCallAndLaterSends) {
  TestOtlpGrpcCollector collector;
  collector.set_default_reply({.hang = true});
  OtlpGrpcTransport transport(options_for(collector.url()));
  std::thread canceller([&] {
    collector.wait_for_requests(1, milliseconds(10000));
    std::this_thread::sleep_for(milliseconds(50));
    transport.cancel();
  });
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(30000)));
  canceller.join();
  EXPECT_EQ(result.status, Status::kCancelled) << result.message;
  EXPECT_LT(Clock::now() - start, milliseconds(10000));
  const Clock::time_point later = Clock::now();
  EXPECT_EQ(transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(30000))).status,
            Status::kCancelled);
  EXPECT_LT(Clock::now() - later, milliseconds(1000));
  EXPECT_EQ(collector.requests().size(), 1U);
}

TEST(OtlpGrpcTransport, CancelEndsABackoffWait) {
  TestOtlpGrpcCollector collector;
  collector.set_default_reply({.code = grpc::StatusCode::UNAVAILABLE});
  OtlpHttpOptions options = options_for(collector.url());
  options.initial_backoff = std::chrono::seconds(20);
  options.max_backoff = std::chrono::seconds(20);
  OtlpGrpcTransport transport(options);
  std::thread canceller([&] {
    collector.wait_for_requests(1, milliseconds(10000));
    std::this_thread::sleep_for(milliseconds(100));
    transport.cancel();
  });
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(60000)));
  canceller.join();
  EXPECT_EQ(result.status, Status::kCancelled) << result.message;
  EXPECT_NE(result.message.find("UNAVAILABLE"), std::string::npos) << result.message;
  EXPECT_LT(Clock::now() - start, milliseconds(10000));
}

TEST(OtlpGrpcTransport, NothingListeningFailsWithinTheDeadline) {
  OtlpHttpOptions options =
      options_for("http://127.0.0.1:" + std::to_string(testing_support::closed_port()));
  options.max_attempts = 1000;
  OtlpGrpcTransport transport(options);
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(1000)));
  EXPECT_TRUE(result.status == Status::kRetryableFailure || result.status == Status::kTimedOut)
      << result.message;
  EXPECT_GE(result.attempts, 1);
  EXPECT_LT(Clock::now() - start, milliseconds(4000));
}

TEST(OtlpGrpcTransport, HttpsEndpointSpeaksTlsAndFailsAgainstAPlaintextCollector) {
  TestOtlpGrpcCollector collector;
  OtlpHttpOptions options = options_for("https://127.0.0.1:" + std::to_string(collector.port()));
  options.max_attempts = 2;
  OtlpGrpcTransport transport(options);
  const Clock::time_point start = Clock::now();
  const TransportResult result =
      transport.send("/v1/traces", "x", kProtobuf, in(milliseconds(3000)));
  EXPECT_EQ(result.status, Status::kRetryableFailure) << result.message;
  EXPECT_NE(result.message.find("UNAVAILABLE (14)"), std::string::npos) << result.message;
  EXPECT_LT(Clock::now() - start, milliseconds(6000));
  EXPECT_TRUE(collector.requests().empty());
}

TEST(OtlpGrpcTransport, BadOptionsThrowNamingEachProblem) {
  OtlpHttpOptions options = options_for("ftp://collector");
  options.headers = {{"x-ok", "caf\xc3\xa9"}, {"x-fine", "1"}};
  options.insecure_skip_verify = true;
  options.certificate_file = "/nonexistent/ca.pem";
  options.max_attempts = 0;
  try {
    OtlpGrpcTransport transport(options);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    const std::string text = error.what();
    for (const char* expected : {"endpoint", "x-ok", "insecure_skip_verify", "certificate_file",
                                 "/nonexistent/ca.pem", "max_attempts"}) {
      EXPECT_NE(text.find(expected), std::string::npos) << expected << " in " << text;
    }
    EXPECT_EQ(text.find("caf"), std::string::npos) << "a header value leaked: " << text;
  }
  EXPECT_THROW(OtlpGrpcTransport({.endpoint = "http://collector", .headers = {{"a b", "v"}}}),
               std::invalid_argument);
  EXPECT_NO_THROW(OtlpGrpcTransport({.endpoint = "https://collector"}));  // default port 4317
}

// --- The exporters, through make_otlp_transport()'s registry: no transport is injected.

OtlpExporterOptions grpc_options(const TestOtlpGrpcCollector& collector) {
  return {.http = options_for(collector.url()), .protocol = OtlpProtocol::kGrpc};
}

TEST(OtlpGrpcExporters, RegistryMakesTheGrpcTransport) {
  EXPECT_TRUE(otlp_grpc_transport_available());
  const auto transport = make_otlp_transport({.protocol = OtlpProtocol::kGrpc});
  EXPECT_NE(dynamic_cast<OtlpGrpcTransport*>(transport.get()), nullptr);
}

TEST(OtlpGrpcExporters, SpanExporterSendsSpansThatDecode) {
  TestOtlpGrpcCollector collector;
  auto exporter = std::make_shared<OtlpSpanExporter>(grpc_options(collector));
  Tracer tracer({.exporter = exporter,
                 .resource = Resource({{"service.name", std::string("checkout")}}),
                 .scope_name = "test-scope",
                 .scope_version = "1.0"});
  SpanContext sent;
  {
    Span span = tracer.start_span("charge card", {.kind = SpanKind::kClient});
    span.set_attribute("amount", std::int64_t{42});
    sent = span.context();
  }
  ASSERT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, kTraceMethod);
  TraceRequest request;
  ASSERT_TRUE(request.ParseFromString(requests[0].body));
  ASSERT_EQ(request.resource_spans_size(), 1);
  EXPECT_EQ(request.resource_spans(0).resource().attributes(0).value().string_value(), "checkout");
  const auto& scope_spans = request.resource_spans(0).scope_spans(0);
  EXPECT_EQ(scope_spans.scope().name(), "test-scope");
  ASSERT_EQ(scope_spans.spans_size(), 1);
  const auto& span = scope_spans.spans(0);
  EXPECT_EQ(span.name(), "charge card");
  const auto& trace_id = sent.trace_id.bytes();
  const auto& span_id = sent.span_id.bytes();
  EXPECT_EQ(span.trace_id(), std::string(trace_id.begin(), trace_id.end()));
  EXPECT_EQ(span.span_id(), std::string(span_id.begin(), span_id.end()));
  ASSERT_EQ(span.attributes_size(), 1);
  EXPECT_EQ(span.attributes(0).key(), "amount");
  EXPECT_EQ(span.attributes(0).value().int_value(), 42);
  EXPECT_EQ(exporter->stats().spans_sent, 1U);
}

TEST(OtlpGrpcExporters, PartialSuccessIsCountedAsRejected) {
  TestOtlpGrpcCollector collector;
  TraceResponse response;
  response.mutable_partial_success()->set_rejected_spans(2);
  response.mutable_partial_success()->set_error_message("attribute too long");
  collector.respond({.body = response.SerializeAsString()});
  auto exporter = std::make_shared<OtlpSpanExporter>(grpc_options(collector));
  Tracer tracer({.exporter = exporter});
  for (int i = 0; i < 5; ++i) {
    Span span = tracer.start_span("work");
  }
  ASSERT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
  EXPECT_EQ(exporter->stats().spans_sent, 5U);
  EXPECT_EQ(exporter->stats().spans_rejected, 2U);
}

TEST(OtlpGrpcExporters, MetricsExporterPushesToMetricsService) {
  TestOtlpGrpcCollector collector;
  MetricRegistry registry;
  Counter orders = registry.create_counter("orders_total", "Orders.");
  orders.inc(3);
  OtlpMetricsExporter exporter(registry, {.otlp = grpc_options(collector),
                                          .interval = std::chrono::hours(1),
                                          .timeout = std::chrono::seconds(10),
                                          .process_metrics = false});
  ASSERT_TRUE(exporter.force_flush(std::chrono::seconds(10)));
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
  MetricsRequest request;
  ASSERT_TRUE(request.ParseFromString(requests[0].body));
  ASSERT_EQ(request.resource_metrics_size(), 1);
  const auto& metrics = request.resource_metrics(0).scope_metrics(0).metrics();
  ASSERT_EQ(metrics.size(), 1);
  EXPECT_EQ(metrics[0].name(), "orders");
  ASSERT_EQ(metrics[0].sum().data_points_size(), 1);
  EXPECT_EQ(metrics[0].sum().data_points(0).as_double(), 3.0);
}

TEST(OtlpGrpcExporters, LogSinkSendsToLogsService) {
  TestOtlpGrpcCollector collector;
  OtlpLogSink sink(grpc_options(collector), "checkout-logs", "1.2.0");
  LogRecord record;
  record.time_unix_nano = 1'700'000'000'000'000'000;
  record.level = LogLevel::kError;
  record.message = "payment failed";
  sink.write(std::span<const LogRecord>(&record, 1),
             Resource({{"service.name", std::string("checkout")}}));
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
  LogsRequest request;
  ASSERT_TRUE(request.ParseFromString(requests[0].body));
  const auto& scope_logs = request.resource_logs(0).scope_logs(0);
  EXPECT_EQ(scope_logs.scope().name(), "checkout-logs");
  ASSERT_EQ(scope_logs.log_records_size(), 1);
  EXPECT_EQ(scope_logs.log_records(0).body().string_value(), "payment failed");
  EXPECT_EQ(sink.stats().records_sent, 1U);
}

TEST(OtlpGrpcExporters, EnvironmentGrpcDefaultsToPort4317) {
  ConfigErrors errors;
  OtlpExporterOptions options = otlp_exporter_options_from_env(
      environment_from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}}), errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(options.http.endpoint, "http://localhost:4317");
  options = otlp_exporter_options_from_env(
      environment_from({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                        {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:9999"}}),
      errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.http.endpoint, "https://collector:9999");
}

}  // namespace
}  // namespace mmf
