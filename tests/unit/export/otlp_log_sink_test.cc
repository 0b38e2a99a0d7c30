// OtlpLogSink against a real HTTP server on loopback: what reaches the collector, in both
// encodings, and what a failing, partially accepting or hanging collector costs. write() never
// throws and never outlives its timeout; every loss is counted.
#include "mmf/otlp_log_sink.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "test_http_server.h"

namespace mmf {
namespace {

using std::chrono::milliseconds;
using testing_support::TestHttpServer;
using Request = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using Response = opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;
namespace otlp_logs = opentelemetry::proto::logs::v1;

// Fast retries, so that the fault tests take milliseconds.
OtlpExporterOptions options_for(const std::string& url,
                                OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf) {
  OtlpExporterOptions options;
  options.http.endpoint = url;
  options.http.timeout = milliseconds(2000);
  options.http.initial_backoff = milliseconds(10);
  options.http.max_backoff = milliseconds(20);
  options.protocol = protocol;
  return options;
}

const Resource& resource() {
  static const Resource kResource({{"service.name", std::string("checkout")}});
  return kResource;
}

std::vector<LogRecord> records(int count) {
  std::vector<LogRecord> out(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    LogRecord& record = out[static_cast<std::size_t>(i)];
    record.time_unix_nano = 1'700'000'000'000'000'000 + i;
    record.level = LogLevel::kError;
    record.message = "payment failed " + std::to_string(i);
    record.fields = {{"attempt", std::int64_t{i}}};
    record.correlation_id = "corr-" + std::to_string(i);
  }
  return out;
}

Request decode(const std::string& body) {
  Request request;
  EXPECT_TRUE(request.ParseFromString(body));
  return request;
}

TEST(OtlpLogSink, SendsProtobufToV1Logs) {
  TestHttpServer collector;
  OtlpLogSink sink(options_for(collector.url()), "checkout-logs", "1.2.0");
  sink.write(records(3), resource());

  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/logs");
  EXPECT_EQ(requests[0].header("content-type"), "application/x-protobuf");
  const Request request = decode(requests[0].body);
  ASSERT_EQ(request.resource_logs_size(), 1);
  EXPECT_EQ(request.resource_logs(0).resource().attributes(0).value().string_value(), "checkout");
  const otlp_logs::ScopeLogs& scope_logs = request.resource_logs(0).scope_logs(0);
  EXPECT_EQ(scope_logs.scope().name(), "checkout-logs");
  EXPECT_EQ(scope_logs.scope().version(), "1.2.0");
  ASSERT_EQ(scope_logs.log_records_size(), 3);
  const otlp_logs::LogRecord& last = scope_logs.log_records(2);
  EXPECT_EQ(last.body().string_value(), "payment failed 2");
  EXPECT_EQ(last.severity_number(), otlp_logs::SEVERITY_NUMBER_ERROR);
  EXPECT_EQ(last.severity_text(), "ERROR");
  EXPECT_EQ(last.attributes(1).key(), "correlation_id");
  EXPECT_EQ(last.attributes(1).value().string_value(), "corr-2");

  const OtlpLogSinkStats stats = sink.stats();
  EXPECT_EQ(stats.requests, 1U);
  EXPECT_EQ(stats.failed_requests, 0U);
  EXPECT_EQ(stats.records_sent, 3U);
  EXPECT_EQ(stats.records_rejected, 0U);
  EXPECT_EQ(stats.bytes_sent, requests[0].body.size());
  EXPECT_EQ(stats.retries, 0U);
}

TEST(OtlpLogSink, DefaultScopeIsTheLibrary) {
  TestHttpServer collector;
  OtlpLogSink sink(options_for(collector.url()));
  sink.write(records(1), resource());
  ASSERT_EQ(collector.requests().size(), 1U);
  const Request request = decode(collector.requests()[0].body);
  EXPECT_EQ(request.resource_logs(0).scope_logs(0).scope().name(), "mmf-observability");
  EXPECT_EQ(request.resource_logs(0).scope_logs(0).scope().version(), "");
}

TEST(OtlpLogSink, SendsJsonWhenAsked) {
  TestHttpServer collector;
  OtlpLogSink sink(options_for(collector.url(), OtlpProtocol::kHttpJson));
  sink.write(records(2), resource());
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/v1/logs");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].body.rfind("{\"resourceLogs\":[", 0), 0U);
  Request request;
  const auto status = google::protobuf::util::JsonStringToMessage(requests[0].body, &request);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(request.resource_logs(0).scope_logs(0).log_records_size(), 2);
  EXPECT_EQ(request.resource_logs(0).scope_logs(0).log_records(1).body().string_value(),
            "payment failed 1");
  EXPECT_EQ(sink.stats().records_sent, 2U);
}

TEST(OtlpLogSink, EachWriteSendsOnlyItsOwnBatch) {
  TestHttpServer collector;
  OtlpLogSink sink(options_for(collector.url()));
  sink.write(records(5), resource());
  sink.write(records(1), resource());
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 2U);
  // The second body is the second batch alone, not what the larger first one left behind.
  EXPECT_EQ(decode(requests[1].body).resource_logs(0).scope_logs(0).log_records_size(), 1);
  EXPECT_EQ(sink.stats().records_sent, 6U);
}

TEST(OtlpLogSink, EmptyBatchSendsNothing) {
  TestHttpServer collector;
  OtlpLogSink sink(options_for(collector.url()));
  sink.write({}, resource());
  EXPECT_TRUE(collector.requests().empty());
  EXPECT_EQ(sink.stats().requests, 0U);
}

TEST(OtlpLogSink, RefusedBatchIsCountedNotThrown) {
  TestHttpServer collector;
  collector.respond({.status = 400, .body = "bad"});  // permanent: not retried
  OtlpLogSink sink(options_for(collector.url()));
  sink.write(records(4), resource());
  sink.write(records(1), resource());
  const OtlpLogSinkStats stats = sink.stats();
  EXPECT_EQ(stats.requests, 2U);
  EXPECT_EQ(stats.failed_requests, 1U);
  EXPECT_EQ(stats.records_sent, 1U);
  EXPECT_EQ(stats.retries, 0U);
}

TEST(OtlpLogSink, CollectorDownCostsOnlyTheCountedRecords) {
  OtlpLogSink sink(
      options_for("http://127.0.0.1:" + std::to_string(testing_support::closed_port())));
  sink.write(records(3), resource());
  const OtlpLogSinkStats stats = sink.stats();
  EXPECT_EQ(stats.failed_requests, 1U);
  EXPECT_EQ(stats.records_sent, 0U);
  EXPECT_EQ(stats.retries, 4U);  // five attempts in all
}

TEST(OtlpLogSink, PartialSuccessIsCountedAsRejected) {
  TestHttpServer collector;
  Response response;
  response.mutable_partial_success()->set_rejected_log_records(2);
  response.mutable_partial_success()->set_error_message("body too long");
  collector.respond({.status = 200,
                     .headers = {{"Content-Type", "application/x-protobuf"}},
                     .body = response.SerializeAsString()});
  OtlpLogSink sink(options_for(collector.url()));
  sink.write(records(5), resource());
  EXPECT_EQ(sink.stats().records_sent, 5U);
  EXPECT_EQ(sink.stats().records_rejected, 2U);
}

TEST(OtlpLogSink, JsonPartialSuccessIsCountedAsRejected) {
  TestHttpServer collector;
  collector.respond({.status = 200,
                     .headers = {{"Content-Type", "application/json"}},
                     .body = R"({"partialSuccess":{"rejectedLogRecords":"3"}})"});
  OtlpLogSink sink(options_for(collector.url(), OtlpProtocol::kHttpJson));
  sink.write(records(4), resource());
  EXPECT_EQ(sink.stats().records_rejected, 3U);
}

TEST(OtlpLogSink, WriteEndsWithinTheTimeoutWhenTheCollectorHangs) {
  TestHttpServer collector;
  collector.set_default_response({.hang = true});
  OtlpExporterOptions options = options_for(collector.url());
  options.http.timeout = milliseconds(300);
  OtlpLogSink sink(std::move(options));
  const auto started = std::chrono::steady_clock::now();
  sink.write(records(1), resource());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(sink.stats().failed_requests, 1U);
  collector.stop();
}

TEST(OtlpLogSink, ShutdownCancelsAWriteInProgress) {
  TestHttpServer collector;
  collector.set_default_response({.hang = true});
  OtlpExporterOptions options = options_for(collector.url());
  options.http.timeout = milliseconds(0);  // only the sink's 10 s deadline limits the write
  OtlpLogSink sink(std::move(options));
  std::thread writer([&] { sink.write(records(1), resource()); });
  ASSERT_TRUE(collector.wait_for_requests(1, std::chrono::seconds(5)));
  const auto started = std::chrono::steady_clock::now();
  sink.shutdown();
  writer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(sink.stats().failed_requests, 1U);
  sink.write(records(1), resource());  // after shutdown: cancelled at once, still no throw
  EXPECT_EQ(collector.requests().size(), 1U);
  EXPECT_EQ(sink.stats().failed_requests, 2U);
  collector.stop();
}

TEST(OtlpLogSink, BadOptionsAreClearErrors) {
  OtlpExporterOptions bad_endpoint;
  bad_endpoint.http.endpoint = "ftp://collector";
  EXPECT_THROW(OtlpLogSink{bad_endpoint}, std::invalid_argument);
}

TEST(OtlpLogSink, OptionsFromTheEnvironmentForTheLogsSignal) {
  TestHttpServer collector;
  ConfigErrors errors;
  OtlpExporterOptions options = otlp_exporter_options_from_env(
      environment_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://unused:4318"},
                        {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", collector.url() + "/custom/logs"},
                        {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"},
                        {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "api-key=abc"}}),
      "LOGS", errors);
  ASSERT_TRUE(errors.empty());
  OtlpLogSink sink(std::move(options));
  sink.write(records(1), resource());
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/custom/logs");  // a per-signal endpoint is the whole URL
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].header("api-key"), "abc");
}

}  // namespace
}  // namespace mmf
