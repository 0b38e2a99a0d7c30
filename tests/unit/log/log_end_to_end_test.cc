// The whole path, as a service uses it: the pipeline writing JSON lines through a StreamSink into
// a pipe, read back and parsed with a real JSON parser; the same records as OTLP to a loopback
// collector, decoded with the project's .proto files; the self-metrics.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/log.h"
#include "mmf/log_sinks.h"
#include "mmf/otlp_log_sink.h"
#include "mmf/telemetry_metrics.h"
#include "mmf/testing.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "unit/export/test_http_server.h"

namespace mmf {
namespace {

using nlohmann::json;

// A pipe whose read end is drained by a thread into a string.
class PipeCapture {
 public:
  PipeCapture() {
    EXPECT_EQ(::pipe2(fds_, O_CLOEXEC), 0);
    reader_ = std::thread([this] {
      char buffer[4096];
      for (ssize_t n; (n = ::read(fds_[0], buffer, sizeof buffer)) > 0;) {
        text_.append(buffer, static_cast<std::size_t>(n));
      }
    });
  }
  ~PipeCapture() { finish(); }
  int fd() const { return fds_[1]; }
  // Closes the write end and returns everything written.
  const std::string& finish() {
    if (fds_[1] >= 0) {
      ::close(fds_[1]);
      fds_[1] = -1;
      reader_.join();
      ::close(fds_[0]);
    }
    return text_;
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread reader_;
  std::string text_;
};

std::vector<json> parse_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

Resource service() {
  return Resource({{"service.name", std::string("payment-service")},
                   {"service.version", std::string("1.2.0")},
                   {"deployment.environment.name", std::string("staging")}});
}

TEST(LogEndToEnd, JsonLinesCarryTheRightIdsInNestedScopesAcrossBindAndThreads) {
  PipeCapture out;
  std::vector<json> lines;
  {
    LoggingPipeline logging(
        {.sinks = {std::make_shared<StreamSink>(StreamSinkOptions{.fd = out.fd()})},
         .resource = service()});
    Logger& logger = logging.logger("payments");
    const SpanContext span{.trace_id = new_trace_id(),
                           .span_id = new_span_id(),
                           .flags = TraceFlags(TraceFlags::kSampled)};
    std::function<void()> handed_off;
    {
      ContextScope traced(Context::current().with_span_context(span));
      CorrelationScope outer(
          {.operation_name = "checkout", .correlation_id = "req_outer", .user_id = "user_1"});
      logger.log(LogLevel::kInfo, "outer");
      {
        CorrelationScope inner({.operation_name = "charge",
                                .session_id = "sess_9",
                                .business_context = {{"cart_id", "c-1"}}});
        logger.log(LogLevel::kWarn, "inner", {{"amount", 12.5}, {"level", "forged"}});
        handed_off = mmf::bind([&logger] { logger.log(LogLevel::kInfo, "in the pool"); });
      }
      logger.log(LogLevel::kInfo, "outer again");
    }
    std::thread pool(handed_off);
    pool.join();
    std::thread([&logger] {
      CorrelationScope own({.correlation_id = "req_other_thread"});
      logger.log(LogLevel::kError, "other thread", {{"line", "a\nb\"c\x01"}});
    }).join();
    logger.log(LogLevel::kInfo, "outside");
    ASSERT_TRUE(logging.shutdown());
    lines = parse_lines(out.finish());

    ASSERT_EQ(lines.size(), 6U) << out.finish();
    const std::string trace = span.trace_id.to_hex();
    EXPECT_EQ(lines[0]["message"], "outer");
    EXPECT_EQ(lines[0]["service"], "payment-service");
    EXPECT_EQ(lines[0]["version"], "1.2.0");
    EXPECT_EQ(lines[0]["environment"], "staging");
    EXPECT_EQ(lines[0]["logger"], "payments");
    EXPECT_EQ(lines[0]["trace_id"], trace);
    EXPECT_EQ(lines[0]["span_id"], span.span_id.to_hex());
    EXPECT_EQ(lines[0]["trace_flags"], "01");
    EXPECT_EQ(lines[0]["correlation_id"], "req_outer");
    EXPECT_EQ(lines[0]["user_id"], "user_1");
    EXPECT_EQ(lines[0]["operation"], "checkout");
    EXPECT_FALSE(lines[0].contains("session_id"));

    EXPECT_EQ(lines[1]["message"], "inner");
    EXPECT_EQ(lines[1]["level"], "warn");  // the caller's "level" field cannot forge it
    EXPECT_EQ(lines[1]["field.level"], "forged");
    EXPECT_EQ(lines[1]["amount"], 12.5);
    EXPECT_EQ(lines[1]["correlation_id"], "req_outer");  // inherited
    EXPECT_EQ(lines[1]["session_id"], "sess_9");
    EXPECT_EQ(lines[1]["operation"], "charge");
    EXPECT_EQ(lines[1]["cart_id"], "c-1");
    EXPECT_NE(lines[1]["request_id"], lines[0]["request_id"]);  // a child scope is a new request

    EXPECT_EQ(lines[2]["message"], "outer again");  // the inner fields did not leak out
    EXPECT_FALSE(lines[2].contains("session_id"));
    EXPECT_EQ(lines[2]["operation"], "checkout");

    EXPECT_EQ(lines[3]["message"], "in the pool");  // carried by mmf::bind
    EXPECT_EQ(lines[3]["session_id"], "sess_9");
    EXPECT_EQ(lines[3]["trace_id"], trace);

    EXPECT_EQ(lines[4]["message"], "other thread");
    EXPECT_EQ(lines[4]["correlation_id"], "req_other_thread");
    EXPECT_EQ(lines[4]["line"], "a\nb\"c\x01");
    EXPECT_FALSE(lines[4].contains("trace_id"));

    EXPECT_EQ(lines[5]["message"], "outside");
    EXPECT_FALSE(lines[5].contains("correlation_id"));
    for (const json& line : lines) {
      EXPECT_TRUE(line["timestamp"].get<std::string>().ends_with("Z"));
      EXPECT_TRUE(line["source"].get<std::string>().starts_with("log_end_to_end_test.cc:"));
    }
  }
}

TEST(LogEndToEnd, OtlpLogsDecodeWithTheProtoFiles) {
  testing_support::TestHttpServer collector;
  OtlpExporterOptions options;
  options.http.endpoint = collector.url();
  {
    LoggingPipeline logging(
        {.sinks = {std::make_shared<OtlpLogSink>(options)}, .resource = service()});
    CorrelationScope scope({.correlation_id = "req_otlp", .user_id = "u-1"});
    logging.logger().log(LogLevel::kError, "card declined", {{"code", 51}});
    ASSERT_TRUE(logging.flush());
  }
  const auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/v1/logs");
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(requests[0].body));
  const auto& record = request.resource_logs(0).scope_logs(0).log_records(0);
  EXPECT_EQ(record.body().string_value(), "card declined");
  EXPECT_EQ(record.severity_number(), 17);
  EXPECT_EQ(record.severity_text(), "ERROR");
  std::map<std::string, std::string> attributes;
  for (const auto& kv : record.attributes()) {
    attributes[kv.key()] = kv.value().has_int_value() ? std::to_string(kv.value().int_value())
                                                      : kv.value().string_value();
  }
  EXPECT_EQ(attributes["code"], "51");
  EXPECT_EQ(attributes["correlation_id"], "req_otlp");
  EXPECT_EQ(attributes["user.id"], "u-1");
  EXPECT_EQ(request.resource_logs(0).resource().attributes(0).value().string_value(),
            "payment-service");
}

TEST(LogEndToEnd, TheSelfMetricsCountRecordsAndDrops) {
  PipeCapture out;
  LoggingPipeline logging(
      {.sinks = {std::make_shared<StreamSink>(StreamSinkOptions{.fd = out.fd()})}});
  MetricRegistry registry;
  publish_logging_metrics(registry, logging);
  logging.logger().log(LogLevel::kInfo, "one");
  logging.logger().log(LogLevel::kInfo, "two");
  ASSERT_TRUE(logging.flush());
  // value() finds only series that exist: a 0 here is a published 0, not a missing series.
  const test::MetricSnapshot metrics = test::MetricSnapshot::of(registry);
  EXPECT_EQ(metrics.value("mmf_telemetry_logs_records_total"), 2) << metrics.to_string();
  EXPECT_EQ(metrics.value("mmf_telemetry_logs_written_total"), 2);
  EXPECT_EQ(metrics.value("mmf_telemetry_logs_dropped_total", {{"reason", "queue_full"}}), 0);
  EXPECT_EQ(metrics.value("mmf_telemetry_logs_debug_total", {{"outcome", "held"}}), 0);
  logging.shutdown();
}

}  // namespace
}  // namespace mmf
