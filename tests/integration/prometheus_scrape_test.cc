// Proves mmf::MetricsServer against a real Prometheus (Debian's prometheus 2.42): the program
// records known values, serves them on loopback, Prometheus scrapes them every second, and
// PromQL must give back what was recorded, in values, label sets, rates, histogram quantiles,
// target_info and exemplars. Prometheus asks for OpenMetrics first, so these tests run the
// OpenMetrics writer, exemplars included, through Prometheus's own parser; its self-metrics must
// show no rejected sample.
//
// Each test program start costs about 6 s before the first sample can be queried (Prometheus
// syncs new targets every 5 s), so the checks are grouped into few tests that share one
// Prometheus (SetUpTestSuite). Without /usr/bin/prometheus the tests skip, or fail when
// MMF_REQUIRE_TOOLS=1.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mmf/metrics.h"
#include "mmf/metrics_server.h"
#include "mmf/resource.h"
#include "mmf/tracer.h"
#include "prometheus_server.h"
#include "unit/metrics/tool_support.h"

namespace mmf {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing_support::has_samples;
using testing_support::has_value;
using testing_support::PrometheusOptions;
using testing_support::PrometheusServer;
using testing_support::ScrapeJob;
using testing_support::single_value;
using testing_support::WaitResult;

constexpr const char* kMissing = "/usr/bin/prometheus not found (Debian package prometheus)";
constexpr const char* kServiceName = "mmf-prometheus-scrape-test";
// Covers the ~6 s until the first sample on a noisy shared machine.
constexpr auto kFirstScrapeTimeout = 25s;
constexpr double kTicksPerSecond = 100;

// The value of each series of a vector result, keyed by the value of one label.
std::map<std::string, double> values_by(const json& result, const std::string& label) {
  std::map<std::string, double> values;
  for (const json& sample : result) {
    values[sample["metric"].value(label, "")] = std::stod(sample["value"][1].get<std::string>());
  }
  return values;
}

// The target of job in PrometheusServer::targets(), or null.
json target_of(const PrometheusServer& prometheus, const std::string& job) {
  for (const json& target : prometheus.targets()) {
    if (target["labels"].value("job", "") == job) return target;
  }
  return nullptr;
}

// Seconds since the epoch, as the HTTP API takes times.
std::string unix_seconds(std::chrono::system_clock::time_point time) {
  using std::chrono::duration;
  return std::to_string(duration<double>(time.time_since_epoch()).count());
}

// Everything the scrape tests share: the recorded values, the endpoint and the Prometheus that
// scrapes it. Members are destroyed in reverse order: Prometheus stops before the endpoint.
struct ScrapedProgram {
  ScrapedProgram()
      : resource({{"service.name", std::string(kServiceName)}}),
        server(registry,
               {.bind_address = "127.0.0.1", .port = 0, .scrape = {.resource = &resource}}) {
    Counter payments =
        registry.create_counter("mmf_it_payments_total", "Payments", {"status", "method"});
    payments.inc({{"status", "ok"}, {"method", "card"}}, 4);
    payments.inc({{"status", "ok"}, {"method", "cash"}}, 3);
    payments.inc({{"status", "failed"}, {"method", "card"}}, 2);
    registry.create_gauge("mmf_it_queue_depth", "Queued jobs").set(12.5);
    UpDownCounter active = registry.create_up_down_counter("mmf_it_active_requests", "In flight");
    active.add(5);
    active.add(-2);
    // Cumulative bucket counts: le=0.1: 2, le=0.5: 8, le=1: 8, le=5: 10.
    Histogram latency = registry.create_histogram("mmf_it_request_duration_seconds", "Latency", {},
                                                  {0.1, 0.5, 1, 5}, "seconds");
    for (const double value : {0.05, 0.05, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 2.0}) {
      latency.observe(value);
    }
    {
      // The last observation and one payment under a sampled span: both carry an exemplar.
      Span span = tracer.start_span("checkout");
      const ContextScope scope = span.activate();
      trace_id = span.context().trace_id.to_hex();
      latency.observe(2.0);
      payments.inc({{"status", "failed"}, {"method", "card"}});
    }
    ticks = registry.create_counter("mmf_it_ticks_total", "Ticks at a steady rate");
    ticker = std::jthread([this](std::stop_token stop) { tick(stop); });
    const std::string target = "127.0.0.1:" + std::to_string(server.port());
    prometheus =
        std::make_unique<PrometheusServer>(PrometheusOptions{.jobs = {{.target = target}}});
  }

  // Counts at kTicksPerSecond on average, whatever the sleeps' jitter: each round adds what the
  // elapsed time calls for.
  void tick(const std::stop_token& stop) {
    const auto start = std::chrono::steady_clock::now();
    double done = 0;
    while (!stop.stop_requested()) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      const double due = std::floor(elapsed.count() * kTicksPerSecond);
      ticks.inc(due - done);
      done = due;
      std::this_thread::sleep_for(20ms);
    }
  }

  MetricRegistry registry;
  Resource resource;
  Tracer tracer;
  std::string trace_id;
  Counter ticks;
  MetricsServer server;
  std::jthread ticker;
  std::unique_ptr<PrometheusServer> prometheus;
};

class PrometheusScrapeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PrometheusServer::available()) return;
    try {
      program_ = std::make_unique<ScrapedProgram>();
    } catch (const std::exception& error) {
      setup_error_ = error.what();
    }
  }
  static void TearDownTestSuite() { program_.reset(); }

  void SetUp() override {
    MMF_SKIP_OR_FAIL_WITHOUT(PrometheusServer::available(), kMissing);
    ASSERT_NE(program_, nullptr) << setup_error_;
    const WaitResult up =
        prometheus().wait_for("up{job=\"mmf\"}", has_value(1), kFirstScrapeTimeout);
    ASSERT_TRUE(up.accepted) << up.describe("up") << "\ntargets: " << prometheus().targets();
  }

  static const PrometheusServer& prometheus() { return *program_->prometheus; }

  static inline std::unique_ptr<ScrapedProgram> program_;
  static inline std::string setup_error_;
};

TEST_F(PrometheusScrapeTest, ScrapedSeriesMatchRecordedValues) {
  const PrometheusServer& p = prometheus();
  EXPECT_EQ(single_value(p.query("mmf_it_payments_total{status=\"ok\",method=\"card\"}")), 4);
  const json by_status = p.query("sum by (status) (mmf_it_payments_total)");
  EXPECT_EQ(values_by(by_status, "status"),
            (std::map<std::string, double>{{"failed", 3}, {"ok", 7}}))
      << by_status;
  EXPECT_EQ(single_value(p.query("mmf_it_queue_depth")), 12.5);
  EXPECT_EQ(single_value(p.query("mmf_it_active_requests")), 3);
  EXPECT_EQ(single_value(p.query("mmf_it_request_duration_seconds_count")), 10);
  EXPECT_NEAR(single_value(p.query("mmf_it_request_duration_seconds_sum")), 5.9, 1e-9);
  const json le = p.query("mmf_it_request_duration_seconds_bucket");
  EXPECT_EQ(values_by(le, "le"),
            (std::map<std::string, double>{
                {"0.1", 2}, {"0.5", 8}, {"1.0", 8}, {"5.0", 10}, {"+Inf", 10}}))
      << le;
  // The 5th of 10 observations lies in (0.1, 0.5], the 9th in (1, 5].
  const double median =
      single_value(p.query("histogram_quantile(0.5, mmf_it_request_duration_seconds_bucket)"));
  EXPECT_GT(median, 0.1);
  EXPECT_LE(median, 0.5);
  const double p90 =
      single_value(p.query("histogram_quantile(0.9, mmf_it_request_duration_seconds_bucket)"));
  EXPECT_GT(p90, 1);
  EXPECT_LE(p90, 5);
  const json info = p.query("target_info{job=\"mmf\"}");
  ASSERT_EQ(info.size(), 1u) << info;
  EXPECT_EQ(info[0]["metric"].value("service_name", ""), kServiceName) << info;
}

TEST_F(PrometheusScrapeTest, CounterRateMatchesRecordingRate) {
  const PrometheusServer& p = prometheus();
  // rate() extrapolates to the window's start only when its first sample lies within 1.1 scrape
  // intervals of it. While the series' first sample is in the window, it extrapolates half an
  // interval and reads ~25% low; five samples in [5s] mean the series is older than the window.
  const WaitResult enough =
      p.wait_for("count_over_time(mmf_it_ticks_total[5s]) >= 5", has_samples, 15s);
  ASSERT_TRUE(enough.accepted) << enough.describe("count_over_time");
  const double rate = single_value(p.query("rate(mmf_it_ticks_total[5s])"));
  // Loose: scrape start and collection drift apart by milliseconds on a busy machine.
  EXPECT_GT(rate, kTicksPerSecond * 0.6);
  EXPECT_LT(rate, kTicksPerSecond * 1.4);
}

TEST_F(PrometheusScrapeTest, ScrapesWithExemplarsAreHealthyAndKeepTraceIds) {
  const PrometheusServer& p = prometheus();
  const json target = target_of(p, "mmf");
  ASSERT_TRUE(target.is_object()) << p.targets();
  EXPECT_EQ(target["health"], "up") << target;
  EXPECT_EQ(target["lastError"], "") << target;

  const auto now = std::chrono::system_clock::now();
  const std::string range =
      "&start=" + unix_seconds(now - 10min) + "&end=" + unix_seconds(now + 1min);
  for (const char* series : {"mmf_it_request_duration_seconds_bucket", "mmf_it_payments_total"}) {
    const json exemplars =
        p.api_get(std::string("/api/v1/query_exemplars?query=") + series + range);
    std::vector<std::string> trace_ids;
    for (const json& per_series : exemplars) {
      for (const json& exemplar : per_series["exemplars"]) {
        trace_ids.push_back(exemplar["labels"].value("trace_id", ""));
      }
    }
    EXPECT_EQ(trace_ids, std::vector<std::string>{program_->trace_id})
        << series << ": " << exemplars;
  }
  // Some rejections (an exemplar older than the last one) show only from the second scrape on.
  const WaitResult scrapes =
      p.wait_for("count_over_time(up{job=\"mmf\"}[1m]) >= 3", has_samples, 10s);
  ASSERT_TRUE(scrapes.accepted) << scrapes.describe("count_over_time(up)");
  EXPECT_EQ(p.ingestion_problems(), "");
}

// A MetricsServer with a bearer token, scraped by two jobs: one with the token, one with a
// wrong one.
class PrometheusBearerTokenTest : public ::testing::Test {
 protected:
  void SetUp() override { MMF_SKIP_OR_FAIL_WITHOUT(PrometheusServer::available(), kMissing); }
};

TEST_F(PrometheusBearerTokenTest, ScrapesNeedTheServersToken) {
  MetricRegistry registry;
  registry.create_counter("mmf_it_secured_total", "Behind a token").inc(1);
  MetricsServer server(registry,
                       {.bind_address = "127.0.0.1", .port = 0, .bearer_token = "s3cret"});
  const std::string target = "127.0.0.1:" + std::to_string(server.port());
  PrometheusServer p({.jobs = {{.name = "good", .target = target, .bearer_token = "s3cret"},
                               {.name = "bad", .target = target, .bearer_token = "wrong"}}});

  const WaitResult good = p.wait_for("up{job=\"good\"}", has_value(1), kFirstScrapeTimeout);
  ASSERT_TRUE(good.accepted) << good.describe("up{job=\"good\"}") << "\n" << p.targets();
  const WaitResult bad = p.wait_for("up{job=\"bad\"}", has_value(0), 5s);
  ASSERT_TRUE(bad.accepted) << bad.describe("up{job=\"bad\"}") << "\n" << p.targets();

  EXPECT_EQ(single_value(p.query("mmf_it_secured_total{job=\"good\"}")), 1);
  EXPECT_EQ(p.query("mmf_it_secured_total{job=\"bad\"}"), json::array());
  const json good_target = target_of(p, "good");
  EXPECT_EQ(good_target["health"], "up") << good_target;
  EXPECT_EQ(good_target["lastError"], "") << good_target;
  const json bad_target = target_of(p, "bad");
  EXPECT_EQ(bad_target["health"], "down") << bad_target;
  EXPECT_NE(bad_target["lastError"].get<std::string>().find("401"), std::string::npos)
      << bad_target;
  EXPECT_GE(server.rejected(), 1u);
}

}  // namespace
}  // namespace mmf
