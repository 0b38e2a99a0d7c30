// OTLP transport: delivers payloads that an encoder has already produced (protobuf or JSON) to an
// OpenTelemetry collector, with the retry rules of the OTLP/HTTP specification.
//
// What it promises: send() makes one logical export. A 2xx answer is success. 429, 502, 503 and
// 504, a refused or reset connection and an attempt that times out are retried with exponential
// backoff and jitter (a Retry-After header in seconds or as an HTTP date replaces the backoff);
// any other answer is a permanent failure and is not retried. No attempt, wait or backoff runs
// past the caller's deadline: each attempt gets min(options.timeout, time left), and a retry whose
// wait would end after the deadline is not made. send() never throws, and its messages never hold
// the credentials of a user:password@ endpoint or the values of the configured headers.
//
// Usage:
//   mmf::ConfigErrors errors;
//   auto options = mmf::otlp_http_options_from_env(mmf::process_environment(), "TRACES", errors);
//   if (!errors.empty()) { /* refuse to start, naming each error */ }
//   mmf::OtlpHttpTransport transport(std::move(options));
//   auto result = transport.send("/v1/traces", payload, "application/x-protobuf",
//                                std::chrono::steady_clock::now() + std::chrono::seconds(30));
//
// Thread-safety: send() may be called from any thread; concurrent calls are serialised, one
// request at a time on one connection that is kept for reuse. cancel() may be called from any
// thread at any time (for example by a shutdown that must not wait for a hanging collector); it
// makes the send in progress return kCancelled within about 100 ms and every later send() return
// kCancelled at once. Destroying the transport while another thread uses it is not allowed.
//
// Cost: send() blocks its caller for the whole exchange, backoff included; call it from an
// export thread, never on a request path. gzip compression copies the payload once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/environment.h"

namespace mmf {

// Where and how to send. Defaults are the OpenTelemetry ones.
struct OtlpHttpOptions {
  // Base URL, http:// or https://; send() appends its path ("/v1/traces") with one '/' between.
  std::string endpoint = "http://localhost:4318";
  // When true, endpoint is the whole URL (as a per-signal OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT
  // is) and send()'s path is ignored.
  bool endpoint_is_full_url = false;
  // Extra request headers, e.g. an API key from OTEL_EXPORTER_OTLP_HEADERS. Content-Type and
  // Content-Encoding are the transport's own and cannot be overridden here.
  std::vector<std::pair<std::string, std::string>> headers{};
  // Limit for one attempt; 0 means no limit but the deadline.
  std::chrono::milliseconds timeout{10000};
  // Compress request bodies with gzip (Content-Encoding: gzip).
  bool gzip = false;
  // Attempts per send(), the first included; 1 disables retries.
  int max_attempts = 5;
  // Wait before retry n (n >= 1): min(initial_backoff * backoff_multiplier^(n-1), max_backoff),
  // then scaled by a random factor in [0.8, 1.2) so that many clients do not retry in step.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double backoff_multiplier = 1.5;
  // Empty means "mmf-observability/<version>".
  std::string user_agent{};
  // TLS, for https endpoints. Empty paths mean the system defaults (and no client certificate).
  std::string certificate_file{};         // PEM CA bundle that verifies the collector
  std::string client_certificate_file{};  // PEM client certificate, for mutual TLS
  std::string client_key_file{};          // PEM private key of the client certificate
  // Skips verification of the collector's certificate and host name. For tests against a
  // self-signed collector only: it lets anyone in the middle read the telemetry.
  bool insecure_skip_verify = false;
};

// options with each OTEL_EXPORTER_OTLP_* variable that is set applied, for one signal ("TRACES",
// "METRICS" or "LOGS"): ENDPOINT, HEADERS, TIMEOUT, COMPRESSION ("gzip" or "none"), CERTIFICATE,
// CLIENT_CERTIFICATE and CLIENT_KEY. A per-signal variable (OTEL_EXPORTER_OTLP_TRACES_HEADERS)
// replaces the generic one. A per-signal ENDPOINT is the full URL, used as it is; the generic
// ENDPOINT is a base to which send() appends "/v1/<signal>". Bad values keep the default and add
// an error naming the variable.
OtlpHttpOptions otlp_http_options_from_env(const EnvLookup& env, std::string_view signal,
                                           ConfigErrors& errors, OtlpHttpOptions defaults = {});

// One error per setting that cannot work (an endpoint that is not an http(s) URL, a header that
// is not a valid HTTP field, a negative duration, fewer than one attempt...), naming source
// (e.g. "TracerOptions.otlp").
void validate(const OtlpHttpOptions& options, std::string_view source, ConfigErrors& errors);

// How one send() ended.
struct TransportResult {
  enum class Status {
    kSuccess,           // the collector accepted the payload (2xx)
    kRetryableFailure,  // transient trouble outlasted the attempts, or no time was left to retry
    kPermanentFailure,  // the collector refused the payload, or the request cannot work
    kCancelled,         // cancel() was called
    kTimedOut,          // the deadline passed during an attempt, or before the first one
  };
  Status status = Status::kPermanentFailure;
  int http_status = 0;  // of the last answer; 0 when there was none
  int attempts = 0;     // requests started
  std::string message;  // why it failed (curl's error, or the HTTP status and the body's start)
  // On success, the collector's answer (its first 4 KiB): an Export*ServiceResponse, which may
  // report a partial success.
  std::string response_body;

  bool ok() const { return status == Status::kSuccess; }
};

// The seam exporters depend on, so that their tests can use an in-memory transport.
class OtlpTransport {
 public:
  virtual ~OtlpTransport() = default;
  // Sends body with content_type ("application/x-protobuf" or "application/json") to the
  // signal's path ("/v1/traces"), retrying as the transport's rules allow until deadline.
  virtual TransportResult send(std::string_view path, std::string_view body,
                               std::string_view content_type,
                               std::chrono::steady_clock::time_point deadline) noexcept = 0;
  // Makes the send in progress, and every later one, return kCancelled promptly.
  virtual void cancel() noexcept = 0;
};

// OTLP over HTTP/1.1 with libcurl.
class OtlpHttpTransport final : public OtlpTransport {
 public:
  // Throws std::invalid_argument, listing every problem, when validate() reports any, and
  // std::runtime_error when libcurl cannot be initialised.
  explicit OtlpHttpTransport(OtlpHttpOptions options);
  ~OtlpHttpTransport() override;
  OtlpHttpTransport(const OtlpHttpTransport&) = delete;
  OtlpHttpTransport& operator=(const OtlpHttpTransport&) = delete;

  TransportResult send(std::string_view path, std::string_view body, std::string_view content_type,
                       std::chrono::steady_clock::time_point deadline) noexcept override;
  void cancel() noexcept override;

 private:
  struct State;  // libcurl handles, kept out of this header
  std::unique_ptr<State> state_;
};

}  // namespace mmf
