// negotiate_format, content_type, accepts_gzip and gzip of metrics/exposition.h: what a /metrics
// handler needs around the writers (metrics/exposition.cc), apart so that each file stays small.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "export/gzip.h"
#include "metrics/exposition.h"
#include "mmf/carrier.h"
#include "propagation/text.h"

namespace mmf::detail {
namespace {

// Splits text at each separator outside double quotes; calls on_part with each piece.
template <class OnPart>
void split_unquoted(std::string_view text, char separator, OnPart&& on_part) {
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (text[i] == separator && !quoted)) {
      on_part(text.substr(start, i - start));
      start = i + 1;
    } else if (text[i] == '"') {
      quoted = !quoted;
    }
  }
}

// One element of an Accept or Accept-Encoding list: its first token and the parameters that
// matter here. q is -1 when its value does not parse (the element then accepts nothing).
struct ListElement {
  std::string_view token;
  std::optional<std::string_view> version;
  double q = 1;
};

ListElement parse_element(std::string_view element) {
  ListElement parsed;
  bool first = true;
  split_unquoted(element, ';', [&](std::string_view part) {
    part = trim_ows(part);
    if (first) {
      parsed.token = part;
      first = false;
      return;
    }
    const std::size_t equals = part.find('=');
    if (equals == std::string_view::npos) return;
    const std::string_view name = trim_ows(part.substr(0, equals));
    std::string_view value = trim_ows(part.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (mmf::iequals(name, "q")) {
      double q = -1;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), q);
      const bool valid = error == std::errc() && end == value.data() + value.size() && q >= 0;
      parsed.q = valid ? std::min(q, 1.0) : -1;
    } else if (mmf::iequals(name, "version")) {
      parsed.version = value;
    }
  });
  return parsed;
}

}  // namespace

ExpositionFormat negotiate_format(std::string_view accept) noexcept {
  // The best q of each kind of range; -1 when no such range is listed.
  double openmetrics = -1;
  double text_plain = -1;
  double text_any = -1;
  double any = -1;
  split_unquoted(accept, ',', [&](std::string_view raw) {
    const ListElement element = parse_element(raw);
    const auto best = [&](double& q) { q = std::max(q, element.q); };
    if (mmf::iequals(element.token, "application/openmetrics-text")) {
      // Only 1.0.0 is written; 0.0.1 (an OpenMetrics draft some scrapers still offer) is not.
      if (element.version.value_or("1.0.0") == "1.0.0") best(openmetrics);
    } else if (mmf::iequals(element.token, "text/plain")) {
      best(text_plain);
    } else if (mmf::iequals(element.token, "text/*")) {
      best(text_any);
    } else if (element.token == "*/*") {
      best(any);
    }
  });
  // The most specific range that matches text/plain decides its q (RFC 9110, 12.5.1).
  const double text = text_plain >= 0 ? text_plain : text_any >= 0 ? text_any : std::max(any, 0.0);
  return openmetrics > 0 && openmetrics >= text ? ExpositionFormat::kOpenMetrics
                                                : ExpositionFormat::kPrometheusText;
}

std::string_view content_type(ExpositionFormat format) noexcept {
  return format == ExpositionFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

bool accepts_gzip(std::string_view accept_encoding) noexcept {
  double gzip_q = -1;
  double any_q = -1;
  split_unquoted(accept_encoding, ',', [&](std::string_view raw) {
    const ListElement element = parse_element(raw);
    if (mmf::iequals(element.token, "gzip") || mmf::iequals(element.token, "x-gzip")) {
      gzip_q = std::max(gzip_q, element.q);
    } else if (element.token == "*") {
      any_q = std::max(any_q, element.q);
    }
  });
  return gzip_q >= 0 ? gzip_q > 0 : any_q > 0;
}

bool gzip(std::string_view data, std::string& out) {
  // Level 1: an exposition is repetitive text that the fastest level already shrinks about 19
  // times (level 6: 25 times, in 2.5 times as long), and the scrape waits for the compression.
  constexpr int kLevel = 1;
  // A 1 GiB exposition is far beyond any real one: refused rather than compressed.
  if (data.size() > (std::size_t{1} << 30)) return false;
  return gzip_append(data, kLevel, out);
}

}  // namespace mmf::detail
