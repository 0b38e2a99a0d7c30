// Interop with the OpenTelemetry JS SDK over HTTP: a C++ service in the middle of a JS trace.
//
//   http_peer_client.js  --GET /checkout/{cart}-->  httplib::Server + CorrelationMiddleware
//   (JS SDK client span,                            handler: CorrelationHttpClient
//    traceparent, tracestate,                                 --GET /inventory/{sku}-->
//    baggage, X-Correlation-ID)                               http_peer_server.js
//                                                             (JS SDK propagation.extract)
//
// Both JS ends use only the SDK's own W3CTraceContextPropagator and W3CBaggagePropagator, so the
// test proves that the C++ side reads what the JS SDK writes and writes what the JS SDK reads:
// the JS server must see the JS client's trace with the C++ client span as its parent, the
// tracestate and baggage intact (the C++ side may add its mmf.correlation_id member) and the
// correlation ID; the spans the C++ service recorded must hang under the JS client span.
//
// Needs node and `npm ci` run in tests/integration/otlp_js (the ctest fixture mmf_otlp_js_npm
// does it). Without node_modules the tests skip, unless MMF_REQUIRE_JS_PEER=1 (as in CI), which
// makes that a failure. MMF_OTLP_JS_DIR, from the environment or else from the compile
// definition, names the scripts' directory.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "child_process.h"
#include "mmf/httplib_client.h"
#include "mmf/httplib_middleware.h"
#include "mmf/testing.h"
#include "mmf/testing_matchers.h"

extern char** environ;

namespace mmf {
namespace {

using test::HasAttribute;
using test::HasKind;
using test::IsChildOf;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using json = nlohmann::json;
namespace fs = std::filesystem;
using testing_support::ChildProcess;

constexpr std::string_view kCorrelationId = "js-checkout-7f3a9c";
constexpr std::string_view kServerRoute = "/checkout/{cart}";
constexpr std::chrono::seconds kNodeTimeout{60};

// --- The chain.

// What one request through the chain left behind.
struct Exchange {
  json client;      // what http_peer_client.js printed: its span, what it sent, the response
  json downstream;  // what http_peer_server.js saw (the C++ service answers with it)
  test::RecordedSpan server_span;  // the C++ service's spans
  test::RecordedSpan client_span;
};

// The values of every header called name (any case) in the JS server's rawHeaders.
std::vector<std::string> raw_header_values(const json& downstream, std::string_view name) {
  std::vector<std::string> values;
  for (const json& header : downstream.at("rawHeaders")) {
    if (iequals(header.at(0).get<std::string>(), name)) {
      values.push_back(header.at(1).get<std::string>());
    }
  }
  return values;
}

class JsHttpInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef MMF_OTLP_JS_DIR
    const testing_support::JsPeer peer = testing_support::find_js_peer(
        MMF_OTLP_JS_DIR, {"http_peer_server.js", "http_peer_client.js"});
#else
    const testing_support::JsPeer peer =
        testing_support::find_js_peer("", {"http_peer_server.js", "http_peer_client.js"});
#endif
    if (!peer.problem.empty()) {
      if (peer.fatal) FAIL() << peer.problem;
      GTEST_SKIP() << peer.problem;
    }
    js_dir_ = peer.dir;
    node_ = peer.node;
    start_js_server();
    if (HasFatalFailure()) return;
    start_service();
  }

  void TearDown() override {
    service_.stop();
    if (service_thread_.joinable()) service_thread_.join();
    if (js_server_) {
      EXPECT_EQ(js_server_->finish(std::chrono::seconds(10)), 0) << js_server_->err();
      EXPECT_EQ(js_server_->err(), "");
    }
  }

  // The JS server picks its own port and says which on its first line.
  void start_js_server() {
    js_server_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{node_, js_dir_ + "/http_peer_server.js"});
    const std::string line = js_server_->read_line(kNodeTimeout);
    const json ready = json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(ready.is_object() && ready.contains("port"))
        << "http_peer_server.js did not say its port: " << line << js_server_->err();
    js_port_ = ready["port"].get<int>();
  }

  // The instrumented C++ service: its one route calls the JS server and answers with what the
  // JS server answered.
  void start_service() {
    server_instrumentation_ =
        std::make_unique<HttpServerInstrumentation>(traces_.tracer(), registry_, Propagator());
    client_instrumentation_ = std::make_unique<HttpClientInstrumentation>(
        traces_.tracer(), registry_, Propagator(), HttpClientOptions{.peer_service = "inventory"});
    middleware_ = std::make_unique<CorrelationMiddleware>(service_, *server_instrumentation_);
    middleware_->Get(std::string(kServerRoute), [this](const httplib::Request& request,
                                                       httplib::Response& response) {
      CorrelationHttpClient inventory("http://127.0.0.1:" + std::to_string(js_port_),
                                      *client_instrumentation_);
      const httplib::Result result =
          inventory.Get("/inventory/" + route_parameter(request, "cart"));
      if (!result) {
        response.status = 502;
        response.set_content("inventory: " + httplib::to_string(result.error()), "text/plain");
        return;
      }
      response.status = result->status;
      response.set_content(result->body, "application/json");
    });
    service_port_ = service_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(service_port_, 0);
    service_thread_ = std::thread([this] { service_.listen_after_bind(); });
  }

  // The server span ends in httplib's logger, after the response went out: wait for it.
  test::RecordedSpan ended_span(std::string_view name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (const test::RecordedSpan* found = traces_.find(name)) return *found;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("the C++ service recorded no span called " + std::string(name));
  }

  // Runs the JS client against the C++ service, once.
  Exchange run_chain() {
    ChildProcess client({node_, js_dir_ + "/http_peer_client.js",
                         "http://127.0.0.1:" + std::to_string(service_port_) + "/checkout/c-42",
                         std::string(kCorrelationId)});
    const int exit_code = client.finish(kNodeTimeout);
    EXPECT_EQ(exit_code, 0) << client.err();
    EXPECT_EQ(client.err(), "");
    Exchange exchange;
    exchange.client = json::parse(client.out(), nullptr, /*allow_exceptions=*/false);
    if (!exchange.client.is_object()) {
      throw std::runtime_error("http_peer_client.js printed no JSON: " + client.out());
    }
    const json& response = exchange.client.at("response");
    if (response.at("status") != 200) {
      throw std::runtime_error("the chain failed: " + response.dump());
    }
    exchange.downstream = json::parse(response.at("body").get<std::string>());
    exchange.server_span = ended_span("GET " + std::string(kServerRoute));
    exchange.client_span = ended_span("GET");
    return exchange;
  }

  std::string js_dir_;
  std::string node_;
  std::unique_ptr<ChildProcess> js_server_;
  int js_port_ = 0;

  test::TraceRecorder traces_;
  MetricRegistry registry_;
  std::unique_ptr<HttpServerInstrumentation> server_instrumentation_;
  std::unique_ptr<HttpClientInstrumentation> client_instrumentation_;
  httplib::Server service_;
  std::unique_ptr<CorrelationMiddleware> middleware_;
  std::thread service_thread_;
  int service_port_ = 0;
};

TEST_F(JsHttpInteropTest, TheJsServerSeesTheJsTraceWithTheCppClientSpanAsParent) {
  Exchange exchange = run_chain();
  const std::string trace_id = exchange.client["traceId"];
  const std::string cpp_client_span_id = exchange.client_span.span_id.to_hex();
  json& downstream = exchange.downstream;

  // The JS client sent a sampled trace, so the C++ client must pass flags 01 on.
  EXPECT_THAT(raw_header_values(downstream, "traceparent"),
              ElementsAre("00-" + trace_id + "-" + cpp_client_span_id + "-01"));
  json& extracted = downstream["extracted"]["spanContext"];
  ASSERT_TRUE(extracted.is_object()) << "the JS SDK read no span context: " << downstream.dump();
  EXPECT_EQ(extracted["traceId"], trace_id);
  EXPECT_EQ(extracted["spanId"], cpp_client_span_id);
  EXPECT_EQ(extracted["traceFlags"], 1);
  EXPECT_EQ(extracted["isRemote"], true);
  // The JS SDK's tracer takes the C++ client span as its server span's parent, and samples.
  EXPECT_EQ(downstream["serverSpan"]["traceId"], trace_id);
  EXPECT_EQ(downstream["serverSpan"]["parentSpanId"], cpp_client_span_id);
  EXPECT_EQ(downstream["serverSpan"]["sampled"], true);
}

TEST_F(JsHttpInteropTest, TheTracestateReachesTheJsServerIntact) {
  Exchange exchange = run_chain();
  const std::string tracestate = exchange.client["sentHeaders"]["tracestate"];
  json& downstream = exchange.downstream;

  EXPECT_THAT(raw_header_values(downstream, "tracestate"), ElementsAre(tracestate));
  EXPECT_EQ(downstream["extracted"]["spanContext"]["traceState"], tracestate);
  EXPECT_EQ(exchange.server_span.trace_state, tracestate);
  EXPECT_EQ(exchange.client_span.trace_state, tracestate);
}

// Each baggage entry the JS client put in (keys), as the JS SDK on the far side decodes it: the
// same value and properties. The C++ side may add its mirror of the correlation ID, nothing else.
void expect_baggage_entries_intact(Exchange& exchange, const std::vector<std::string>& keys) {
  json& downstream = exchange.downstream;
  EXPECT_EQ(raw_header_values(downstream, "baggage").size(), 1U) << downstream["rawHeaders"];
  const json& sent = exchange.client["sentBaggage"];
  json& received = downstream["extracted"]["baggage"];
  for (const std::string& key : keys) {
    ASSERT_TRUE(sent.contains(key)) << "http_peer_client.js sends no baggage entry " << key;
    EXPECT_EQ(received[key], sent[key])
        << key << ", from baggage: " << exchange.client["sentHeaders"]["baggage"]
        << "\n  to baggage: " << downstream["headers"]["baggage"];
  }
  for (const auto& [key, entry] : received.items()) {
    if (key == headers::kBaggageCorrelationId) {
      EXPECT_EQ(entry["value"], std::string(kCorrelationId));
    } else {
      EXPECT_TRUE(sent.contains(key)) << "an entry the JS client did not send: " << key;
    }
  }
}

TEST_F(JsHttpInteropTest, BaggageEntriesAndTheirPropertiesReachTheJsServerIntact) {
  Exchange exchange = run_chain();
  expect_baggage_entries_intact(exchange, {"user.tier", "tenant"});
}

// The JS SDK percent-encodes baggage values with encodeURIComponent: non-ASCII, spaces, '"',
// '=' and '%' go as %XX, and must come out of the C++ service decoded to the same value, once
// (a double decode turns %2541BC into ABC). cpp-httplib before 0.44 percent-decodes every
// request header value before CorrelationMiddleware sees it; the middleware encodes baggage
// values again, which recovers all of these (not an encoded ',' or ';', see docs/http.md).
TEST_F(JsHttpInteropTest, PercentEncodedBaggageValuesReachTheJsServerAsSent) {
  Exchange exchange = run_chain();
  expect_baggage_entries_intact(exchange, {"cart.note", "promo.code"});
}

TEST_F(JsHttpInteropTest, TheCorrelationIdReachesTheJsServerAndComesBack) {
  Exchange exchange = run_chain();
  EXPECT_THAT(raw_header_values(exchange.downstream, "X-Correlation-ID"),
              ElementsAre(std::string(kCorrelationId)));
  EXPECT_EQ(exchange.client["response"]["headers"]["x-correlation-id"],
            std::string(kCorrelationId));
  EXPECT_THAT(exchange.server_span, HasAttribute("correlation_id", std::string(kCorrelationId)));
}

TEST_F(JsHttpInteropTest, TheCppSpansFormATreeUnderTheJsClientSpan) {
  Exchange exchange = run_chain();
  const std::string trace_id = exchange.client["traceId"];
  const test::RecordedSpan& server = exchange.server_span;
  const test::RecordedSpan& client = exchange.client_span;

  EXPECT_THAT(server, HasKind(SpanKind::kServer));
  EXPECT_EQ(server.trace_id.to_hex(), trace_id);
  EXPECT_EQ(server.parent_span_id.to_hex(), exchange.client["spanId"]);
  EXPECT_TRUE(server.parent_is_remote);
  EXPECT_THAT(server, HasAttribute("http.route", std::string(kServerRoute)));
  EXPECT_THAT(server, HasAttribute("http.response.status_code", std::int64_t{200}));

  EXPECT_THAT(client, HasKind(SpanKind::kClient));
  EXPECT_EQ(client.trace_id.to_hex(), trace_id);
  EXPECT_THAT(client, IsChildOf(server));
  EXPECT_FALSE(client.parent_is_remote);
  EXPECT_THAT(client, HasAttribute("peer.service", "inventory"));
  EXPECT_THAT(client, HasAttribute("http.response.status_code", std::int64_t{200}));

  // Nothing else in that trace: one server span, one client span.
  std::vector<std::string> names;
  for (const test::RecordedSpan& span : traces_.trace(server.trace_id)) names.push_back(span.name);
  EXPECT_THAT(names, UnorderedElementsAre("GET " + std::string(kServerRoute), "GET"));
}

}  // namespace
}  // namespace mmf
