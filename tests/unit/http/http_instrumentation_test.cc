// The framework-neutral HTTP instrumentation (mmf/http_server.h, mmf/http_client.h), driven
// directly as an adapter would drive it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mmf/http_client.h"
#include "mmf/http_server.h"
#include "mmf/metrics_scrape.h"
#include "mmf/testing.h"
#include "mmf/testing_matchers.h"
#include "mmf/unified.h"
#include "trace/clock.h"

namespace mmf {
namespace {

using test::HasAttribute;
using test::HasName;
using test::MetricSnapshot;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using Headers = std::vector<std::pair<std::string, std::string>>;

// What an adapter would pass for a request with these headers.
struct Request {
  std::string method = "GET";
  std::string path = "/orders/7";
  Headers headers;

  template <class Fn>
  auto with(Fn&& fn) {
    const auto visit = [this](Propagator::HeaderVisitor visitor) {
      for (const auto& header : headers) visitor(header.first, header.second);
    };
    return fn(HttpServerRequest{.method = method,
                                .path = path,
                                .server_address = "shop.example",
                                .server_port = 8080,
                                .client_address = "10.0.0.9",
                                .client_port = 50123,
                                .user_agent = "curl/7.88",
                                .headers = visit});
  }
};

class HttpInstrumentationTest : public ::testing::Test {
 protected:
  HttpServerInstrumentation& server(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServerInstrumentation>(traces_.tracer(), registry_, Propagator(),
                                                          std::move(options), &logs_.pipeline());
    return *server_;
  }
  // One request through the instrumentation: route, then status.
  void serve(HttpServerInstrumentation& http, Request request, std::string_view route, int status) {
    request.with([&](const HttpServerRequest& r) {
      HttpServerCall call(http, r);
      if (!route.empty()) call.set_route(route);
      call.end(status, 10, 20);
      return 0;
    });
  }
  // A GET /orders/7 routed as /orders/{id} whose handler takes pause.
  void request_with_pause(HttpServerInstrumentation& http, std::chrono::milliseconds pause) {
    Request{}.with([&](const HttpServerRequest& r) {
      HttpServerCall call(http, r);
      call.set_route("/orders/{id}");
      std::this_thread::sleep_for(pause);
      call.end(200, 10, 20);
      return 0;
    });
  }
  std::string metrics() {
    return scrape_metrics(registry_, "", "", {.process_metrics = false}).body;
  }

  test::TraceRecorder traces_;
  test::LogCapture logs_;
  MetricRegistry registry_;
  std::unique_ptr<HttpServerInstrumentation> server_;
};

TEST(NormalizedHttpMethod, KnownMethodsStayAndOthersAreOther) {
  EXPECT_EQ(normalized_http_method("GET"), "GET");
  EXPECT_EQ(normalized_http_method("PATCH"), "PATCH");
  EXPECT_EQ(normalized_http_method("get"), "_OTHER");
  EXPECT_EQ(normalized_http_method("PROPFIND"), "_OTHER");
  EXPECT_EQ(normalized_http_method(""), "_OTHER");
  EXPECT_EQ(normalized_http_method(std::string(10000, 'G')), "_OTHER");
}

TEST(RouteTemplate, MatchesWholeSegments) {
  const RouteTemplate route("/users/{id}/orders/{order}");
  EXPECT_THAT(route.parameter_names(), ElementsAre("id", "order"));
  EXPECT_THAT(*route.match("/users/42/orders/a-7"), ElementsAre("42", "a-7"));
  EXPECT_FALSE(route.match("/users/42/orders/"));
  EXPECT_FALSE(route.match("/users//orders/7"));
  EXPECT_FALSE(route.match("/users/42/orders/7/more"));
  EXPECT_FALSE(route.match("/users/42"));
  EXPECT_EQ(route.regex(), "/users/([^/]+)/orders/([^/]+)");
  const RouteTemplate plain("/v1.0/health+check");
  EXPECT_TRUE(plain.match("/v1.0/health+check"));
  EXPECT_FALSE(plain.match("/v1x0/health+check"));
  EXPECT_EQ(plain.regex(), "/v1\\.0/health\\+check");
  EXPECT_TRUE(RouteTemplate("/").match("/"));
}

TEST(RouteTemplate, RefusesWhatItCannotMatchWithAClearMessage) {
  for (const char* bad : {"users/{id}", "/users/{id", "/users/id}", "/users/{}", "/users/{a-b}",
                          "/users/{id}/{id}", "/users/x{id}", "/users/{id}.json", ""}) {
    try {
      RouteTemplate route(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& error) {
      EXPECT_THAT(error.what(), HasSubstr("route template '" + std::string(bad) + "'"));
    }
  }
}

TEST(SanitizedUrl, DropsCredentialsAndRedactsSecretQueryValues) {
  const std::vector<std::string> secret = HttpClientOptions{}.redacted_query_parameters;
  EXPECT_EQ(sanitized_url("https://alice:pw@api.example:8443/pay?amount=5&token=abc#frag", secret),
            "https://api.example:8443/pay?amount=5&token=REDACTED");
  EXPECT_EQ(sanitized_url("http://h/x?X-Amz-Signature=s&sig=1&Sig=2&a=b", secret),
            "http://h/x?X-Amz-Signature=REDACTED&sig=REDACTED&Sig=REDACTED&a=b");
  EXPECT_EQ(sanitized_url("http://h/x?token&a=1", secret), "http://h/x?token&a=1");
  EXPECT_EQ(sanitized_url("http://h/a@b", secret), "http://h/a@b");
  EXPECT_EQ(sanitized_url("http://[::1]:80/", secret), "http://[::1]:80/");
  EXPECT_EQ(sanitized_url("not a url?password=x", secret), "not a url?password=REDACTED");
}

TEST_F(HttpInstrumentationTest, AServerCallMakesTheContextCurrentUntilItEnds) {
  auto& http = server();
  Request request{
      .headers = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                  {"X-Correlation-ID", "corr-1"}}};
  EXPECT_TRUE(get_correlation_id().empty());
  request.with([&](const HttpServerRequest& r) {
    HttpServerCall call(http, r);
    EXPECT_EQ(get_correlation_id(), "corr-1");
    EXPECT_EQ(Context::current().span_context().span_id, call.span().context().span_id);
    call.set_route("/orders/{id}");
    std::map<std::string, std::string> response;
    call.add_response_headers(
        [&](std::string_view name, std::string_view value) { response.emplace(name, value); });
    EXPECT_EQ(response.at("X-Correlation-ID"), "corr-1");
    EXPECT_EQ(response.count("traceresponse"), 0u);  // off by default
    call.end(201, 10, 20);
    EXPECT_TRUE(get_correlation_id().empty());  // restored at end(), not at destruction
    return 0;
  });
  const auto spans = traces_.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_THAT(spans[0], HasName("GET /orders/{id}"));
  EXPECT_THAT(spans[0], HasAttribute("server.address", "shop.example"));
  EXPECT_THAT(spans[0], HasAttribute("server.port", std::int64_t{8080}));
  EXPECT_THAT(spans[0], HasAttribute("client.port", std::int64_t{50123}));
  EXPECT_THAT(spans[0], HasAttribute("url.scheme", "http"));
  EXPECT_THAT(spans[0], Not(test::HasStatusError()));
  EXPECT_THAT(metrics(), HasSubstr("http_server_request_body_size_bytes_sum{http_request_method="
                                   "\"GET\",http_route=\"/orders/{id}\",http_response_status_code="
                                   "\"201\"} 10"));
}

TEST_F(HttpInstrumentationTest, ACallNeverEndedIsAnErrorWithoutAStatus) {
  auto& http = server();
  Request{}.with([&](const HttpServerRequest& r) {
    HttpServerCall call(http, r);
    return 0;
  });
  const auto spans = traces_.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_THAT(spans[0], test::HasStatusError());
  EXPECT_THAT(spans[0], HasAttribute("error.type", "_OTHER"));
  EXPECT_THAT(metrics(), HasSubstr("http_route=\"unmatched\",http_response_status_code=\"\"} 1"));
  EXPECT_TRUE(get_correlation_id().empty());
}

TEST_F(HttpInstrumentationTest, HooksCapturedHeadersAndTraceresponse) {
  int hooks = 0;
  auto& http = server({.captured_request_headers = {"X-Tenant", "Accept"},
                       .captured_response_headers = {"Content-Type"},
                       .traceresponse = true,
                       .on_request = [&](Span&, const HttpServerRequest&) { ++hooks; },
                       .on_response =
                           [&](Span& span, int status) {
                             span.set_attribute("hooked.status", std::int64_t{status});
                             throw std::runtime_error("a hook's failure is swallowed");
                           }});
  Request request{.headers = {{"x-tenant", "acme"}, {"X-Tenant", "beta"}, {"Cookie", "secret"}}};
  std::string traceresponse;
  request.with([&](const HttpServerRequest& r) {
    HttpServerCall call(http, r);
    call.add_response_headers([&](std::string_view name, std::string_view value) {
      if (name == "traceresponse") traceresponse = value;
    });
    const Headers response = {{"Content-Type", "text/plain"}, {"Set-Cookie", "s"}};
    call.capture_response_headers([&](Propagator::HeaderVisitor visit) {
      for (const auto& header : response) visit(header.first, header.second);
    });
    call.end(200);
    return 0;
  });
  EXPECT_EQ(hooks, 1);
  const auto spans = traces_.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_THAT(spans[0], HasAttribute("http.request.header.x-tenant", "acme, beta"));
  EXPECT_THAT(spans[0], Not(HasAttribute("http.request.header.cookie")));
  EXPECT_THAT(spans[0], Not(HasAttribute("http.request.header.accept")));
  EXPECT_THAT(spans[0], HasAttribute("http.response.header.content-type", "text/plain"));
  EXPECT_THAT(spans[0], Not(HasAttribute("http.response.header.set-cookie")));
  EXPECT_THAT(spans[0], HasAttribute("hooked.status", std::int64_t{200}));
  EXPECT_EQ(traceresponse, format_traceparent(SpanContext{.trace_id = spans[0].trace_id,
                                                          .span_id = spans[0].span_id,
                                                          .flags = spans[0].flags}));
}

TEST_F(HttpInstrumentationTest, TheSpanLastsAsLongAsTheRecordedDuration) {
  // One clock reading starts the span and the duration, one ends both: the span's times and the
  // histogram agree to the nanosecond (within the double's rounding), and both are wall-clock
  // times of this request.
  auto& http = server();
  const std::int64_t before = detail::to_unix_nanos(std::chrono::system_clock::now());
  request_with_pause(http, std::chrono::milliseconds(20));
  const std::int64_t after = detail::to_unix_nanos(std::chrono::system_clock::now());
  const auto spans = traces_.spans();
  ASSERT_EQ(spans.size(), 1u);
  const std::int64_t span_nanos = spans[0].end_unix_nano - spans[0].start_unix_nano;
  EXPECT_GE(span_nanos, 20'000'000);
  const std::optional<double> seconds = MetricSnapshot::of(registry_).sum(
      "http_server_request_duration_seconds", {{"http_request_method", "GET"},
                                               {"http_route", "/orders/{id}"},
                                               {"http_response_status_code", "200"}});
  ASSERT_TRUE(seconds.has_value());
  EXPECT_NEAR(*seconds * 1e9, static_cast<double>(span_nanos), 1.0);
  // Wall-clock times: within the test's own readings (the end may be a few reads' time late).
  EXPECT_GE(spans[0].start_unix_nano, before);
  EXPECT_LE(spans[0].end_unix_nano, after + 50'000'000);
}

TEST_F(HttpInstrumentationTest, ExcludedPathsGetNothing) {
  auto& http = server();
  const auto before = MetricSnapshot::of(registry_);
  Request request{.path = "/healthz", .headers = {{"X-Correlation-ID", "corr-h"}}};
  request.with([&](const HttpServerRequest& r) {
    HttpServerCall call(http, r);
    EXPECT_FALSE(call.instrumented());
    EXPECT_TRUE(get_correlation_id().empty());
    call.set_route("/healthz");
    call.end(200);
    return 0;
  });
  EXPECT_TRUE(traces_.spans().empty());
  EXPECT_EQ(MetricSnapshot::delta(before, MetricSnapshot::of(registry_),
                                  "mmf_correlation_requests_total", {{"origin", "incoming"}}),
            0);
}

TEST_F(HttpInstrumentationTest, HostileInputKeepsLabelsBounded) {
  auto& http = server();
  serve(http, {.method = "BREW", .headers = {}}, "", 200);
  const auto spans = traces_.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_THAT(spans[0], HasName("HTTP"));
  EXPECT_THAT(spans[0], HasAttribute("http.request.method", "_OTHER"));
  EXPECT_THAT(spans[0], HasAttribute("http.request.method_original", "BREW"));
  // A flood (spans beyond the recorder's queue may be dropped: that is allowed).
  for (int i = 0; i < 2000; ++i) {
    const std::string n = std::to_string(i);
    serve(http,
          {.method = i % 2 ? "BREW" + n : "GET",
           .path = "/p/" + n,
           .headers = {{"X-Correlation-ID", i % 3 ? "c-" + n : "bad\r\nid" + n},
                       {"traceparent", "00-" + std::string(40, 'z')},
                       {"baggage", std::string(20000, 'b')}}},
          "", 100 + i);
  }
  const std::string text = metrics();
  EXPECT_THAT(text, Not(HasSubstr("BREW")));
  EXPECT_THAT(text, Not(HasSubstr("/p/")));
  EXPECT_THAT(text, HasSubstr("http_request_method=\"_OTHER\""));
  EXPECT_THAT(text, HasSubstr("mmf_correlation_requests_total{origin=\"rejected\"} 667"));
  EXPECT_THAT(text, HasSubstr("mmf_correlation_requests_total{origin=\"incoming\"} 1333"));
}

TEST_F(HttpInstrumentationTest, AnExceptionIsRecordedLoggedAndItsDebugLogsKept) {
  test::LogCapture logs(LoggingOptions{.level = LogLevel::kDebug, .trace_aware_debug = true});
  // The caller did not sample the trace: the request's debug records are held, and written
  // because it failed.
  TracerOptions options = test::TraceRecorder::default_options();
  options.sampler = parent_based_sampler(always_on_sampler());
  test::TraceRecorder unsampled(options);
  HttpServerInstrumentation http(unsampled.tracer(), registry_, Propagator(), {}, &logs.pipeline());
  Request request{
      .headers = {{"X-Correlation-ID", "corr-x"},
                  {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}}};
  request.with([&](const HttpServerRequest& r) {
    HttpServerCall call(http, r);
    call.set_route("/orders/{id}");
    logs.pipeline().logger().log(LogLevel::kDebug, "looking up the order");
    call.record_exception(std::out_of_range("no such order"));
    call.end(500);
    return 0;
  });
  EXPECT_TRUE(unsampled.spans().empty());
  EXPECT_EQ(logs.pipeline().stats().debug_released, 1u);
  const auto records = logs.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records, ::testing::Contains(test::HasMessage("looking up the order")));
  EXPECT_THAT(records, ::testing::Contains(::testing::AllOf(
                           test::HasMessage("unhandled exception in HTTP handler"),
                           test::HasCorrelationId("corr-x"),
                           test::HasLogField("exception.type", "std::out_of_range"),
                           test::HasLogField("http.route", "/orders/{id}"))));
}

TEST_F(HttpInstrumentationTest, AClientCallInjectsItsSpanAndTimesTheRequest) {
  HttpClientInstrumentation http(traces_.tracer(), registry_, Propagator());
  Span parent = traces_.tracer().start_span("checkout");
  std::map<std::string, std::string> headers;
  {
    auto scope = parent.activate();
    CorrelationScope correlation({.correlation_id = "corr-out"});
    HttpClientCall call(http, {.method = "POST", .url = "https://u:p@pay.example/charge?sig=x"});
    call.inject(headers);
    EXPECT_EQ(call.server_address(), "pay.example");
    EXPECT_EQ(call.server_port(), 443);
    call.end(503);
    HttpClientCall refused(http, {.method = "GET", .url = "http://10.1.1.1:9/"});
    refused.fail("connection");
  }
  parent.end();
  EXPECT_EQ(headers.at("X-Correlation-ID"), "corr-out");
  const test::RecordedSpan* post = traces_.find("POST");
  ASSERT_NE(post, nullptr);
  EXPECT_EQ(headers.at("traceparent"),
            format_traceparent(SpanContext{
                .trace_id = post->trace_id, .span_id = post->span_id, .flags = post->flags}));
  EXPECT_THAT(*post, HasAttribute("url.full", "https://pay.example/charge?sig=REDACTED"));
  EXPECT_THAT(*post, HasAttribute("peer.service", "pay.example"));
  EXPECT_THAT(*post, HasAttribute("error.type", "503"));
  EXPECT_THAT(*post, test::HasStatusError());
  const test::RecordedSpan* get = traces_.find("GET");
  ASSERT_NE(get, nullptr);
  EXPECT_THAT(*get, HasAttribute("error.type", "connection"));
  EXPECT_THAT(*get, Not(HasAttribute("http.response.status_code")));
  const std::string text = metrics();
  EXPECT_THAT(text, HasSubstr("http_client_request_duration_seconds_count{http_request_method="
                              "\"POST\",server_address=\"pay.example\",server_port=\"443\","
                              "http_response_status_code=\"503\"} 1"));
  EXPECT_THAT(text, HasSubstr("server_address=\"10.1.1.1\",server_port=\"9\","
                              "http_response_status_code=\"\"} 1"));
}

// The client keeps the series of a (method, address, port, status) in a per-thread cache:
// calls that differ in any one of them, on one thread, one after the other, must each count in
// their own series, and the same call again in the same one.
TEST_F(HttpInstrumentationTest, ClientCallsCountInTheSeriesOfTheirOwnLabels) {
  HttpClientInstrumentation http(traces_.tracer(), registry_, Propagator());
  const auto call = [&http](std::string_view method, std::string_view url, int status) {
    HttpClientCall one(http, {.method = method, .url = url});
    if (status > 0) {
      one.end(status);
    } else {
      one.fail("connection");
    }
  };
  for (int round = 0; round < 3; ++round) {
    call("GET", "http://stock.example:8081/items", 200);
    call("GET", "http://stock.example:8082/items", 200);  // another port
    call("GET", "http://stock.example/items", 200);       // the default port
    call("GET", "http://stock.example:8081/items", 404);  // another status
    call("PUT", "http://stock.example:8081/items", 200);  // another method
    call("GET", "http://other.example:8081/items", 200);  // another address
    call("GET", "http://stock.example:8081/items", 0);    // no response
  }
  const MetricSnapshot snapshot = MetricSnapshot::of(registry_);
  const auto count = [&snapshot](std::string_view method, std::string_view address,
                                 std::string_view port, std::string_view status) {
    return snapshot.count("http_client_request_duration_seconds",
                          {{"http_request_method", method},
                           {"server_address", address},
                           {"server_port", port},
                           {"http_response_status_code", status}});
  };
  EXPECT_EQ(count("GET", "stock.example", "8081", "200"), 3u);
  EXPECT_EQ(count("GET", "stock.example", "8082", "200"), 3u);
  EXPECT_EQ(count("GET", "stock.example", "80", "200"), 3u);
  EXPECT_EQ(count("GET", "stock.example", "8081", "404"), 3u);
  EXPECT_EQ(count("PUT", "stock.example", "8081", "200"), 3u);
  EXPECT_EQ(count("GET", "other.example", "8081", "200"), 3u);
  EXPECT_EQ(count("GET", "stock.example", "8081", ""), 3u);
}

TEST_F(HttpInstrumentationTest, AClientSpanLastsAsLongAsTheRecordedDuration) {
  HttpClientInstrumentation http(traces_.tracer(), registry_, Propagator());
  {
    HttpClientCall call(http, {.method = "GET", .url = "http://stock.example:8081/items/3"});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    call.end(200);
  }
  const test::RecordedSpan* span = traces_.find("GET");
  ASSERT_NE(span, nullptr);
  const std::optional<double> seconds = MetricSnapshot::of(registry_).sum(
      "http_client_request_duration_seconds", {{"http_request_method", "GET"},
                                               {"server_address", "stock.example"},
                                               {"server_port", "8081"},
                                               {"http_response_status_code", "200"}});
  ASSERT_TRUE(seconds.has_value());
  EXPECT_NEAR(*seconds * 1e9, static_cast<double>(span->end_unix_nano - span->start_unix_nano),
              1.0);
}

TEST(InjectHeaders, UsesTheGlobalInstancesPropagationSettings) {
  std::map<std::string, std::string> headers;
  {
    CorrelationScope scope({.correlation_id = "corr-g", .business_context = {{"tenant", "acme"}}});
    inject_headers(headers);
  }
  EXPECT_EQ(headers.at("X-Correlation-ID"), "corr-g");
  EXPECT_THAT(headers.at("baggage"), Not(HasSubstr("tenant")));  // not allowed by default

  UnifiedObservability observability({.traces_exporter = {"none"},
                                      .metrics_exporter = {"none"},
                                      .logs_exporter = {"none"},
                                      .allowed_business_fields = {"tenant"}});
  observability.initialize();
  headers.clear();
  {
    CorrelationScope scope({.correlation_id = "corr-g", .business_context = {{"tenant", "acme"}}});
    inject_headers(headers);
  }
  EXPECT_THAT(headers.at("baggage"), HasSubstr("tenant=acme"));
  observability.shutdown();
}

TEST(HttpInstrumentation, WithTelemetryOffNothingIsRecordedButTheContextStillFlows) {
  UnifiedObservability observability({.sdk_disabled = true});
  observability.initialize();
  HttpServerInstrumentation http(observability);
  Request request{.headers = {{"X-Correlation-ID", "corr-off"}}};
  request.with([&](const HttpServerRequest& r) {
    HttpServerCall call(http, r);
    EXPECT_EQ(get_correlation_id(), "corr-off");
    EXPECT_FALSE(call.span().is_recording());
    call.end(200);
    return 0;
  });
  const std::string text =
      scrape_metrics(observability.metrics(), "", "", {.process_metrics = false}).body;
  EXPECT_THAT(text, Not(HasSubstr("http_server_request_duration_seconds_count")));
  EXPECT_THAT(text, HasSubstr("mmf_correlation_requests_total{origin=\"incoming\"} 0"));
  observability.shutdown();
}

TEST(HttpInstrumentation, NeedsAnInitializedUnifiedObservability) {
  UnifiedObservability observability(
      {.traces_exporter = {"none"}, .metrics_exporter = {"none"}, .logs_exporter = {"none"}});
  EXPECT_THROW(HttpServerInstrumentation{observability}, std::logic_error);
  EXPECT_THROW(HttpClientInstrumentation{observability}, std::logic_error);
  observability.initialize();
  HttpServerInstrumentation server(observability);
  HttpClientInstrumentation client(observability);
  EXPECT_TRUE(server.options().correlation_response_headers);
  observability.shutdown();
}

}  // namespace
}  // namespace mmf
