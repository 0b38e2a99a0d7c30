// The retry rules of OTLP/HTTP, as pure functions so that tests can check them without a
// network: which answers and which libcurl errors are worth another attempt, how long to back
// off, and how to read a Retry-After header.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmf::detail {

enum class HttpOutcome { kSuccess, kRetryable, kPermanent };

// The OTLP/HTTP specification names exactly these statuses as retryable; every other non-2xx
// answer (including 3xx, which the exporter does not follow) means "do not send this again".
constexpr HttpOutcome classify_http_status(long status) noexcept {
  if (status >= 200 && status < 300) return HttpOutcome::kSuccess;
  if (status == 429 || status == 502 || status == 503 || status == 504) {
    return HttpOutcome::kRetryable;
  }
  return HttpOutcome::kPermanent;
}

// Network trouble that may pass (the collector restarting, a reset connection, a slow answer)
// is retried; a malformed URL, a bad certificate file or a refused TLS peer will not get better.
constexpr bool is_retryable_curl_error(CURLcode code) noexcept {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// The wait before retry number `retry` (1 for the wait after the first attempt):
// min(initial * multiplier^(retry-1), max), scaled by 0.8 + 0.4 * jitter, jitter in [0, 1).
// Computed in double so that a large retry count saturates at max instead of overflowing.
inline std::chrono::milliseconds backoff_delay(std::chrono::milliseconds initial,
                                               std::chrono::milliseconds max, double multiplier,
                                               int retry, double jitter) noexcept {
  const double grown = static_cast<double>(initial.count()) *
                       std::pow(multiplier, static_cast<double>(std::max(retry - 1, 0)));
  const double capped = std::min(grown, static_cast<double>(max.count()));
  const double scaled = capped * (0.8 + 0.4 * std::clamp(jitter, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(scaled, 0.0)));
}

// A Retry-After value: delay-seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT",
// read by libcurl's curl_getdate). A date in the past means "now". nullopt when unreadable, in
// which case the caller falls back to its own backoff.
inline std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  // Far past any deadline, and small enough that no clock arithmetic overflows.
  constexpr std::int64_t kMaxSeconds = std::int64_t{1} << 31;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    for (char c : value) {
      seconds = std::min(seconds * 10 + (c - '0'), kMaxSeconds);
    }
    return std::chrono::seconds(seconds);
  }
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  // In whole seconds, as the date is: a date in year 9999 must not overflow a clock.
  const std::int64_t seconds = static_cast<std::int64_t>(when) -
                               static_cast<std::int64_t>(std::chrono::system_clock::to_time_t(now));
  return std::chrono::seconds(std::clamp<std::int64_t>(seconds, 0, kMaxSeconds));
}

}  // namespace mmf::detail
