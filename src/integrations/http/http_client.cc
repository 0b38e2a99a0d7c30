#include "mmf/http_client.h"

#include <charconv>
#include <stdexcept>
#include <utility>

#include "integrations/http/support.h"
#include "metrics/access.h"
#include "metrics/series_cache.h"
#include "mmf/carrier.h"
#include "mmf/http_server.h"
#include "mmf/unified.h"
#include "trace/clock.h"

namespace mmf {
namespace {

using detail::HostPort;
using detail::split_host_port;

struct UrlParts {
  std::string_view scheme;
  std::string_view host;  // without the brackets of an IPv6 literal
  int port = 0;           // the explicit one, else the scheme's default (0 when unknown)
};

// The size of the authority at the start of rest: up to the first '/', '?' or '#'.
// (find_first_of calls memchr once for every character it passes.)
std::size_t authority_size(std::string_view rest) noexcept {
  std::size_t size = 0;
  while (size < rest.size() && rest[size] != '/' && rest[size] != '?' && rest[size] != '#') ++size;
  return size;
}

UrlParts parse_url(std::string_view url) {
  UrlParts parts;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return parts;
  parts.scheme = url.substr(0, scheme_end);
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority_size(authority));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  const HostPort split = split_host_port(authority);
  parts.host = split.host;
  if (split.port > 0) {
    parts.port = split.port;
  } else if (iequals(parts.scheme, "http")) {
    parts.port = 80;
  } else if (iequals(parts.scheme, "https")) {
    parts.port = 443;
  }
  return parts;
}

}  // namespace

detail::HostPort detail::split_host_port(std::string_view authority) noexcept {
  std::string_view port_text;
  HostPort split;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return split;
    split.host = authority.substr(1, close - 1);
    if (authority.substr(close + 1).starts_with(':')) port_text = authority.substr(close + 2);
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    split.host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  } else {
    split.host = authority;
  }
  int port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (!port_text.empty() && error == std::errc() && end == port_text.data() + port_text.size() &&
      port > 0 && port <= 65535) {
    split.port = port;
  }
  return split;
}

std::string sanitized_url(std::string_view url, const std::vector<std::string>& redacted) {
  std::string out;
  out.reserve(url.size());
  // user:password@ goes, whatever it holds.
  const std::size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::size_t host = scheme_end + 3;
    const std::size_t authority_end = host + authority_size(url.substr(host));
    const std::size_t at = url.substr(0, authority_end).rfind('@');
    out.append(url.substr(0, host));
    url.remove_prefix(at != std::string_view::npos && at >= host ? at + 1 : host);
  }
  const std::size_t fragment = std::min(url.find('#'), url.size());
  url = url.substr(0, fragment);  // a fragment is never sent anyway
  const std::size_t query = url.find('?');
  out.append(url.substr(0, query));
  if (query == std::string_view::npos) return out;
  out += '?';
  std::string_view rest = url.substr(query + 1);
  bool first = true;
  while (true) {
    const std::size_t amp = std::min(rest.find('&'), rest.size());
    const std::string_view pair = rest.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const std::size_t equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    bool secret = false;
    for (const std::string& candidate : redacted) secret = secret || iequals(name, candidate);
    if (secret && equals != std::string_view::npos) {
      out.append(name).append("=REDACTED");
    } else {
      out.append(pair);
    }
    if (amp == rest.size()) break;
    rest.remove_prefix(amp + 1);
  }
  return out;
}

HttpClientInstrumentation::HttpClientInstrumentation(Tracer& tracer, MetricRegistry& registry,
                                                     Propagator propagator,
                                                     HttpClientOptions options)
    : id_(detail::new_series_cache_owner()),
      tracer_(tracer),
      propagator_(std::move(propagator)),
      options_(std::move(options)),
      duration_(registry.create_histogram(
          "http_client_request_duration_seconds", "Duration of HTTP client requests.",
          {"http_request_method", "server_address", "server_port", "http_response_status_code"},
          default_seconds_buckets(), "seconds")) {}

HttpClientInstrumentation::HttpClientInstrumentation(UnifiedObservability& observability,
                                                     HttpClientOptions options)
    : HttpClientInstrumentation(detail::initialized_tracer(observability), observability.metrics(),
                                observability.propagator(), std::move(options)) {
  if (observability.config().sdk_disabled) duration_ = Histogram();  // telemetry off
}

HttpClientCall::HttpClientCall(HttpClientInstrumentation& instrumentation,
                               const HttpClientRequest& request)
    : instrumentation_(instrumentation),
      method_(normalized_http_method(request.method)),
      start_(std::chrono::steady_clock::now()),
      context_(Context::current()) {
  const UrlParts url = parse_url(request.url);
  server_address_ = url.host;
  server_port_ = url.port;
  // The span starts with the duration's clock reading: one clock call, not two.
  span_ = instrumentation.tracer_.start_span(
      method_ == "_OTHER" ? "HTTP" : method_,
      {.kind = SpanKind::kClient, .start_time = detail::wall_time_at(start_)});
  if (span_.is_recording()) {
    span_.set_attribute("http.request.method", method_)
        .set_attribute(
            "url.full",
            sanitized_url(request.url, instrumentation.options_.redacted_query_parameters))
        .set_attribute("server.address", server_address_)
        .set_attribute("peer.service",
                       instrumentation.options_.peer_service.empty()
                           ? std::string_view(server_address_)
                           : std::string_view(instrumentation.options_.peer_service));
    if (method_ == "_OTHER") span_.set_attribute("http.request.method_original", request.method);
    if (server_port_ > 0) span_.set_attribute("server.port", std::int64_t{server_port_});
  }
}

HttpClientCall::~HttpClientCall() { finish(0, "incomplete"); }

void HttpClientCall::inject(Propagator::HeaderSetter set) const {
  // The call's Context with the client span as the parent, without building a Context for it.
  instrumentation_.propagator_.inject_to(context_, span_.context(), set);
}

void HttpClientCall::end(int status) noexcept { finish(status, {}); }

void HttpClientCall::fail(std::string_view error_type) noexcept {
  finish(0, error_type.empty() ? "_OTHER" : error_type);
}

void HttpClientCall::finish(int status, std::string_view error_type) noexcept {
  if (ended_) return;
  ended_ = true;
  const auto now = std::chrono::steady_clock::now();  // the duration's end and the span's
  const double seconds = std::chrono::duration<double>(now - start_).count();
  try {
    const bool answered = status >= 100 && status <= 599;
    const std::string code = answered ? std::to_string(status) : std::string();
    if (span_.is_recording()) {
      if (answered) span_.set_attribute("http.response.status_code", std::int64_t{status});
      if (!answered || status >= 400) {
        const std::string_view type = answered ? std::string_view(code) : error_type;
        span_.set_attribute("error.type", type.empty() ? "_OTHER" : type)
            .set_status(StatusCode::kError, answered ? std::string_view() : type);
      }
    }
    observe_duration(seconds, answered ? status : 0, code);
  } catch (...) {  // std::bad_alloc composing a label: the span still ends
  }
  span_.end(detail::wall_time_at(now));
}

void HttpClientCall::observe_duration(double seconds, int status, std::string_view code) {
  // The series of a (method, server address, port, status) is usually in this thread's cache:
  // the method is the tag, the address the text, and the status and port one code.
  const HttpClientInstrumentation& in = instrumentation_;
  const std::uint8_t tag = detail::http_method_index(method_);
  const bool cacheable = server_port_ >= 0 && server_port_ <= 0xffff;
  const int key = status * 0x10000 + (server_port_ > 0 ? server_port_ : 0);
  if (cacheable) {
    if (const detail::CachedSeries* cached =
            detail::find_cached_series(in.id_, tag, server_address_, key)) {
      (*cached)[0]->observe(seconds);
      return;
    }
  }
  const std::string port = server_port_ > 0 ? std::to_string(server_port_) : std::string();
  bool lasting = false;
  detail::HistogramSeries* series =
      detail::MetricsAccess::find(in.duration_,
                                  {{"http_request_method", method_},
                                   {"server_address", server_address_},
                                   {"server_port", port},
                                   {"http_response_status_code", code}},
                                  lasting);
  if (series == nullptr) return;
  series->observe(seconds);
  if (lasting && cacheable) {
    detail::store_cached_series(in.id_, tag, server_address_, key, {series, nullptr, nullptr});
  }
}

const Propagator& default_propagator() noexcept {
  static const Propagator fallback;
  const UnifiedObservability* global = UnifiedObservability::global();
  return global != nullptr ? global->propagator() : fallback;
}

}  // namespace mmf
