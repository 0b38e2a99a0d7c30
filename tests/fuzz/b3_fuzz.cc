// Fuzzes B3: parse_b3 against a reference reading of the single-header format, a round trip of
// what is accepted, and the multi-header form through Propagator::extract (the input split at
// '\n' into X-B3-TraceId, X-B3-SpanId, X-B3-Sampled and X-B3-Flags).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "mmf/carrier.h"
#include "mmf/propagation.h"

namespace {

using mmf_fuzz::is_any_hex;

bool is_b3_id(std::string_view text, std::size_t a, std::size_t b) {
  if (text.size() != a && text.size() != b) return false;
  bool nonzero = false;
  for (char c : text) {
    if (!is_any_hex(c)) return false;
    nonzero = nonzero || c != '0';
  }
  return nonzero;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The trace ID as 32 lowercase digits: a 64-bit ID is padded with zeros on the left.
std::string padded_trace_id(std::string_view text) {
  return std::string(32 - text.size(), '0') + lower(text);
}

// {trace 16|32 hex}-{span 16 hex}[-{0|1|d}[-{parent 16 hex}]]. Legacy "true"/"false" is also
// taken (as the implementation documents for senders of the multi-header form).
std::optional<bool> reference_single(std::string_view value) {
  const std::vector<std::string_view> parts = mmf_fuzz::split(mmf_fuzz::trim(value), '-');
  if (parts.size() < 2 || parts.size() > 4) return std::nullopt;
  if (!is_b3_id(parts[0], 16, 32) || !is_b3_id(parts[1], 16, 16)) return std::nullopt;
  bool sampled = false;
  if (parts.size() >= 3) {
    const std::string_view state = parts[2];
    if (state == "1" || state == "d" || mmf::iequals(state, "true")) {
      sampled = true;
    } else if (!(state == "0" || mmf::iequals(state, "false"))) {
      return std::nullopt;
    }
  }
  if (parts.size() == 4 && !is_b3_id(parts[3], 16, 16)) return std::nullopt;
  return sampled;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mmf_fuzz::as_text(data, size);

  const std::optional<mmf::SpanContext> single = mmf::parse_b3(input);
  const std::optional<bool> expected = reference_single(input);
  MMF_FUZZ_CHECK(single.has_value() == expected.has_value());
  if (single) {
    const std::vector<std::string_view> parts = mmf_fuzz::split(mmf_fuzz::trim(input), '-');
    MMF_FUZZ_CHECK(single->is_valid());
    MMF_FUZZ_CHECK(single->is_remote);
    MMF_FUZZ_CHECK(single->trace_state.empty());
    MMF_FUZZ_CHECK(single->is_sampled() == *expected);
    MMF_FUZZ_CHECK((single->flags.bits() & ~mmf::TraceFlags::kSampled) == 0);
    MMF_FUZZ_CHECK(single->trace_id.to_hex() == padded_trace_id(parts[0]));
    MMF_FUZZ_CHECK(single->span_id.to_hex() == lower(parts[1]));
    // Written back in canonical form, it reads the same.
    const std::string canonical = single->trace_id.to_hex() + "-" + single->span_id.to_hex() +
                                  (single->is_sampled() ? "-1" : "-0");
    const std::optional<mmf::SpanContext> again = mmf::parse_b3(canonical);
    MMF_FUZZ_CHECK(again.has_value() && *again == *single);
  }

  // The multi-header form: each part is one header; B3 applies as no traceparent came.
  const std::vector<std::string_view> lines = mmf_fuzz::split(input, '\n');
  static constexpr std::string_view kNames[] = {mmf::headers::kB3TraceId, mmf::headers::kB3SpanId,
                                                mmf::headers::kB3Sampled, mmf::headers::kB3Flags};
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::size_t i = 0; i < lines.size() && i < 4; ++i) {
    headers.emplace_back(std::string(kNames[i]), std::string(lines[i]));
  }
  const mmf::SpanContext multi =
      mmf::Propagator({.correlation = false, .generate_correlation_id = false})
          .extract(headers)
          .span_context();
  if (multi.is_valid()) {
    const std::string_view trace = mmf_fuzz::trim(lines[0]);
    MMF_FUZZ_CHECK(lines.size() >= 2);
    MMF_FUZZ_CHECK(is_b3_id(trace, 16, 32));
    MMF_FUZZ_CHECK(multi.trace_id.to_hex() == padded_trace_id(trace));
    MMF_FUZZ_CHECK(multi.span_id.to_hex() == lower(mmf_fuzz::trim(lines[1])));
    MMF_FUZZ_CHECK(multi.is_remote);
    const bool debug = lines.size() >= 4 && mmf_fuzz::trim(lines[3]) == "1";
    if (debug) MMF_FUZZ_CHECK(multi.is_sampled());
  } else if (lines.size() >= 2) {
    // Both IDs well-formed and a known (or absent) sampling state must be accepted.
    const std::string_view sampled = lines.size() >= 3 ? mmf_fuzz::trim(lines[2]) : "";
    const bool known_state = sampled.empty() || sampled == "0" || sampled == "1" ||
                             sampled == "d" || mmf::iequals(sampled, "true") ||
                             mmf::iequals(sampled, "false");
    const bool debug = lines.size() >= 4 && mmf_fuzz::trim(lines[3]) == "1";
    MMF_FUZZ_CHECK(!(is_b3_id(mmf_fuzz::trim(lines[0]), 16, 32) &&
                     is_b3_id(mmf_fuzz::trim(lines[1]), 16, 16) && (known_state || debug)));
  }
  return 0;
}
