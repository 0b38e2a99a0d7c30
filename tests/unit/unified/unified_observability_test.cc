#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <thread>

#include "mmf/metrics_server.h"
#include "mmf/testing.h"
#include "mmf/unified.h"
#include "test_http_server.h"

namespace mmf {
namespace {

struct Answer {
  int status = 0;  // 0: nothing answered
  std::string body;
};

// One request to 127.0.0.1:port (the server closes the connection after answering).
Answer http(int port, const std::string& method, const std::string& target,
            const std::string& token = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  Answer answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    std::string request = method + " " + target + " HTTP/1.1\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    request += "\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0) {
      std::string raw;
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
        raw.append(buffer, static_cast<std::size_t>(n));
      }
      if (raw.size() >= 12) answer.status = std::atoi(raw.c_str() + 9);
      if (const std::size_t end = raw.find("\r\n\r\n"); end != std::string::npos) {
        answer.body = raw.substr(end + 4);
      }
    }
  }
  ::close(fd);
  return answer;
}

// The status code of GET path on 127.0.0.1:port, or 0 when nothing answers.
int http_status(int port, const std::string& path) { return http(port, "GET", path).status; }

// A configuration that opens only a loopback port and writes nothing to stdout.
ObservabilityConfig quiet() {
  return {.service_name = "checkout",
          .environment = "production",
          .traces_exporter = {"none"},
          .prometheus_port = 0,
          .metrics_bind_address = "127.0.0.1",
          .logs_exporter = {"none"}};
}

TEST(UnifiedObservability, InitializeStartsEverythingAndShutdownStopsIt) {
  ObservabilityConfig config = quiet();
  config.trace_sample_rate = 1.0;  // set in code: the production preset's 0.05 does not apply
  UnifiedObservability observability(config);
  EXPECT_FALSE(observability.ready());
  EXPECT_EQ(observability.tracer(), nullptr);
  observability.initialize();
  observability.initialize();  // idempotent
  EXPECT_TRUE(observability.ready());
  EXPECT_EQ(UnifiedObservability::global(), &observability);
  const int port = observability.metrics_port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(http_status(port, "/healthz"), 200);
  EXPECT_EQ(http_status(port, "/readyz"), 200);
  EXPECT_EQ(http_status(port, "/metrics"), 200);

  Counter payments =
      observability.create_counter("payments_processed_total", "Payments.", {"status", "method"});
  Histogram duration =
      observability.create_histogram("payment_processing_duration_seconds", "Duration.");
  {
    auto timer = observability.timer(duration);
    Span span = observability.start_span("validate_payment_data");
    EXPECT_TRUE(span.is_recording());
    payments.inc({{"status", "success"}, {"method", "card"}});
  }
  const test::MetricSnapshot metrics = test::MetricSnapshot::of(observability.metrics());
  EXPECT_EQ(metrics.value("payments_processed_total", {{"status", "success"}, {"method", "card"}}),
            1)
      << metrics.to_string();
  EXPECT_EQ(metrics.count("payment_processing_duration_seconds"), 1U);
  // The self-metrics of the tracer and the logging pipeline are in the same registry.
  EXPECT_TRUE(metrics.value("mmf_telemetry_spans_started_total").has_value());
  EXPECT_TRUE(metrics.value("mmf_telemetry_logs_records_total").has_value());

  EXPECT_TRUE(observability.shutdown(std::chrono::seconds(5)));
  EXPECT_FALSE(observability.shutdown());  // idempotent
  EXPECT_FALSE(observability.ready());
  EXPECT_EQ(UnifiedObservability::global(), nullptr);
  EXPECT_EQ(http_status(port, "/healthz"), 0);  // the port is closed
}

TEST(UnifiedObservability, ABadConfigurationStartsNothing) {
  ObservabilityConfig config = quiet();
  config.prometheus_port = 70000;
  config.trace_sample_rate = 1.5;
  UnifiedObservability observability(config);
  try {
    observability.initialize();
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_GE(error.errors().size(), 2U);
  }
  EXPECT_FALSE(observability.ready());
  EXPECT_EQ(UnifiedObservability::global(), nullptr);
  EXPECT_EQ(observability.tracer(), nullptr);
}

TEST(UnifiedObservability, ATakenPortIsASystemErrorAndNothingIsLeftRunning) {
  MetricRegistry other;
  MetricsServer taken(other, {.bind_address = "127.0.0.1", .port = 0});
  ObservabilityConfig config = quiet();
  config.prometheus_port = taken.port();
  UnifiedObservability observability(config);
  EXPECT_THROW(observability.initialize(), std::system_error);
  EXPECT_FALSE(observability.ready());
  EXPECT_EQ(UnifiedObservability::global(), nullptr);
  EXPECT_EQ(observability.logging(), nullptr);
}

TEST(UnifiedObservability, ADisabledSdkOpensNothingAndRecordsNothing) {
  ObservabilityConfig config = quiet();
  config.sdk_disabled = true;
  UnifiedObservability observability(config);
  observability.initialize();
  EXPECT_EQ(observability.metrics_port(), 0);
  EXPECT_FALSE(observability.start_span("x").is_recording());
  {
    // Spans carry an incoming trace on unchanged: propagation still works.
    const SpanContext incoming{.trace_id = new_trace_id(),
                               .span_id = new_span_id(),
                               .flags = TraceFlags(TraceFlags::kSampled)};
    ContextScope request(Context::current().with_span_context(incoming));
    Span span = observability.start_span("handler");
    EXPECT_FALSE(span.is_recording());
    EXPECT_EQ(span.context().trace_id, incoming.trace_id);
    EXPECT_EQ(span.context().span_id, incoming.span_id);
  }
  EXPECT_EQ(observability.tracer()->stats().spans_not_sampled, 0u);
  EXPECT_FALSE(observability.logger().enabled(LogLevel::kCritical));
  // Instruments and plugin scopes work, so code needs no branches, and record nothing.
  observability.create_counter("jobs_total", "Jobs.").inc();
  observability.create_histogram("job_seconds", "Jobs.").observe(1);
  { PluginScope plugin("fraud-plugin", "score"); }
  const auto snapshot = test::MetricSnapshot::of(observability.metrics());
  EXPECT_EQ(snapshot.value("jobs_total"), std::nullopt) << snapshot.to_string();
  EXPECT_EQ(snapshot.count("job_seconds"), std::nullopt);
  EXPECT_EQ(
      snapshot.value("mmf_plugin_operations_total",
                     {{"plugin", "fraud-plugin"}, {"operation", "score"}, {"status", "success"}}),
      std::nullopt);
  EXPECT_TRUE(observability.shutdown());
}

TEST(UnifiedObservability, ShutdownIsBoundedWithAHangingCollector) {
  testing_support::TestHttpServer collector;
  collector.set_default_response({.hang = true});
  ObservabilityConfig config = quiet();
  config.traces_exporter = {"otlp"};
  config.otlp_endpoint = collector.url();
  config.trace_sample_rate = 1.0;
  UnifiedObservability observability(config);
  observability.initialize();
  observability.start_span("stuck");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(observability.shutdown(std::chrono::milliseconds(500)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  collector.stop();
}

TEST(UnifiedObservability, BeforeInitializeSpansDoNotRecordAndLogsGoToTheDefault) {
  UnifiedObservability observability(quiet());
  EXPECT_FALSE(observability.start_span("early").is_recording());
  EXPECT_EQ(&observability.logger(), &default_logger());
  EXPECT_FALSE(observability.shutdown());  // nothing to stop
}

TEST(UnifiedObservability, TheAdminEndpointChangesLevelAndSampleRateWithTheToken) {
  ObservabilityConfig config = quiet();
  config.admin_token = "adm1n-t0ken";
  config.metrics_token = "scr4pe";
  config.trace_sample_rate = 0.0;
  UnifiedObservability observability(config);
  observability.initialize();
  const int port = observability.metrics_port();
  EXPECT_EQ(http(port, "GET", "/admin/config").status, 401);
  EXPECT_EQ(http(port, "GET", "/admin/config", "wrong").status, 401);
  const Answer described = http(port, "GET", "/admin/config", "adm1n-t0ken");
  EXPECT_EQ(described.status, 200);
  EXPECT_NE(described.body.find("checkout"), std::string::npos) << described.body;
  EXPECT_EQ(described.body.find("adm1n-t0ken"), std::string::npos);  // secrets masked
  EXPECT_EQ(described.body.find("scr4pe"), std::string::npos);
  EXPECT_NE(described.body.find("***"), std::string::npos);

  Logger& db = observability.logger("payment.db");
  EXPECT_FALSE(db.enabled(LogLevel::kDebug));
  EXPECT_EQ(
      http(port, "POST", "/admin/log-level?logger=payment.db&level=debug", "adm1n-t0ken").status,
      200);
  EXPECT_TRUE(db.enabled(LogLevel::kDebug));
  EXPECT_EQ(http(port, "GET", "/admin/log-level?logger=payment.db", "adm1n-t0ken").body, "debug\n");
  EXPECT_EQ(http(port, "POST", "/admin/log-level?level=loud", "adm1n-t0ken").status, 400);
  EXPECT_EQ(http(port, "POST", "/admin/log-level?level=warn", "adm1n-t0ken").status, 200);
  EXPECT_FALSE(observability.logger("other").enabled(LogLevel::kInfo));
  EXPECT_TRUE(db.enabled(LogLevel::kDebug));  // it has a level of its own

  EXPECT_FALSE(observability.start_span("before").is_recording());  // rate 0
  EXPECT_EQ(http(port, "POST", "/admin/sample-rate?rate=1", "adm1n-t0ken").status, 200);
  EXPECT_TRUE(observability.start_span("after").is_recording());
  EXPECT_EQ(http(port, "GET", "/admin/sample-rate", "adm1n-t0ken").body.substr(0, 3), "1.0");
  EXPECT_EQ(http(port, "POST", "/admin/sample-rate?rate=1.5", "adm1n-t0ken").status, 400);
  EXPECT_EQ(http(port, "POST", "/admin/sample-rate?rate=abc", "adm1n-t0ken").status, 400);
  EXPECT_EQ(http(port, "GET", "/metrics").status, 401);  // the scrape token, not the admin one
  EXPECT_EQ(http(port, "GET", "/metrics", "scr4pe").status, 200);
  observability.shutdown();
}

TEST(UnifiedObservability, TraceAwareDebugHoldsTheDebugRecordsOfUnsampledRequests) {
  ObservabilityConfig config = quiet();
  config.logs_exporter = {"console"};  // nothing reaches it: the one record is discarded
  config.log_level = LogLevel::kDebug;
  config.trace_aware_debug = true;
  config.trace_sample_rate = 0.0;
  UnifiedObservability observability(config);
  observability.initialize();
  {
    Span request = observability.start_span("GET /orders", {.kind = SpanKind::kServer});
    auto current = request.activate();
    DebugLogScope held;
    MMF_LOG_DEBUG("cache miss", {{"key", "orders:7"}});
  }  // the request ended without an error: its debug record is discarded
  ASSERT_TRUE(observability.logging()->flush());
  const LoggingStats stats = observability.logging()->stats();
  EXPECT_EQ(stats.debug_held, 1u);
  EXPECT_EQ(stats.debug_discarded, 1u);
  EXPECT_EQ(stats.written, 0u);
  observability.shutdown();
}

TEST(UnifiedObservability, WithoutAnAdminTokenThereIsNoAdminEndpoint) {
  UnifiedObservability observability(quiet());
  observability.initialize();
  EXPECT_EQ(http(observability.metrics_port(), "GET", "/admin/config").status, 404);
  EXPECT_EQ(http(observability.metrics_port(), "POST", "/admin/sample-rate?rate=1").status, 404);
  observability.shutdown();
}

}  // namespace
}  // namespace mmf
