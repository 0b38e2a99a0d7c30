// A real Prometheus (Debian's prometheus 2.42) scrapes an instrumented cpp-httplib service under
// load: the HTTP server metrics that CorrelationMiddleware records must give sane PromQL
// answers, in particular histogram_quantile over http_server_request_duration_seconds by route.
// The service has a fast route and a slow one (about 40 ms); the 90th percentile of the slow one
// must be in the bucket range around 40 ms and the fast one's well below it. Without
// /usr/bin/prometheus the test skips, or fails when MMF_REQUIRE_TOOLS=1.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "mmf/httplib_middleware.h"
#include "mmf/metrics_httplib.h"
#include "mmf/tracer.h"
#include "prometheus_server.h"
#include "unit/metrics/tool_support.h"

namespace mmf {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing_support::has_samples;
using testing_support::PrometheusServer;
using testing_support::WaitResult;

// The value of each series of a vector result, keyed by the value of one label.
std::map<std::string, double> values_by(const json& result, const std::string& label) {
  std::map<std::string, double> values;
  for (const json& sample : result) {
    values[sample["metric"].value(label, "")] = std::stod(sample["value"][1].get<std::string>());
  }
  return values;
}

TEST(HttpPrometheus, HistogramQuantileByRouteIsSaneUnderLoad) {
  MMF_SKIP_OR_FAIL_WITHOUT(PrometheusServer::available(),
                           "/usr/bin/prometheus not found (Debian package prometheus)");
  MetricRegistry registry;
  // Sampled at 10%: exemplars come with the histogram, as in production.
  Tracer tracer({.sampler = parent_based_sampler(trace_id_ratio_sampler(0.1))});
  HttpServerInstrumentation http(tracer, registry, Propagator());
  httplib::Server server;
  server.set_tcp_nodelay(true);
  CorrelationMiddleware middleware(server, http);
  middleware.Get("/fast/{id}", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok", "text/plain");
  });
  middleware.Get("/slow/{id}", [](const httplib::Request&, httplib::Response& response) {
    std::this_thread::sleep_for(40ms);
    response.set_content("ok", "text/plain");
  });
  mount_metrics(server, registry);  // /metrics is excluded from the instrumentation
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listener([&] { server.listen_after_bind(); });

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> sent{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      for (std::uint64_t n = 0; !stop.load(); ++n) {
        // One thread on the slow route, three on the fast one; distinct paths every time.
        const std::string path = (t == 0 ? "/slow/" : "/fast/") + std::to_string(n);
        auto result = client.Get(path, {{"X-Correlation-ID", "load-" + std::to_string(n)}});
        if (result && result->status == 200) sent.fetch_add(1);
        if (t != 0) std::this_thread::sleep_for(1ms);  // leave the CPU to the others
      }
    });
  }

  {
    PrometheusServer prometheus({.jobs = {{.target = "127.0.0.1:" + std::to_string(port)}}});
    const std::string quantile =
        "histogram_quantile(0.9, sum by (le, http_route) "
        "(rate(http_server_request_duration_seconds_bucket[5s])))";
    const WaitResult both = prometheus.wait_for(
        quantile, [](const json& result) { return result.size() == 2; }, 40s);
    ASSERT_TRUE(both.accepted) << both.describe(quantile) << prometheus.log_tail();
    const std::map<std::string, double> p90 = values_by(both.result, "http_route");
    ASSERT_EQ(p90.count("/slow/{id}"), 1u);
    ASSERT_EQ(p90.count("/fast/{id}"), 1u);
    // 40 ms lands in the (0.025, 0.05] bucket, maybe (0.05, 0.075] on a loaded machine.
    EXPECT_GT(p90.at("/slow/{id}"), 0.025);
    EXPECT_LT(p90.at("/slow/{id}"), 0.1);
    EXPECT_LT(p90.at("/fast/{id}"), 0.025);

    // Request rates by route and status, and nothing labelled by raw path.
    const json rates = prometheus.query(
        "sum by (http_route, http_response_status_code) "
        "(rate(http_server_request_duration_seconds_count[5s]))");
    const std::map<std::string, double> by_route = values_by(rates, "http_route");
    EXPECT_EQ(by_route.size(), 2u) << rates.dump();
    EXPECT_GT(by_route.at("/fast/{id}"), by_route.at("/slow/{id}"));
    EXPECT_TRUE(
        prometheus
            .query("count({__name__=~\"http_server.*\", http_route=~\"/(fast|slow)/[0-9]+\"})")
            .empty());
    // Every request arrived with a correlation ID.
    const WaitResult incoming = prometheus.wait_for(
        "mmf_correlation_requests_total{origin=\"incoming\"}", has_samples, 10s);
    EXPECT_TRUE(incoming.accepted);
    EXPECT_TRUE(
        prometheus.query("mmf_correlation_requests_total{origin=\"generated\"} > 0").empty());
    EXPECT_EQ(prometheus.ingestion_problems(), "");
  }
  stop.store(true);
  for (auto& thread : load) thread.join();
  server.stop();
  listener.join();
  EXPECT_GT(sent.load(), 100u);
}

}  // namespace
}  // namespace mmf
