#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

#include "export/gzip.h"
#include "export/retry.h"
#include "export/retry_loop.h"
#include "mmf/curl_carrier.h"
#include "mmf/otlp_transport.h"
#include "mmf/version.h"

namespace mmf {
namespace {

using Clock = std::chrono::steady_clock;
using Status = TransportResult::Status;

// Answers are only read for the message, so a huge error page is not kept whole.
constexpr std::size_t kMaxKeptBody = 4096;
constexpr std::size_t kMaxShownBody = 256;
constexpr std::size_t kMaxKeptRetryAfter = 64;  // an HTTP date is 29 characters

void ensure_curl_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower_ascii(x) == lower_ascii(y);
         });
}

// Why url cannot be an OTLP/HTTP endpoint, or nullopt when it can.
std::optional<std::string> url_problem(std::string_view url) {
  ensure_curl_initialized();
  const std::string text(url);
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return "cannot be checked (out of memory)";
  std::optional<std::string> problem;
  char* scheme = nullptr;
  char* host = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    problem = "is not a URL (expected http://host:port or https://host:port)";
  } else if (curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (std::strcmp(scheme, "http") != 0 && std::strcmp(scheme, "https") != 0)) {
    problem = "is not an http:// or https:// URL";
  } else if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0') {
    problem = "has no host";
  }
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(parsed);
  return problem;
}

// The user:password part of url, which must never appear in a message.
std::string_view userinfo_of(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::size_t at = authority.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : authority.substr(0, at);
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// Base and path joined with exactly one '/', as the specification joins the generic endpoint
// with "v1/traces" ("http://host:4318/prefix/" + "/v1/traces" -> ".../prefix/v1/traces").
std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string url(base);
  url.append("/").append(path);
  return url;
}

// The start of an answer's body, printable, for a message.
std::string body_snippet(std::string_view body) {
  std::string shown;
  for (char c : body.substr(0, kMaxShownBody)) {
    shown.push_back(c >= 0x20 && c < 0x7f ? c : ' ');
  }
  while (!shown.empty() && shown.back() == ' ') shown.pop_back();
  if (body.size() > kMaxShownBody) shown.append("...");
  return shown;
}

// body as one gzip member (zlib's default level: a request is sent once and travels far, so
// size matters more than the milliseconds); nullopt when zlib fails (out of memory).
std::optional<std::string> gzip_compress(std::string_view body) {
  std::string out;
  if (!detail::gzip_append(body, Z_DEFAULT_COMPRESSION, out)) return std::nullopt;
  return out;
}

std::string variable(std::string_view name) { return "environment variable " + std::string(name); }

}  // namespace

// Everything one transport owns. Curl handles are created once and kept, so the connection to
// the collector (kept in the multi handle's cache) is reused by every send().
struct OtlpHttpTransport::State {
  OtlpHttpOptions options;
  std::string user_agent;
  std::string userinfo;  // the endpoint's user:password, to redact from messages
  CURL* easy = nullptr;
  CURLM* multi = nullptr;  // lets cancel() wake a transfer at once (curl_multi_wakeup)

  detail::CancellableWait cancellation;  // cancel() sets it; cuts the wait between attempts short
  std::mutex send_mutex;                 // one send() at a time; guards everything below
  std::minstd_rand random{std::random_device{}()};

  // What the current attempt received.
  std::string response_body;
  std::string retry_after;
  char error[CURL_ERROR_SIZE] = {};

  // How one attempt ended.
  enum class End { kFinished, kCancelled, kTimedOut };
  struct Attempt {
    End end = End::kFinished;
    CURLcode code = CURLE_OK;
    long http_status = 0;
  };

  TransportResult send(std::string_view path, std::string_view body, std::string_view content_type,
                       Clock::time_point deadline);
  Attempt perform(Clock::time_point attempt_end);
  // The wait the collector asked for (Retry-After), if it did and it reads.
  std::optional<std::chrono::milliseconds> server_delay() const;

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* state);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* state);
  static int on_progress(void* state, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
};

std::size_t OtlpHttpTransport::State::on_body(char* data, std::size_t size, std::size_t count,
                                              void* state) {
  auto& self = *static_cast<State*>(state);
  const std::size_t bytes = size * count;
  const std::size_t kept = std::min(bytes, kMaxKeptBody - self.response_body.size());
  self.response_body.append(data, kept);  // within the capacity reserved up front: no throw
  return bytes;
}

std::size_t OtlpHttpTransport::State::on_header(char* data, std::size_t size, std::size_t count,
                                                void* state) {
  auto& self = *static_cast<State*>(state);
  const std::string_view line(data, size * count);
  // A new status line (after "100 Continue", say) starts a new set of headers.
  if (line.starts_with("HTTP/")) self.retry_after.clear();
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.size() > kRetryAfter.size() &&
      iequals_ascii(line.substr(0, kRetryAfter.size()), kRetryAfter)) {
    std::string_view value = line.substr(kRetryAfter.size());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
      value.remove_suffix(1);
    }
    // Within the capacity reserved up front, so no exception can cross libcurl's C frames.
    self.retry_after.assign(value.substr(0, self.retry_after.capacity()));
  }
  return size * count;
}

// A second line of defence: curl_multi_wakeup ends the poll, this ends the transfer.
int OtlpHttpTransport::State::on_progress(void* state, curl_off_t, curl_off_t, curl_off_t,
                                          curl_off_t) {
  return static_cast<State*>(state)->cancellation.cancelled() ? 1 : 0;
}

OtlpHttpTransport::OtlpHttpTransport(OtlpHttpOptions options) : state_(std::make_unique<State>()) {
  ConfigErrors errors;
  validate(options, "OtlpHttpOptions", errors);
  if (!errors.empty()) {
    std::string text = "invalid OTLP/HTTP options:";
    for (const ConfigError& error : errors) text.append(" ").append(error.to_string()).append(";");
    text.pop_back();
    throw std::invalid_argument(redact(std::move(text), userinfo_of(options.endpoint)));
  }
  ensure_curl_initialized();
  State& s = *state_;
  s.options = std::move(options);
  s.userinfo = std::string(userinfo_of(s.options.endpoint));
  s.user_agent = s.options.user_agent.empty()
                     ? std::string(kLibraryName) + "/" + std::string(kVersion)
                     : s.options.user_agent;
  s.response_body.reserve(kMaxKeptBody);
  s.retry_after.reserve(kMaxKeptRetryAfter);
  s.easy = curl_easy_init();
  s.multi = curl_multi_init();
  if (s.easy == nullptr || s.multi == nullptr) {
    curl_easy_cleanup(s.easy);
    curl_multi_cleanup(s.multi);
    throw std::runtime_error("libcurl could not create a handle");
  }
  CURL* easy = s.easy;
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for timeouts in a library
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, s.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, s.error);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &State::on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &State::on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &State::on_progress);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &s);
  if (!s.options.certificate_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, s.options.certificate_file.c_str());
  }
  if (!s.options.client_certificate_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, s.options.client_certificate_file.c_str());
  }
  if (!s.options.client_key_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLKEY, s.options.client_key_file.c_str());
  }
  if (s.options.insecure_skip_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

OtlpHttpTransport::~OtlpHttpTransport() {
  curl_easy_cleanup(state_->easy);
  curl_multi_cleanup(state_->multi);
}

void OtlpHttpTransport::cancel() noexcept {
  state_->cancellation.cancel();
  curl_multi_wakeup(state_->multi);  // thread-safe; ends a curl_multi_poll in progress at once
}

TransportResult OtlpHttpTransport::send(std::string_view path, std::string_view body,
                                        std::string_view content_type,
                                        Clock::time_point deadline) noexcept {
  try {
    std::lock_guard<std::mutex> lock(state_->send_mutex);
    return state_->send(path, body, content_type, deadline);
  } catch (...) {  // only allocation can throw here
    return detail::out_of_memory_result();
  }
}

std::optional<std::chrono::milliseconds> OtlpHttpTransport::State::server_delay() const {
  if (retry_after.empty()) return std::nullopt;
  return detail::parse_retry_after(retry_after, std::chrono::system_clock::now());
}

TransportResult OtlpHttpTransport::State::send(std::string_view path, std::string_view body,
                                               std::string_view content_type,
                                               Clock::time_point deadline) {
  TransportResult result;
  if (cancellation.cancelled()) {
    result.status = Status::kCancelled;
    result.message = "the transport was cancelled";
    return result;
  }
  const std::string url =
      options.endpoint_is_full_url ? options.endpoint : join_url(options.endpoint, path);
  const std::string shown_url = redact(url, userinfo);
  std::optional<std::string> compressed;
  if (options.gzip && !(compressed = gzip_compress(body))) {
    result.message = "gzip compression failed";
    return result;
  }
  const std::string_view payload = compressed ? std::string_view(*compressed) : body;

  // "Expect:" stops curl from waiting for "100 Continue" before a large body.
  CurlHeaderList headers(curl_slist_append(nullptr, "Expect:"));
  for (const auto& [name, value] : options.headers) headers.append(name, value);
  headers.set("Content-Type", content_type);
  if (compressed) headers.set("Content-Encoding", "gzip");
  if (headers.get() == nullptr || headers.dropped() != 0) {
    result.message = "the request headers could not be built";
    return result;
  }
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));

  result = detail::run_attempts(
      options, shown_url, cancellation, random, deadline,
      [&](TransportResult& attempt, Clock::time_point attempt_end, bool deadline_bounds) {
        const Attempt outcome = perform(attempt_end);
        attempt.http_status = static_cast<int>(outcome.http_status);
        if (outcome.end == End::kCancelled)
          return detail::AttemptEnd{detail::AttemptEnd::kCancelled};
        if (outcome.end == End::kTimedOut) {
          if (deadline_bounds) return detail::AttemptEnd{detail::AttemptEnd::kTimedOut};
          attempt.message = "no answer from " + shown_url + " within " +
                            std::to_string(options.timeout.count()) + " ms";
          return detail::AttemptEnd{detail::AttemptEnd::kRetryable, server_delay()};
        }
        if (outcome.code != CURLE_OK) {
          // curl's error buffer says more than curl_easy_strerror ("Failed to connect to ...").
          attempt.message = (error[0] != '\0' ? redact(error, userinfo)
                                              : std::string(curl_easy_strerror(outcome.code))) +
                            " sending to " + shown_url;
          if (!detail::is_retryable_curl_error(outcome.code)) {
            return detail::AttemptEnd{detail::AttemptEnd::kPermanent};
          }
          return detail::AttemptEnd{detail::AttemptEnd::kRetryable, server_delay()};
        }
        const detail::HttpOutcome http = detail::classify_http_status(outcome.http_status);
        if (http == detail::HttpOutcome::kSuccess) {
          attempt.response_body = response_body;  // may hold a partial-success report
          return detail::AttemptEnd{detail::AttemptEnd::kSuccess};
        }
        attempt.message = "HTTP " + std::to_string(outcome.http_status) + " from " + shown_url;
        if (!response_body.empty()) attempt.message += ": " + body_snippet(response_body);
        if (http == detail::HttpOutcome::kPermanent) {
          return detail::AttemptEnd{detail::AttemptEnd::kPermanent};
        }
        return detail::AttemptEnd{detail::AttemptEnd::kRetryable, server_delay()};
      });
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);  // headers die with this scope
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
  return result;
}

OtlpHttpTransport::State::Attempt OtlpHttpTransport::State::perform(Clock::time_point attempt_end) {
  Attempt outcome;
  response_body.clear();
  retry_after.clear();
  error[0] = '\0';
  // The loop below enforces attempt_end; this is a backstop in case the poll misbehaves.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(attempt_end - Clock::now());
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(left.count()) + 1000L);
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    outcome.code = CURLE_FAILED_INIT;
    return outcome;
  }
  while (true) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      outcome.code = CURLE_FAILED_INIT;
      break;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg == CURLMSG_DONE) outcome.code = message->data.result;
      }
      break;
    }
    if (cancellation.cancelled()) {
      outcome.end = End::kCancelled;
      break;
    }
    const Clock::time_point now = Clock::now();
    if (now >= attempt_end) {
      outcome.end = End::kTimedOut;
      break;
    }
    // curl_multi_poll also returns early for curl's own timers, and for cancel()'s wakeup.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(attempt_end - now);
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(std::min<long long>(wait.count(), 1000)),
                    nullptr);
  }
  // Removing an unfinished transfer closes its connection, so a late answer cannot be mistaken
  // for the next request's.
  curl_multi_remove_handle(multi, easy);
  if (outcome.code == CURLE_ABORTED_BY_CALLBACK && cancellation.cancelled())
    outcome.end = End::kCancelled;
  if (outcome.code == CURLE_OPERATION_TIMEDOUT) outcome.end = End::kTimedOut;
  if (outcome.end == End::kFinished && outcome.code == CURLE_OK) {
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &outcome.http_status);
  }
  return outcome;
}

OtlpHttpOptions otlp_http_options_from_env(const EnvLookup& env, std::string_view signal,
                                           ConfigErrors& errors, OtlpHttpOptions defaults) {
  OtlpHttpOptions options = std::move(defaults);
  const std::string generic = "OTEL_EXPORTER_OTLP_";
  std::string specific = generic;
  for (char c : signal) specific.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  specific.push_back('_');
  // The per-signal variable wins when it is set; each reader reports its own variable's errors.
  const auto first_set = [&](std::string_view suffix) {
    const std::string name = specific + std::string(suffix);
    return read_string(env, name) ? name : generic + std::string(suffix);
  };

  const std::string endpoint_name = first_set("ENDPOINT");
  if (const std::optional<std::string> endpoint = read_string(env, endpoint_name)) {
    if (const std::optional<std::string> problem = url_problem(*endpoint)) {
      errors.push_back({variable(endpoint_name),
                        "'" + redact(*endpoint, userinfo_of(*endpoint)) + "' " + *problem});
    } else {
      options.endpoint = *endpoint;
      options.endpoint_is_full_url = endpoint_name == specific + "ENDPOINT";
    }
  }
  if (auto headers = read_key_value_list(env, first_set("HEADERS"), errors)) {
    options.headers = std::move(*headers);
  }
  if (auto timeout = read_milliseconds(env, first_set("TIMEOUT"), errors)) {
    options.timeout = *timeout;
  }
  const std::string compression_name = first_set("COMPRESSION");
  if (const std::optional<std::string> compression = read_string(env, compression_name)) {
    if (iequals_ascii(*compression, "gzip")) {
      options.gzip = true;
    } else if (iequals_ascii(*compression, "none")) {
      options.gzip = false;
    } else {
      errors.push_back(
          {variable(compression_name), "'" + body_snippet(*compression) + "' is not gzip or none"});
    }
  }
  if (auto file = read_string(env, first_set("CERTIFICATE"))) options.certificate_file = *file;
  if (auto file = read_string(env, first_set("CLIENT_CERTIFICATE"))) {
    options.client_certificate_file = *file;
  }
  if (auto file = read_string(env, first_set("CLIENT_KEY"))) options.client_key_file = *file;
  return options;
}

void validate(const OtlpHttpOptions& options, std::string_view source, ConfigErrors& errors) {
  const std::string prefix(source);
  if (const std::optional<std::string> problem = url_problem(options.endpoint)) {
    errors.push_back(
        {prefix + ".endpoint",
         "'" + redact(options.endpoint, userinfo_of(options.endpoint)) + "' " + *problem});
  }
  for (const auto& [name, value] : options.headers) {
    if (!detail::is_curl_header_name(name)) {
      errors.push_back(
          {prefix + ".headers", std::string("'") + body_snippet(name) + "' is not a header name"});
    } else if (!detail::is_curl_header_value(value)) {
      // The value may be a secret: name the header only.
      errors.push_back({prefix + ".headers", "the value of " + name + " holds CR, LF or NUL"});
    }
  }
  if (options.timeout.count() < 0) errors.push_back({prefix + ".timeout", "must not be negative"});
  if (options.max_attempts < 1) {
    errors.push_back({prefix + ".max_attempts", "must be at least 1"});
  }
  if (options.initial_backoff.count() < 0) {
    errors.push_back({prefix + ".initial_backoff", "must not be negative"});
  }
  if (options.max_backoff < options.initial_backoff) {
    errors.push_back({prefix + ".max_backoff", "must not be less than initial_backoff"});
  }
  if (!(options.backoff_multiplier >= 1.0 && options.backoff_multiplier <= 100.0)) {
    errors.push_back({prefix + ".backoff_multiplier", "must be in [1, 100]"});
  }
  if (!options.client_key_file.empty() && options.client_certificate_file.empty()) {
    errors.push_back({prefix + ".client_key_file", "is set without client_certificate_file"});
  }
  if (!detail::is_curl_header_value(options.user_agent)) {
    errors.push_back({prefix + ".user_agent", "holds CR, LF or NUL"});
  }
}

}  // namespace mmf
