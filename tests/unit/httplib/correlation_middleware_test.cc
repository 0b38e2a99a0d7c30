#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "mmf/httplib_client.h"
#include "mmf/httplib_middleware.h"
#include "mmf/metrics_scrape.h"
#include "mmf/testing.h"
#include "mmf/testing_matchers.h"

namespace mmf {
namespace {

using test::HasAttribute;
using test::HasKind;
using test::HasName;
using test::IsChildOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// An instrumented httplib server on a free loopback port, and what it recorded.
class CorrelationMiddlewareTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    instrumentation_ = std::make_unique<HttpServerInstrumentation>(
        traces_.tracer(), registry_, Propagator(), std::move(options), &logs_.pipeline());
    middleware_ = std::make_unique<CorrelationMiddleware>(server_, *instrumentation_);
    middleware_->Get(
        "/users/{id}", [](const httplib::Request& request, httplib::Response& response) {
          response.set_content(
              "user " + route_parameter(request, "id") + " " + get_correlation_id(), "text/plain");
        });
    middleware_->Post("/fail", [](const httplib::Request&, httplib::Response&) {
      MMF_LOG_DEBUG("about to fail");
      throw std::runtime_error("card processor down");
    });
    middleware_->Get("/baggage", [](const httplib::Request&, httplib::Response& response) {
      std::map<std::string, std::string> outgoing;
      Propagator().inject(outgoing);
      response.set_content(outgoing["baggage"], "text/plain");
    });
    middleware_->Get("/unavailable", [](const httplib::Request&, httplib::Response& response) {
      response.status = 503;
    });
    server_.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("ok", "text/plain");
    });
    server_.set_tcp_nodelay(true);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~CorrelationMiddlewareTest() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() { return httplib::Client("127.0.0.1", port_); }
  // The server span ends in httplib's logger, after the response went out: wait for it.
  const test::RecordedSpan& ended_span(std::string_view name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (const test::RecordedSpan* found = traces_.find(name)) return *found;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("no span called " + std::string(name));
  }
  // The metrics once they hold expected (recorded in httplib's logger, after the response).
  std::string metrics_with(const std::string& expected) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string text = metrics();
    while (text.find(expected) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      text = metrics();
    }
    return text;
  }
  std::string metrics() {
    return scrape_metrics(registry_, "", "", {.process_metrics = false}).body;
  }

  test::TraceRecorder traces_;
  test::LogCapture logs_;
  MetricRegistry registry_;
  std::unique_ptr<HttpServerInstrumentation> instrumentation_;
  httplib::Server server_;
  std::unique_ptr<CorrelationMiddleware> middleware_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(CorrelationMiddlewareTest, TheHandlerRunsInTheCallersTraceWithItsCorrelationId) {
  start();
  auto response = client().Get("/users/42", {{"traceparent", kTraceparent},
                                             {"X-Correlation-ID", "corr-123"},
                                             {"User-Agent", "test-agent"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "user 42 corr-123");
  EXPECT_EQ(response->get_header_value("X-Correlation-ID"), "corr-123");
  EXPECT_FALSE(response->get_header_value("X-Request-ID").empty());

  const test::RecordedSpan& span = ended_span("GET /users/{id}");
  EXPECT_THAT(span, HasKind(SpanKind::kServer));
  EXPECT_EQ(span.trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span.parent_span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_THAT(span, HasAttribute("http.route", "/users/{id}"));
  EXPECT_THAT(span, HasAttribute("url.path", "/users/42"));
  EXPECT_THAT(span, HasAttribute("http.request.method", "GET"));
  EXPECT_THAT(span, HasAttribute("http.response.status_code", std::int64_t{200}));
  EXPECT_THAT(span, HasAttribute("user_agent.original", "test-agent"));
  EXPECT_THAT(span, HasAttribute("client.address", "127.0.0.1"));
  EXPECT_THAT(span, HasAttribute("correlation_id", "corr-123"));

  const std::string text = metrics();
  EXPECT_THAT(text,
              HasSubstr("http_server_request_duration_seconds_count{http_request_method=\"GET\","
                        "http_route=\"/users/{id}\",http_response_status_code=\"200\"} 1"));
  EXPECT_THAT(text, HasSubstr("mmf_correlation_requests_total{origin=\"incoming\"} 1"));
  EXPECT_THAT(text, HasSubstr("http_server_active_requests{http_request_method=\"GET\"} 0"));
}

TEST_F(CorrelationMiddlewareTest, AThrowingHandlerGetsA500WithTheCorrelationIdAndTheServerGoesOn) {
  start();
  auto failed = client().Post("/fail", {{"X-Correlation-ID", "corr-fail"}}, "x", "text/plain");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_THAT(failed->body, HasSubstr("\"correlation_id\":\"corr-fail\""));
  const test::RecordedSpan& span = ended_span("POST /fail");
  EXPECT_THAT(span, test::HasStatusError());
  EXPECT_THAT(span, test::HasEvent("exception", "exception.type", "std::runtime_error"));
  EXPECT_THAT(span, HasAttribute("error.type", "std::runtime_error"));
  EXPECT_THAT(logs_.records(), Contains(test::HasCorrelationId("corr-fail")));

  auto after = client().Get("/users/7");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(CorrelationMiddlewareTest, UnmatchedPathsShareOneSeriesAndExcludedPathsNone) {
  start();
  for (int i = 0; i < 50; ++i) {
    auto response = client().Get("/random/" + std::to_string(i));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
  }
  ASSERT_TRUE(client().Get("/healthz"));
  const std::string text =
      metrics_with("http_route=\"unmatched\",http_response_status_code=\"404\"} 50");
  EXPECT_THAT(text,
              HasSubstr("http_server_request_duration_seconds_count{http_request_method=\"GET\","
                        "http_route=\"unmatched\",http_response_status_code=\"404\"} 50"));
  EXPECT_THAT(text, Not(HasSubstr("/random/")));
  EXPECT_THAT(text, Not(HasSubstr("healthz")));
  EXPECT_THAT(text, HasSubstr("mmf_correlation_requests_total{origin=\"generated\"} 50"));
}

TEST_F(CorrelationMiddlewareTest, FiveHundredsAreErrorsAndFourHundredsAreNot) {
  start();
  ASSERT_TRUE(client().Get("/unavailable"));
  ASSERT_TRUE(client().Get("/nowhere"));
  EXPECT_THAT(ended_span("GET /unavailable"), test::HasStatusError());
  EXPECT_THAT(ended_span("GET"), Not(test::HasStatusError()));
}

TEST_F(CorrelationMiddlewareTest, TheClientPropagatesItsSpanAndTheServerContinuesIt) {
  start({.traceresponse = true});
  HttpClientInstrumentation client_instrumentation(traces_.tracer(), registry_, Propagator(),
                                                   {.peer_service = "users"});
  CorrelationHttpClient users("http://127.0.0.1:" + std::to_string(port_), client_instrumentation);
  std::string traceresponse;
  {
    Span parent = traces_.tracer().start_span("checkout");
    auto scope = parent.activate();
    CorrelationScope correlation({.correlation_id = "corr-client"});
    auto response = users.Get("/users/9?token=secret&page=2");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "user 9 corr-client");
    traceresponse = response->get_header_value("traceresponse");
  }
  const test::RecordedSpan& checkout = ended_span("checkout");
  const test::RecordedSpan& call = ended_span("GET");
  const test::RecordedSpan& served = ended_span("GET /users/{id}");
  EXPECT_THAT(call, IsChildOf(checkout));
  EXPECT_THAT(call, HasKind(SpanKind::kClient));
  EXPECT_THAT(served, IsChildOf(call));
  EXPECT_THAT(call, HasAttribute("peer.service", "users"));
  EXPECT_THAT(call, HasAttribute("url.full", "http://127.0.0.1:" + std::to_string(port_) +
                                                 "/users/9?token=REDACTED&page=2"));
  // Sampled, and (W3C Level 2) a random trace ID: flags 03.
  EXPECT_EQ(traceresponse,
            "00-" + served.trace_id.to_hex() + "-" + served.span_id.to_hex() + "-03");
  EXPECT_THAT(metrics(),
              HasSubstr("http_client_request_duration_seconds_count{http_request_method="
                        "\"GET\",server_address=\"127.0.0.1\",server_port=\"" +
                        std::to_string(port_) + "\",http_response_status_code=\"200\"} 1"));
}

TEST_F(CorrelationMiddlewareTest, HostileTrafficKeepsSeriesBoundedAndTheServerServing) {
  start();
  httplib::Client c = client();
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  for (int i = 0; i < 10000; ++i) {
    const std::string n = std::to_string(i);
    httplib::Headers headers = {{"X-Correlation-ID", "flood-" + n},
                                {"traceparent", i % 2 ? "00-zz" : std::string(600, '0')}};
    auto response = c.Get(i % 2 ? "/users/" + n : "/no/such/" + n, headers);
    ASSERT_TRUE(response) << i;
  }
  // Oversized and malformed headers: refused or ignored, never a crash.
  auto huge = client().Get("/users/1", {{"baggage", std::string(64 * 1024, 'b')},
                                        {"X-Correlation-ID", std::string(4096, 'c')},
                                        {"tracestate", std::string(8192, ',')}});
  ASSERT_TRUE(huge);
  auto control = client().Get("/users/1", {{"X-Correlation-ID", "bad id\x01"}});
  ASSERT_TRUE(control);
  EXPECT_EQ(control->status, 200);
  EXPECT_NE(control->get_header_value("X-Correlation-ID"), "bad id\x01");

  ended_span("GET /users/{id}");
  const std::string text = metrics();
  std::size_t series = 0;
  for (std::size_t at = 0;
       (at = text.find("http_server_request_duration_seconds_count{", at)) != std::string::npos;
       ++at) {
    ++series;
  }
  EXPECT_LE(series, 3u) << text;  // /users/{id} 200, unmatched 404 (and 431 for the oversized)
  EXPECT_THAT(text, Not(HasSubstr("flood-")));
  EXPECT_THAT(text, Not(HasSubstr("/no/such")));
}

// cpp-httplib 0.11 percent-decodes header values; the middleware encodes baggage values again,
// so that what the sender encoded arrives as it was sent (W3C Baggage, RFC 3986 encoding).
TEST_F(CorrelationMiddlewareTest, PercentEncodedBaggageValuesSurviveHttplibsDecoding) {
  start();
  auto response = client().Get(
      "/baggage", {{"baggage", "note=Zo%C3%AB%202%20%22gift%22%2050%25, promo = %2541BC ;ttl=30"}});
  ASSERT_TRUE(response);
  EXPECT_THAT(response->body, HasSubstr("note=Zo%C3%AB%202%20%22gift%22%2050%25"));
  EXPECT_THAT(response->body, HasSubstr("promo=%2541BC;ttl=30"));
}

}  // namespace
}  // namespace mmf
