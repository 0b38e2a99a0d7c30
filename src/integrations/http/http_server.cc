#include "mmf/http_server.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include "integrations/http/support.h"
#include "metrics/access.h"
#include "metrics/series_cache.h"
#include "mmf/carrier.h"
#include "mmf/unified.h"
#include "propagation/text.h"
#include "trace/clock.h"
#include "trace/type_name.h"

namespace mmf {
namespace {

constexpr std::string_view kMethodLabel = "http_request_method";
constexpr std::string_view kRouteLabel = "http_route";
constexpr std::string_view kStatusLabel = "http_response_status_code";

// The methods of the semantic conventions (RFC 9110), then "_OTHER" for any other.
constexpr std::array<std::string_view, 10> kMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER"};
constexpr std::uint8_t kOtherMethod = 9;

std::uint8_t method_index(std::string_view method) noexcept {
  for (std::uint8_t i = 0; i < kOtherMethod; ++i) {
    if (method == kMethods[i]) return i;
  }
  return kOtherMethod;
}

// Powers of four from 64 bytes to 16 MiB: a request or response body is rarely outside.
std::vector<double> body_size_buckets() {
  std::vector<double> bounds;
  for (double bound = 64; bound <= 16.0 * 1024 * 1024; bound *= 4) bounds.push_back(bound);
  return bounds;
}

// The status code as a label value: three digits in [100, 599], else empty (no response).
std::string status_label(int status) {
  return status >= 100 && status <= 599 ? std::to_string(status) : std::string();
}

// Sets http.<direction>.header.<name> for each header of the allowlist that is present (its
// values joined with ", " when it came more than once).
void capture_headers(Span& span, std::string_view direction,
                     const std::vector<std::string>& allowlist,
                     detail::FunctionRef<void(Propagator::HeaderVisitor)> headers) {
  if (allowlist.empty() || !span.is_recording()) return;
  std::vector<std::string> values(allowlist.size());
  std::vector<bool> seen(allowlist.size(), false);
  headers([&](std::string_view name, std::string_view value) {
    for (std::size_t i = 0; i < allowlist.size(); ++i) {
      if (!iequals(name, allowlist[i])) continue;
      if (seen[i]) values[i] += ", ";
      values[i].append(value);
      seen[i] = true;
    }
  });
  for (std::size_t i = 0; i < allowlist.size(); ++i) {
    if (!seen[i]) continue;
    span.set_attribute(
        "http." + std::string(direction) + ".header." + detail::ascii_lower(allowlist[i]),
        values[i]);
  }
}

}  // namespace

std::uint8_t detail::http_method_index(std::string_view method) noexcept {
  return method_index(method);
}

std::string_view normalized_http_method(std::string_view method) noexcept {
  return kMethods[method_index(method)];
}

HttpServerInstrumentation::HttpServerInstrumentation(Tracer& tracer, MetricRegistry& registry,
                                                     Propagator propagator,
                                                     HttpServerOptions options,
                                                     LoggingPipeline* logging)
    : id_(detail::new_series_cache_owner()),
      tracer_(tracer),
      propagator_(std::move(propagator)),
      options_(std::move(options)),
      logging_(logging),
      duration_(registry.create_histogram(
          "http_server_request_duration_seconds", "Duration of HTTP server requests.",
          {std::string(kMethodLabel), std::string(kRouteLabel), std::string(kStatusLabel)},
          default_seconds_buckets(), "seconds")),
      active_(registry.create_up_down_counter("http_server_active_requests",
                                              "Number of HTTP server requests in flight.",
                                              {std::string(kMethodLabel)})),
      request_size_(registry.create_histogram(
          "http_server_request_body_size_bytes", "Size of HTTP server request bodies.",
          {std::string(kMethodLabel), std::string(kRouteLabel), std::string(kStatusLabel)},
          body_size_buckets(), "bytes")),
      response_size_(registry.create_histogram(
          "http_server_response_body_size_bytes", "Size of HTTP server response bodies.",
          {std::string(kMethodLabel), std::string(kRouteLabel), std::string(kStatusLabel)},
          body_size_buckets(), "bytes")),
      correlation_requests_(registry) {}

Tracer& detail::initialized_tracer(UnifiedObservability& observability) {
  Tracer* tracer = observability.tracer();
  if (tracer == nullptr) {
    throw std::logic_error(
        "HTTP instrumentation needs an initialized UnifiedObservability: call initialize() "
        "first");
  }
  return *tracer;
}

HttpServerInstrumentation::HttpServerInstrumentation(UnifiedObservability& observability,
                                                     HttpServerOptions options)
    : HttpServerInstrumentation(detail::initialized_tracer(observability), observability.metrics(),
                                observability.propagator(), std::move(options),
                                observability.logging()) {
  if (observability.config().sdk_disabled) {  // telemetry off: handles that record nothing
    duration_ = Histogram();
    active_ = UpDownCounter();
    request_size_ = Histogram();
    response_size_ = Histogram();
    correlation_requests_ = detail::CorrelationRequests();
  }
}

bool HttpServerInstrumentation::is_excluded(std::string_view path) const noexcept {
  return std::find(options_.excluded_paths.begin(), options_.excluded_paths.end(), path) !=
         options_.excluded_paths.end();
}

Logger& HttpServerInstrumentation::logger() const noexcept {
  return logging_ != nullptr ? logging_->logger("mmf.http") : default_logger();
}

HttpServerCall::HttpServerCall(HttpServerInstrumentation& instrumentation,
                               const HttpServerRequest& request) {
  if (instrumentation.is_excluded(request.path)) return;
  instrumentation_ = &instrumentation;
  start_ = std::chrono::steady_clock::now();
  method_index_ = method_index(request.method);
  method_ = kMethods[method_index_];
  Context incoming = instrumentation.propagator_.extract_from(request.headers);
  instrumentation.correlation_requests_.count(incoming.correlation_origin());
  // The semantic conventions name a span of an unknown method "HTTP".
  // The span starts with the duration's clock reading: one clock call, not two.
  span_ = instrumentation.tracer_.start_span(
      method_index_ == kOtherMethod ? "HTTP" : method_,
      {.kind = SpanKind::kServer, .parent = incoming, .start_time = detail::wall_time_at(start_)});
  if (span_.is_recording()) {
    span_.set_attribute("http.request.method", method_)
        .set_attribute("url.path", request.path)
        .set_attribute("url.scheme", request.scheme);
    if (method_index_ == kOtherMethod) {
      span_.set_attribute("http.request.method_original", request.method);
    }
    if (!request.server_address.empty()) {
      span_.set_attribute("server.address", request.server_address);
    }
    if (request.server_port > 0) {
      span_.set_attribute("server.port", static_cast<std::int64_t>(request.server_port));
    }
    if (!request.client_address.empty()) {
      span_.set_attribute("client.address", request.client_address);
    }
    if (request.client_port > 0) {
      span_.set_attribute("client.port", static_cast<std::int64_t>(request.client_port));
    }
    if (!request.user_agent.empty()) {
      span_.set_attribute("user_agent.original", request.user_agent);
    }
    capture_headers(span_, "request", instrumentation.options_.captured_request_headers,
                    request.headers);
  }
  context_ = span_.context_with_span(std::move(incoming));
  scope_.emplace(context_);
  if (instrumentation.logging_ != nullptr) {
    debug_logs_.emplace(*instrumentation.logging_);
  } else {
    debug_logs_.emplace();
  }
  add_active(1);
  if (instrumentation.options_.on_request) {
    try {
      instrumentation.options_.on_request(span_, request);
    } catch (...) {  // a hook's failure is not the request's
    }
  }
}

HttpServerCall::~HttpServerCall() { end(0); }

void HttpServerCall::set_route(std::string_view route_template) {
  if (instrumentation_ == nullptr || ended_) return;
  route_ = route_template;
  if (span_.is_recording()) {
    const std::string_view method = method_index_ == kOtherMethod ? "HTTP" : method_;
    std::string name;
    name.reserve(method.size() + 1 + route_.size());
    name.append(method).append(1, ' ').append(route_);
    span_.update_name(name);
    span_.set_attribute("http.route", route_);
  }
}

void HttpServerCall::record_exception(const std::exception& exception) noexcept {
  if (instrumentation_ == nullptr || ended_) return;
  try {
    const char* what = exception.what();
    record_exception(detail::exception_type_name(exception), what != nullptr ? what : "");
  } catch (const std::bad_alloc&) {
    record_exception("std::exception", "");
  }
}

void HttpServerCall::record_exception(std::string_view type, std::string_view message) noexcept {
  if (instrumentation_ == nullptr || ended_) return;
  error_type_recorded_ = true;
  span_.record_exception(type, message)
      .set_status(StatusCode::kError, message)
      .set_attribute("error.type", type);
  debug_logs_->mark_error();
  MMF_LOG(instrumentation_->logger(), LogLevel::kError, "unhandled exception in HTTP handler",
          {{"exception.type", type},
           {"exception.message", message},
           {"http.request.method", method_},
           {"http.route", route_.empty() ? kUnmatchedRoute : std::string_view(route_)}});
}

void HttpServerCall::add_response_headers(Propagator::HeaderSetter set) const {
  if (instrumentation_ == nullptr) return;
  const HttpServerOptions& options = instrumentation_->options_;
  if (options.correlation_response_headers) {
    if (!context_.correlation_id().empty()) set(headers::kCorrelationId, context_.correlation_id());
    if (!context_.request_id().empty()) set(headers::kRequestId, context_.request_id());
  }
  if (options.traceresponse && span_.context().is_valid()) {
    set("traceresponse", format_traceparent(span_.context()));
  }
}

void HttpServerCall::capture_response_headers(
    detail::FunctionRef<void(Propagator::HeaderVisitor)> headers) {
  if (instrumentation_ == nullptr || ended_) return;
  capture_headers(span_, "response", instrumentation_->options_.captured_response_headers, headers);
}

void HttpServerCall::end(int status, std::uint64_t request_body_bytes,
                         std::uint64_t response_body_bytes) noexcept {
  if (instrumentation_ == nullptr || ended_) return;
  ended_ = true;
  HttpServerInstrumentation& in = *instrumentation_;
  // One clock reading: the duration's end, the exemplars' time and the span's end. Exemplars
  // are kept only for a sampled (so recording) span; otherwise 0, nothing to convert.
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const std::int64_t end_unix_nano = span_.is_recording() ? detail::unix_nanos_at(now) : 0;
  try {
    const std::string code = status_label(status);
    if (span_.is_recording()) {
      if (!code.empty()) span_.set_attribute("http.response.status_code", std::int64_t{status});
      if (code.empty() || status >= 500) {
        span_.set_status(StatusCode::kError, code.empty() ? "no response" : std::string_view());
        if (!error_type_recorded_)
          span_.set_attribute("error.type", code.empty() ? "_OTHER" : code);
      }
    }
    if (in.options_.on_response) {
      try {
        in.options_.on_response(span_, status);
      } catch (...) {  // a hook's failure is not the request's
      }
    }
    const std::string_view route = route_.empty() ? kUnmatchedRoute : std::string_view(route_);
    // Recorded while the span is current: the duration bucket keeps it as an exemplar.
    observe_histograms(route, code, code.empty() ? 0 : status, seconds,
                       static_cast<double>(request_body_bytes),
                       static_cast<double>(response_body_bytes), end_unix_nano);
    if (code.empty() || status >= 500) debug_logs_->mark_error();
  } catch (...) {  // std::bad_alloc composing a label: the span still ends
  }
  add_active(-1);
  debug_logs_.reset();  // writes the held debug records if the request failed
  span_.end(detail::from_unix_nanos(end_unix_nano));
  scope_.reset();
}

void HttpServerCall::add_active(double delta) noexcept {
  std::atomic<detail::ScalarSeries*>& slot = instrumentation_->active_series_[method_index_];
  // Acquire and release: a thread that finds the series here sees it fully made.
  detail::ScalarSeries* series = slot.load(std::memory_order_acquire);
  if (series == nullptr) {
    bool lasting = false;
    series =
        detail::MetricsAccess::find(instrumentation_->active_, {{kMethodLabel, method_}}, lasting);
    if (lasting) slot.store(series, std::memory_order_release);
  }
  if (series != nullptr) series->add(delta, false);
}

void HttpServerCall::observe_histograms(std::string_view route, std::string_view code, int status,
                                        double seconds, double request_bytes, double response_bytes,
                                        std::int64_t end_unix_nano) {
  const HttpServerInstrumentation& in = *instrumentation_;
  // The three series of a (method, route, status) are usually in this thread's cache.
  if (const detail::CachedSeries* cached =
          detail::find_cached_series(in.id_, method_index_, route, status)) {
    (*cached)[0]->observe(seconds, end_unix_nano);
    (*cached)[1]->observe(request_bytes, end_unix_nano);
    (*cached)[2]->observe(response_bytes, end_unix_nano);
    return;
  }
  const LabelValues labels = {{kMethodLabel, method_}, {kRouteLabel, route}, {kStatusLabel, code}};
  bool lasting[3] = {};
  const detail::CachedSeries series = {
      detail::MetricsAccess::find(in.duration_, labels, lasting[0]),
      detail::MetricsAccess::find(in.request_size_, labels, lasting[1]),
      detail::MetricsAccess::find(in.response_size_, labels, lasting[2])};
  if (series[0] != nullptr) series[0]->observe(seconds, end_unix_nano);
  if (series[1] != nullptr) series[1]->observe(request_bytes, end_unix_nano);
  if (series[2] != nullptr) series[2]->observe(response_bytes, end_unix_nano);
  if (lasting[0] && lasting[1] && lasting[2]) {
    detail::store_cached_series(in.id_, method_index_, route, status, series);
  }
}

}  // namespace mmf
