#include "propagation/b3.h"

#include "mmf/propagation.h"
#include "propagation/hex.h"
#include "propagation/text.h"

namespace mmf {
namespace {

// Decodes 16 or 32 hex digits (either case, as B3 senders vary) into a trace ID; 64-bit IDs
// are left-padded with zeros as the B3 specification says.
std::optional<TraceId> b3_trace_id(std::string_view hex) noexcept {
  if (hex.size() != 16 && hex.size() != 32) return std::nullopt;
  char lower[32];
  const std::size_t pad = 32 - hex.size();
  for (std::size_t i = 0; i < pad; ++i) lower[i] = '0';
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    lower[pad + i] = (c >= 'A' && c <= 'F') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  return TraceId::from_hex(std::string_view(lower, 32));
}

std::optional<SpanId> b3_span_id(std::string_view hex) noexcept {
  if (hex.size() != 16) return std::nullopt;
  char lower[16];
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = hex[i];
    lower[i] = (c >= 'A' && c <= 'F') ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  return SpanId::from_hex(std::string_view(lower, 16));
}

// The sampling state: "1" or "d" (debug) sample, "0" does not, empty defers (not sampled here).
// Legacy multi-header senders write "true"/"false". nullopt for anything else.
std::optional<bool> b3_sampled(std::string_view state) noexcept {
  if (state.empty() || state == "0" || iequals(state, "false")) return false;
  if (state == "1" || state == "d" || iequals(state, "true")) return true;
  return std::nullopt;
}

std::optional<SpanContext> make(std::string_view trace, std::string_view span,
                                std::optional<bool> sampled) noexcept {
  auto trace_id = b3_trace_id(trace);
  auto span_id = b3_span_id(span);
  if (!trace_id || !span_id || !sampled) return std::nullopt;
  SpanContext result;
  result.trace_id = *trace_id;
  result.span_id = *span_id;
  result.flags = TraceFlags(*sampled ? TraceFlags::kSampled : 0);
  result.is_remote = true;
  return result;
}

}  // namespace

std::optional<SpanContext> parse_b3(std::string_view value) noexcept {
  value = detail::trim_ows(value);
  std::string_view parts[4];
  std::size_t count = 0;
  while (true) {
    if (count == 4) return std::nullopt;  // a fifth part, even an empty one after a dash
    const std::size_t dash = value.find('-');
    parts[count++] = value.substr(0, dash);
    if (dash == std::string_view::npos) break;
    value.remove_prefix(dash + 1);
  }
  if (count < 2) return std::nullopt;  // the sampling state only
  std::optional<bool> sampled = false;
  if (count >= 3) {
    sampled = parts[2].empty() ? std::nullopt : b3_sampled(parts[2]);
  }
  if (count == 4 && !b3_span_id(parts[3])) return std::nullopt;  // a malformed parent span ID
  return make(parts[0], parts[1], sampled);
}

namespace detail {

std::optional<SpanContext> parse_b3_multi(std::string_view trace_id, std::string_view span_id,
                                          std::string_view sampled,
                                          std::string_view flags) noexcept {
  std::optional<bool> decision = b3_sampled(trim_ows(sampled));
  if (trim_ows(flags) == "1") decision = true;  // debug implies sampled
  return make(trim_ows(trace_id), trim_ows(span_id), decision);
}

}  // namespace detail
}  // namespace mmf
