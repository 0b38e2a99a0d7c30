// The HTTP server's metrics as the request path records them: the active requests' series
// looked up once per method, and the histograms' series kept in a per-thread cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "mmf/http_server.h"
#include "mmf/metrics_scrape.h"
#include "mmf/testing.h"

namespace mmf {
namespace {

using test::MetricSnapshot;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kNoHeaders = [](Propagator::HeaderVisitor) {};

void serve(HttpServerInstrumentation& http, std::string_view method, std::string_view route,
           int status, std::uint64_t response_bytes = 20) {
  HttpServerCall call(http, {.method = method, .path = "/x", .headers = kNoHeaders});
  if (!route.empty()) call.set_route(route);
  call.end(status, 10, response_bytes);
}

std::uint64_t requests(const MetricRegistry& registry, std::string_view method,
                       std::string_view route, std::string_view status) {
  return MetricSnapshot::of(registry)
      .count("http_server_request_duration_seconds", {{"http_request_method", method},
                                                      {"http_route", route},
                                                      {"http_response_status_code", status}})
      .value_or(0);
}

TEST(HttpServerMetrics, RepeatedRequestsAreCountedInEveryHistogram) {
  test::TraceRecorder traces;
  MetricRegistry registry;
  HttpServerInstrumentation http(traces.tracer(), registry, Propagator());
  for (int i = 0; i < 5; ++i) serve(http, "GET", "/a", 200, 100);
  for (int i = 0; i < 3; ++i) serve(http, "GET", "/b", 200);
  for (int i = 0; i < 2; ++i) serve(http, "GET", "/a", 404);
  for (int i = 0; i < 4; ++i) serve(http, "POST", "/a", 200);
  serve(http, "GET", "", 0);  // no route and no response

  EXPECT_EQ(requests(registry, "GET", "/a", "200"), 5u);
  EXPECT_EQ(requests(registry, "GET", "/b", "200"), 3u);
  EXPECT_EQ(requests(registry, "GET", "/a", "404"), 2u);
  EXPECT_EQ(requests(registry, "POST", "/a", "200"), 4u);
  EXPECT_EQ(requests(registry, "GET", "unmatched", ""), 1u);
  const MetricSnapshot snapshot = MetricSnapshot::of(registry);
  const LabelValues get_a = {
      {"http_request_method", "GET"}, {"http_route", "/a"}, {"http_response_status_code", "200"}};
  EXPECT_EQ(snapshot.count("http_server_request_body_size_bytes", get_a), 5u);
  EXPECT_EQ(snapshot.sum("http_server_request_body_size_bytes", get_a), 50.0);
  EXPECT_EQ(snapshot.sum("http_server_response_body_size_bytes", get_a), 500.0);
  EXPECT_EQ(snapshot.value("http_server_active_requests", {{"http_request_method", "GET"}}), 0.0);
  EXPECT_EQ(snapshot.value("http_server_active_requests", {{"http_request_method", "POST"}}), 0.0);
}

TEST(HttpServerMetrics, ActiveRequestsShowOnlyTheMethodsThatCame) {
  test::TraceRecorder traces;
  MetricRegistry registry;
  HttpServerInstrumentation http(traces.tracer(), registry, Propagator());
  {
    HttpServerCall call(http, {.method = "PUT", .path = "/x", .headers = kNoHeaders});
    EXPECT_EQ(MetricSnapshot::of(registry).value("http_server_active_requests",
                                                 {{"http_request_method", "PUT"}}),
              1.0);
  }
  serve(http, "BREW", "/pot", 418);
  const std::string text = scrape_metrics(registry, "", "", {.process_metrics = false}).body;
  EXPECT_THAT(text, HasSubstr("http_server_active_requests{http_request_method=\"PUT\"} 0"));
  EXPECT_THAT(text, HasSubstr("http_server_active_requests{http_request_method=\"_OTHER\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("http_server_active_requests{http_request_method=\"GET\"}")));
}

// The cache is keyed by a process-unique id, not the address: an instrumentation (and registry)
// made where destroyed ones lived must record into its own series, never the old ones.
TEST(HttpServerMetrics, AnInstrumentationMadeAfterAnotherOneDiedRecordsIntoItsOwnRegistry) {
  test::TraceRecorder traces;
  for (int round = 0; round < 4; ++round) {
    auto registry = std::make_unique<MetricRegistry>();
    auto http =
        std::make_unique<HttpServerInstrumentation>(traces.tracer(), *registry, Propagator());
    for (int i = 0; i <= round; ++i) serve(*http, "GET", "/same", 200);
    EXPECT_EQ(requests(*registry, "GET", "/same", "200"), static_cast<std::uint64_t>(round + 1));
  }
}

TEST(HttpServerMetrics, TwoInstrumentationsOnOneThreadKeepTheirSeriesApart) {
  test::TraceRecorder traces;
  MetricRegistry first_registry;
  MetricRegistry second_registry;
  HttpServerInstrumentation first(traces.tracer(), first_registry, Propagator());
  HttpServerInstrumentation second(traces.tracer(), second_registry, Propagator());
  for (int i = 0; i < 3; ++i) {
    serve(first, "GET", "/r", 200);
    serve(second, "GET", "/r", 200);
    serve(second, "GET", "/r", 200);
  }
  EXPECT_EQ(requests(first_registry, "GET", "/r", "200"), 3u);
  EXPECT_EQ(requests(second_registry, "GET", "/r", "200"), 6u);
}

TEST(HttpServerMetrics, ManyRoutesAndLongRoutesAreAllCounted) {
  test::TraceRecorder traces;
  MetricRegistry registry;
  HttpServerInstrumentation http(traces.tracer(), registry, Propagator());
  const std::string long_route = "/" + std::string(300, 'r');
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) serve(http, "GET", "/r" + std::to_string(i), 200);
    serve(http, "GET", long_route, 200);
  }
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(requests(registry, "GET", "/r" + std::to_string(i), "200"), 3u) << i;
  }
  EXPECT_EQ(requests(registry, "GET", long_route, "200"), 3u);
}

TEST(HttpServerMetrics, PastTheCardinalityLimitEveryRecordingIsCountedAsOverflow) {
  test::TraceRecorder traces;
  MetricRegistry registry({.cardinality_limit = 1});
  HttpServerInstrumentation http(traces.tracer(), registry, Propagator());
  serve(http, "GET", "/first", 200);
  const std::uint64_t before = registry.stats().overflowed;
  for (int i = 0; i < 5; ++i) serve(http, "GET", "/second", 200);
  // Each of the 5 requests sends its 3 histogram recordings to the overflow series.
  EXPECT_EQ(registry.stats().overflowed - before, 15u);
}

TEST(HttpServerMetrics, EachThreadRecordsIntoTheSameSeries) {
  test::TraceRecorder traces;
  MetricRegistry registry;
  HttpServerInstrumentation http(traces.tracer(), registry, Propagator());
  std::thread a([&] {
    for (int i = 0; i < 50; ++i) serve(http, "GET", "/t", 200);
  });
  std::thread b([&] {
    for (int i = 0; i < 50; ++i) serve(http, "GET", "/t", 200);
  });
  a.join();
  b.join();
  EXPECT_EQ(requests(registry, "GET", "/t", "200"), 100u);
}

}  // namespace
}  // namespace mmf
