// Fuzzes parse_traceparent against a reference reading of the W3C rules, and checks that what
// is accepted formats back to the same fields and parses again to the same SpanContext.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.h"
#include "mmf/propagation.h"

namespace {

using mmf_fuzz::is_lower_hex;

bool all_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!is_lower_hex(c)) return false;
  }
  return true;
}

bool all_zero(std::string_view text) { return text.find_first_not_of('0') == text.npos; }

// W3C Trace Context §"traceparent Header Field Values" and §"Versioning of traceparent", read
// field by field: version (2 lowercase hex, not ff), trace-id (32, not all zero), parent-id
// (16, not all zero), flags (2); version 00 ends there, a later version may go on after a dash.
bool reference_accepts(std::string_view value) {
  value = mmf_fuzz::trim(value);
  if (value.size() < 55 || value.size() > mmf::kMaxTraceparentSize) return false;
  const std::string_view version = value.substr(0, 2);
  const std::string_view trace_id = value.substr(3, 32);
  const std::string_view parent_id = value.substr(36, 16);
  const std::string_view flags = value.substr(53, 2);
  if (!all_lower_hex(version) || version == "ff") return false;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  if (!all_lower_hex(trace_id) || all_zero(trace_id)) return false;
  if (!all_lower_hex(parent_id) || all_zero(parent_id)) return false;
  if (!all_lower_hex(flags)) return false;
  if (version == "00") return value.size() == 55;
  return value.size() == 55 || value[55] == '-';
}

int hex_value(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mmf_fuzz::as_text(data, size);
  const std::optional<mmf::SpanContext> parsed = mmf::parse_traceparent(input);
  MMF_FUZZ_CHECK(parsed.has_value() == reference_accepts(input));

  // The carrier path agrees, except that it never looks at a value over the size limit.
  const std::vector<std::pair<std::string, std::string>> headers{
      {"traceparent", std::string(input)}};
  const mmf::SpanContext extracted = mmf::extract_trace_context(headers);
  const bool carrier_accepts = parsed.has_value() && input.size() <= mmf::kMaxTraceparentSize;
  MMF_FUZZ_CHECK(extracted.is_valid() == carrier_accepts);
  if (carrier_accepts) MMF_FUZZ_CHECK(extracted == *parsed);

  if (!parsed) return 0;
  MMF_FUZZ_CHECK(parsed->is_valid());
  MMF_FUZZ_CHECK(parsed->is_remote);
  MMF_FUZZ_CHECK(parsed->trace_state.empty());
  MMF_FUZZ_CHECK((parsed->flags.bits() & ~mmf::TraceFlags::kKnown) == 0);

  // Formatting writes version 00 with the same IDs and the known flag bits.
  const std::string_view value = mmf_fuzz::trim(input);
  const std::string formatted = mmf::format_traceparent(*parsed);
  MMF_FUZZ_CHECK(formatted.size() == mmf::kTraceparentSize);
  MMF_FUZZ_CHECK(formatted.substr(0, 3) == "00-");
  MMF_FUZZ_CHECK(std::string_view(formatted).substr(3, 49) == value.substr(3, 49));
  const int flags = hex_value(value[53]) * 16 + hex_value(value[54]);
  MMF_FUZZ_CHECK(parsed->flags.bits() == (flags & mmf::TraceFlags::kKnown));

  const std::optional<mmf::SpanContext> again = mmf::parse_traceparent(formatted);
  MMF_FUZZ_CHECK(again.has_value());
  MMF_FUZZ_CHECK(*again == *parsed);
  MMF_FUZZ_CHECK(mmf::format_traceparent(*again) == formatted);
  return 0;
}
