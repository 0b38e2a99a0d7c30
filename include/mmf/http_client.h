// HTTP client instrumentation that knows no client library: a client span per outgoing request,
// the propagation headers it must carry, and http_client_request_duration_seconds. The
// cpp-httplib client (mmf/httplib_client.h, CorrelationHttpClient) is built on it.
//
//   mmf::HttpClientInstrumentation http(observability, {.peer_service = "payments"});
//   mmf::HttpClientCall call(http, {.method = "POST", .url = "http://payments:8080/charge"});
//   call.inject(headers);               // traceparent, tracestate, baggage, X-Correlation-ID...
//   ...send the request...
//   call.end(response_status);          // or call.fail("timeout") when none came
//
// For code that builds its own requests without a span of ours (libcurl, any client):
//
//   mmf::CurlHeaderList headers;        // mmf/curl_carrier.h: owns the curl_slist
//   mmf::inject_headers(headers);       // the current Context's propagation headers
//   curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
//
// The client span ("{method}", kind client) is a child of the thread's current Context and
// carries http.request.method, url.full (without user:password@, and with the values of secret
// query parameters replaced by REDACTED), server.address, server.port, peer.service (the
// option, else the host: what a service graph joins on), http.response.status_code and, for
// a status of 400 and above or a failure, error.type and an error status. The duration
// histogram's labels: http_request_method, server_address, server_port,
// http_response_status_code (empty when no response came).
//
// Thread-safety: an HttpClientInstrumentation is shared; an HttpClientCall belongs to one
// thread at a time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/context.h"
#include "mmf/metrics.h"
#include "mmf/propagation.h"
#include "mmf/span.h"
#include "mmf/tracer.h"

namespace mmf {

class UnifiedObservability;

struct HttpClientOptions {
  // peer.service of the client spans; empty: the host of each request's URL.
  std::string peer_service{};
  // Query parameters whose values url.full never shows (compared without regard to case).
  std::vector<std::string> redacted_query_parameters{"access_token",
                                                     "api_key",
                                                     "apikey",
                                                     "auth",
                                                     "client_secret",
                                                     "code",
                                                     "key",
                                                     "password",
                                                     "secret",
                                                     "sig",
                                                     "signature",
                                                     "token",
                                                     "AWSAccessKeyId",
                                                     "X-Amz-Signature",
                                                     "X-Amz-Credential",
                                                     "X-Amz-Security-Token",
                                                     "X-Goog-Signature",
                                                     "X-Goog-Credential"};
};

class HttpClientInstrumentation {
 public:
  // tracer and registry must outlive this object.
  HttpClientInstrumentation(Tracer& tracer, MetricRegistry& registry, Propagator propagator,
                            HttpClientOptions options = {});
  // With observability's tracer, registry and propagation settings. Throws std::logic_error
  // before observability.initialize().
  explicit HttpClientInstrumentation(UnifiedObservability& observability,
                                     HttpClientOptions options = {});
  HttpClientInstrumentation(const HttpClientInstrumentation&) = delete;
  HttpClientInstrumentation& operator=(const HttpClientInstrumentation&) = delete;

  const HttpClientOptions& options() const noexcept { return options_; }
  const Propagator& propagator() const noexcept { return propagator_; }

 private:
  friend class HttpClientCall;
  const std::uint64_t id_;  // keys this instrumentation's series in the per-thread cache
  Tracer& tracer_;
  Propagator propagator_;
  HttpClientOptions options_;
  Histogram duration_;
};

struct HttpClientRequest {
  std::string_view method;
  std::string_view url;  // scheme://[user:password@]host[:port][/path][?query]
};

class HttpClientCall {
 public:
  // Starts the client span, a child of the thread's current Context.
  HttpClientCall(HttpClientInstrumentation& instrumentation, const HttpClientRequest& request);
  // Ends as fail("incomplete") when neither end() nor fail() was called.
  ~HttpClientCall();
  HttpClientCall(const HttpClientCall&) = delete;
  HttpClientCall& operator=(const HttpClientCall&) = delete;

  // Writes traceparent, tracestate, baggage and the correlation headers (the client span as the
  // parent the server will see) through set(name, value), or into a carrier (mmf/carrier.h).
  void inject(Propagator::HeaderSetter set) const;
  template <class Carrier>
  void inject(Carrier& carrier) const {
    inject([&carrier](std::string_view name, std::string_view value) {
      CarrierTraits<Carrier>::set(carrier, name, value);
    });
  }

  // A response came with this status. Later calls (and fail()) do nothing.
  void end(int status) noexcept;
  // No response came: error_type names why ("timeout", "connection_refused", ...).
  void fail(std::string_view error_type) noexcept;

  Span& span() noexcept { return span_; }
  const std::string& server_address() const noexcept { return server_address_; }
  int server_port() const noexcept { return server_port_; }

 private:
  void finish(int status, std::string_view error_type) noexcept;
  // Records the duration; status 0 (and an empty code) when no response came.
  void observe_duration(double seconds, int status, std::string_view code);

  HttpClientInstrumentation& instrumentation_;
  std::string method_;
  std::string server_address_;
  int server_port_ = 0;
  std::chrono::steady_clock::time_point start_;
  Context context_;  // the current Context when the call was made (the span's parent)
  Span span_;
  bool ended_ = false;
};

// url as url.full shows it: without user:password@, and with the value of each query parameter
// named in redacted (any case) replaced by REDACTED.
std::string sanitized_url(std::string_view url, const std::vector<std::string>& redacted);

// The Propagator of the global UnifiedObservability (its propagation settings), or a default
// one when there is none.
const Propagator& default_propagator() noexcept;

// Writes the propagation headers of context (the current one by default) into carrier, with
// default_propagator(). For clients that are not instrumented with a span of their own.
template <class Carrier>
void inject_headers(Carrier& carrier, const Context& context = Context::current()) {
  default_propagator().inject(context, carrier);
}

}  // namespace mmf
