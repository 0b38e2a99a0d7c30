// HTTP server instrumentation that knows no server library: what happens when a request starts
// and ends. The cpp-httplib adapter (mmf/httplib_middleware.h, CorrelationMiddleware) is built
// on it; an adapter for another server (Boost.Beast, Drogon) fills an HttpServerRequest from
// its request, keeps one HttpServerCall alive on the thread that runs the handler, and calls
// end() with the status.
//
//   mmf::HttpServerInstrumentation http(observability);        // after initialize()
//   ...for each request, on the thread that runs its handler:
//   mmf::HttpServerCall call(http, {.method = "GET", .path = "/users/7", .headers = visit});
//   call.set_route("/users/{id}");     // the template the router matched
//   ...the handler runs: the request's Context (and its server span) is current...
//   call.add_response_headers(set);    // X-Correlation-ID, X-Request-ID (and traceresponse)
//   call.end(200, response_bytes);
//
// What a call does:
//   - extracts traceparent, tracestate, baggage and the correlation headers (the Propagator:
//     untrusted input is validated, a missing correlation ID is generated), and makes that
//     Context, with the server span in it, current until the call ends;
//   - starts the server span "{method} {route}" ("{method}" until a route is set) with the
//     OpenTelemetry HTTP server attributes, and ends it with the status: 5xx is an error, 4xx
//     is not (on the server side);
//   - opens a DebugLogScope, so that trace-aware debug logs of the request are held;
//   - records, in Prometheus names: http_server_request_duration_seconds,
//     http_server_active_requests, http_server_request_body_size_bytes,
//     http_server_response_body_size_bytes (labels http_request_method, http_route,
//     http_response_status_code; the active gauge by method only), and
//     mmf_correlation_requests_total{origin="incoming"|"generated"|"rejected"}.
//
// Bounded labels, whatever arrives: the method is one of the nine of RFC 9110 or "_OTHER", the
// route is a template the application set or "unmatched" (never the raw path), the status code
// is a number in [100, 599] or empty (no response).
//
// Excluded paths (health checks, /metrics by default) get nothing: no span, no Context, no
// metrics.
//
// Thread-safety: an HttpServerInstrumentation is shared by all requests. An HttpServerCall
// belongs to the thread that made it (its Context is that thread's current one): end and
// destroy it there, after the handler's own scopes have closed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/context.h"
#include "mmf/detail/correlation_requests.h"
#include "mmf/detail/function_ref.h"
#include "mmf/log.h"
#include "mmf/metrics.h"
#include "mmf/propagation.h"
#include "mmf/span.h"
#include "mmf/tracer.h"

namespace mmf {

class UnifiedObservability;

// The route label of a request that matched no registered route.
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

// What an adapter reads off its request. The views must stay valid while the call is made
// (the constructor copies what it keeps).
struct HttpServerRequest {
  std::string_view method;
  std::string_view path;  // without the query string
  std::string_view scheme = "http";
  std::string_view server_address{};  // the Host header's host, else the local address
  int server_port = 0;
  std::string_view client_address{};  // the peer's address
  int client_port = 0;
  std::string_view user_agent{};
  // Calls its argument once per request header (name, value). A reference: the callable must
  // outlive the HttpServerCall's constructor.
  detail::FunctionRef<void(Propagator::HeaderVisitor)> headers;
};

struct HttpServerOptions {
  // Exact paths that are not instrumented at all.
  std::vector<std::string> excluded_paths{"/healthz", "/readyz", "/metrics"};
  // Request headers recorded as span attributes http.request.header.<lower-case name> (an
  // allowlist: nothing else is), and the same for response headers.
  std::vector<std::string> captured_request_headers{};
  std::vector<std::string> captured_response_headers{};
  // Responses carry X-Correlation-ID and X-Request-ID, so that a caller can quote them.
  bool correlation_response_headers = true;
  // Responses carry the W3C traceresponse header (the server span's trace and span IDs).
  bool traceresponse = false;
  // Called when a call starts (after its span does), and when it ends (before the span ends),
  // on the request's thread with its Context current. An exception they throw is swallowed.
  std::function<void(Span& span, const HttpServerRequest& request)> on_request{};
  std::function<void(Span& span, int status)> on_response{};
};

class HttpServerInstrumentation {
 public:
  // tracer, registry and logging (when not null) must outlive this object.
  HttpServerInstrumentation(Tracer& tracer, MetricRegistry& registry, Propagator propagator,
                            HttpServerOptions options = {}, LoggingPipeline* logging = nullptr);
  // With observability's tracer, registry, logging and propagation settings. Throws
  // std::logic_error before observability.initialize().
  explicit HttpServerInstrumentation(UnifiedObservability& observability,
                                     HttpServerOptions options = {});
  HttpServerInstrumentation(const HttpServerInstrumentation&) = delete;
  HttpServerInstrumentation& operator=(const HttpServerInstrumentation&) = delete;

  bool is_excluded(std::string_view path) const noexcept;
  const HttpServerOptions& options() const noexcept { return options_; }
  const Propagator& propagator() const noexcept { return propagator_; }
  Logger& logger() const noexcept;

 private:
  friend class HttpServerCall;
  // Process-unique, from a counter (never the address, which a later instrumentation may
  // reuse): keys this instrumentation's entries in the per-thread cache of histogram series.
  const std::uint64_t id_;
  Tracer& tracer_;
  Propagator propagator_;
  HttpServerOptions options_;
  LoggingPipeline* logging_;
  Histogram duration_;
  UpDownCounter active_;
  Histogram request_size_;
  Histogram response_size_;
  detail::CorrelationRequests correlation_requests_;
  // active_'s series of each method (normalized_http_method's order, "_OTHER" last), looked up
  // when the method first comes: the metric still shows only the methods that came.
  mutable std::array<std::atomic<detail::ScalarSeries*>, 10> active_series_{};
};

class HttpServerCall {
 public:
  // Starts the call (see the top of this file); for an excluded path, does nothing at all.
  HttpServerCall(HttpServerInstrumentation& instrumentation, const HttpServerRequest& request);
  // Ends the call as end() does when end() was not called: no response (an error).
  ~HttpServerCall();
  HttpServerCall(const HttpServerCall&) = delete;
  HttpServerCall& operator=(const HttpServerCall&) = delete;

  bool instrumented() const noexcept { return instrumentation_ != nullptr; }
  // The route template the request matched ("/users/{id}"): names the span, sets http.route
  // and the metrics' route label.
  void set_route(std::string_view route_template);
  const std::string& route() const noexcept { return route_; }
  // The handler threw: the span records the exception, the request's held debug logs are
  // written, and an error line is logged with the request's context. The caller answers 500.
  void record_exception(const std::exception& exception) noexcept;
  void record_exception(std::string_view type, std::string_view message) noexcept;
  // Writes the response headers this call adds (X-Correlation-ID, X-Request-ID, traceresponse
  // as the options say) through set(name, value).
  void add_response_headers(Propagator::HeaderSetter set) const;
  // Records the allowlisted ones of the response's headers (captured_response_headers) on the
  // span; headers calls its argument once per header.
  void capture_response_headers(detail::FunctionRef<void(Propagator::HeaderVisitor)> headers);
  // Ends the call: status 0 means no response was sent. The byte counts feed the body size
  // histograms. Later calls do nothing.
  void end(int status, std::uint64_t request_body_bytes = 0,
           std::uint64_t response_body_bytes = 0) noexcept;

  // The request's Context (with the server span); also current on this thread until end().
  const Context& context() const noexcept { return context_; }
  Span& span() noexcept { return span_; }

 private:
  // Adds delta to the active requests of this call's method.
  void add_active(double delta) noexcept;
  // Records the three histograms of the ended call (labels: method, route, status code);
  // end_unix_nano is the time their exemplars carry.
  void observe_histograms(std::string_view route, std::string_view code, int status, double seconds,
                          double request_bytes, double response_bytes, std::int64_t end_unix_nano);

  HttpServerInstrumentation* instrumentation_ = nullptr;  // null: excluded
  std::string_view method_;        // the label value (static text): a known method or _OTHER
  std::uint8_t method_index_ = 0;  // its place in normalized_http_method's list
  std::string route_;
  std::chrono::steady_clock::time_point start_;
  Context context_;
  Span span_;
  std::optional<ContextScope> scope_;
  std::optional<DebugLogScope> debug_logs_;
  bool error_type_recorded_ = false;
  bool ended_ = false;
};

// The method as the semantic conventions want it in span names and labels: one of GET, HEAD,
// POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH (exactly, upper case), else "_OTHER".
std::string_view normalized_http_method(std::string_view method) noexcept;

// Route templates: "/users/{id}/orders/{order}". A parameter is a whole path segment and
// matches one non-empty segment; names are letters, digits and '_'. Used by the adapters'
// routers.
class RouteTemplate {
 public:
  // Throws std::invalid_argument saying what is wrong: a template that does not start with
  // '/', a '{' or '}' out of place, a parameter that is not a whole segment, a bad or repeated
  // name.
  explicit RouteTemplate(std::string route_template);
  const std::string& text() const noexcept { return text_; }
  const std::vector<std::string>& parameter_names() const noexcept { return names_; }
  // The values of the parameters when path matches, in the order of parameter_names().
  std::optional<std::vector<std::string_view>> match(std::string_view path) const;
  // The same template as an ECMAScript regular expression with one group per parameter (for
  // routers that take regular expressions, like cpp-httplib's).
  std::string regex() const;

 private:
  std::string text_;
  std::vector<std::string> names_;
  std::vector<std::string> literals_;  // text between parameters; names_.size() + 1 of them
};

}  // namespace mmf
