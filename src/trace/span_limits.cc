#include "mmf/span_limits.h"

#include <cstdint>
#include <string>

namespace mmf {
namespace {

// The length a UTF-8 lead byte announces, or 0 for a byte that cannot start a character.
std::size_t sequence_length(unsigned char lead) noexcept {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool is_continuation(unsigned char byte) noexcept { return (byte & 0xC0) == 0x80; }

void apply(const EnvLookup& env, std::string_view name, std::size_t& field, ConfigErrors& errors) {
  constexpr std::int64_t kMax = std::int64_t{1} << 40;
  if (auto value = read_int(env, name, 0, kMax, errors)) {
    field = static_cast<std::size_t>(*value);
  }
}

}  // namespace

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text;
  // Look back from the cut for the start of the character it falls in: at most three
  // continuation bytes precede the cut inside one character.
  std::size_t start = max_bytes;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  while (start > 0 && max_bytes - start < 3 && is_continuation(bytes[start])) --start;
  if (start == max_bytes) return text.substr(0, max_bytes);  // the cut is at a boundary
  const std::size_t length = sequence_length(bytes[start]);
  if (length > 1 && start + length > max_bytes) {
    // The cut would split a character: check that it really is one (all its continuation bytes
    // present) before dropping it whole; otherwise the bytes are invalid and count singly.
    bool complete = start + length <= text.size();
    for (std::size_t i = start + 1; complete && i < start + length; ++i) {
      complete = is_continuation(bytes[i]);
    }
    if (complete) return text.substr(0, start);
  }
  return text.substr(0, max_bytes);
}

SpanLimits span_limits_from_env(const EnvLookup& env, ConfigErrors& errors, SpanLimits defaults) {
  SpanLimits limits = defaults;
  // The span-specific variables win over the general attribute ones.
  apply(env, "OTEL_ATTRIBUTE_COUNT_LIMIT", limits.attribute_count, errors);
  apply(env, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", limits.attribute_count, errors);
  apply(env, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", limits.attribute_value_length, errors);
  apply(env, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", limits.attribute_value_length, errors);
  apply(env, "OTEL_SPAN_EVENT_COUNT_LIMIT", limits.event_count, errors);
  apply(env, "OTEL_SPAN_LINK_COUNT_LIMIT", limits.link_count, errors);
  apply(env, "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", limits.event_attribute_count, errors);
  apply(env, "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", limits.link_attribute_count, errors);
  return limits;
}

}  // namespace mmf
