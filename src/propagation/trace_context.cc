#include "mmf/trace_context.h"

#include <algorithm>

#include "context/counters.h"
#include "mmf/propagation.h"
#include "propagation/hex.h"
#include "propagation/text.h"

namespace mmf {

// --- IDs ---------------------------------------------------------------------------------

std::optional<TraceId> TraceId::from_hex(std::string_view hex) noexcept {
  if (hex.size() != kHexSize) return std::nullopt;
  std::array<std::uint8_t, kSize> bytes;
  if (!detail::decode_hex(hex.data(), kSize, bytes.data())) return std::nullopt;
  TraceId id(bytes);
  if (!id.is_valid()) return std::nullopt;
  return id;
}

void TraceId::to_hex(std::span<char, kHexSize> out) const noexcept {
  detail::encode_hex(bytes_.data(), kSize, out.data());
}

std::string TraceId::to_hex() const {
  std::string text(kHexSize, '0');
  to_hex(std::span<char, kHexSize>(text.data(), kHexSize));
  return text;
}

std::optional<SpanId> SpanId::from_hex(std::string_view hex) noexcept {
  if (hex.size() != kHexSize) return std::nullopt;
  std::array<std::uint8_t, kSize> bytes;
  if (!detail::decode_hex(hex.data(), kSize, bytes.data())) return std::nullopt;
  SpanId id(bytes);
  if (!id.is_valid()) return std::nullopt;
  return id;
}

void SpanId::to_hex(std::span<char, kHexSize> out) const noexcept {
  detail::encode_hex(bytes_.data(), kSize, out.data());
}

std::string SpanId::to_hex() const {
  std::string text(kHexSize, '0');
  to_hex(std::span<char, kHexSize>(text.data(), kHexSize));
  return text;
}

// --- traceparent -------------------------------------------------------------------------

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  value = detail::trim_ows(value);
  if (value.size() < kTraceparentSize || value.size() > kMaxTraceparentSize) return std::nullopt;
  std::uint8_t version = 0;
  if (!detail::decode_hex(value.data(), 1, &version) || value[2] != '-') return std::nullopt;
  if (version == 0xff) return std::nullopt;
  // Version 00 has exactly four fields; a later version may append fields after a dash.
  if (version == 0 ? value.size() != kTraceparentSize
                   : value.size() > kTraceparentSize && value[kTraceparentSize] != '-') {
    return std::nullopt;
  }
  if (value[35] != '-' || value[52] != '-') return std::nullopt;

  std::array<std::uint8_t, TraceId::kSize> trace_bytes;
  std::array<std::uint8_t, SpanId::kSize> span_bytes;
  std::uint8_t flags = 0;
  if (!detail::decode_hex(value.data() + 3, TraceId::kSize, trace_bytes.data()) ||
      !detail::decode_hex(value.data() + 36, SpanId::kSize, span_bytes.data()) ||
      !detail::decode_hex(value.data() + 53, 1, &flags)) {
    return std::nullopt;
  }
  SpanContext result;
  result.trace_id = TraceId(trace_bytes);
  result.span_id = SpanId(span_bytes);
  if (!result.is_valid()) return std::nullopt;
  result.flags = TraceFlags(flags & TraceFlags::kKnown);
  result.is_remote = true;
  return result;
}

void format_traceparent(const SpanContext& span_context,
                        std::span<char, kTraceparentSize> out) noexcept {
  char* p = out.data();
  p[0] = '0';
  p[1] = '0';
  p[2] = '-';
  span_context.trace_id.to_hex(std::span<char, TraceId::kHexSize>(p + 3, TraceId::kHexSize));
  p[35] = '-';
  span_context.span_id.to_hex(std::span<char, SpanId::kHexSize>(p + 36, SpanId::kHexSize));
  p[52] = '-';
  const std::uint8_t flags = span_context.flags.bits() & TraceFlags::kKnown;
  detail::encode_hex(&flags, 1, p + 53);
}

std::string format_traceparent(const SpanContext& span_context) {
  std::string text(kTraceparentSize, '0');
  format_traceparent(span_context,
                     std::span<char, kTraceparentSize>(text.data(), kTraceparentSize));
  return text;
}

// --- tracestate --------------------------------------------------------------------------

namespace {

constexpr bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_keychar(char c) noexcept {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

bool all_keychars(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), is_keychar);
}

constexpr std::size_t kMaxTenantSize = 241;
constexpr std::size_t kMaxSystemSize = 14;
// Members longer than this go first when a list must shrink (the specification's rule).
constexpr std::size_t kLongMemberSize = 128;

struct Member {
  std::string_view key;
  std::string_view value;
  std::size_t size() const noexcept { return key.size() + 1 + value.size(); }
};

// Builds the normalised header from members, dropping whole members until it fits.
std::string join_within_limit(Member* members, std::size_t count, std::size_t keep_first,
                              std::size_t* truncated) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += members[i].size() + (i ? 1 : 0);
  std::size_t dropped = 0;
  while (total > TraceState::kMaxHeaderSize && count > keep_first) {
    std::size_t victim = count - 1;
    for (std::size_t i = count; i-- > keep_first;) {
      if (members[i].size() > kLongMemberSize) {
        victim = i;
        break;
      }
    }
    total -= members[victim].size() + (count > 1 ? 1 : 0);
    std::copy(members + victim + 1, members + count, members + victim);
    --count;
    ++dropped;
  }
  if (truncated != nullptr) *truncated = dropped;
  std::string header;
  header.reserve(total);
  for (std::size_t i = 0; i < count; ++i) {
    if (i) header.push_back(',');
    header.append(members[i].key);
    header.push_back('=');
    header.append(members[i].value);
  }
  return header;
}

}  // namespace

bool TraceState::is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > kMaxKeySize) return false;
  const std::size_t at = key.find('@');
  if (at == std::string_view::npos) {
    return (is_lcalpha(key[0]) || is_digit(key[0])) && all_keychars(key);
  }
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= kMaxTenantSize &&
         (is_lcalpha(tenant[0]) || is_digit(tenant[0])) && all_keychars(tenant) &&
         !system.empty() && system.size() <= kMaxSystemSize && is_lcalpha(system[0]) &&
         all_keychars(system);
}

bool TraceState::is_valid_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > kMaxValueSize || value.back() == ' ') return false;
  for (char c : value) {
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  }
  return true;
}

TraceState TraceState::parse(std::string_view header) noexcept {
  return parse(std::span<const std::string_view>(&header, 1));
}

TraceState TraceState::parse(std::span<const std::string_view> headers) noexcept {
  Member members[kMaxMembers];
  std::size_t count = 0;
  for (std::string_view header : headers) {
    bool more = true;
    while (more) {
      const std::size_t comma = header.find(',');
      more = comma != std::string_view::npos;
      const std::string_view piece = detail::trim_ows(header.substr(0, comma));
      if (more) header.remove_prefix(comma + 1);
      if (piece.empty()) continue;
      const std::size_t eq = piece.find('=');
      if (eq == std::string_view::npos || count == kMaxMembers) return invalid_tracestate();
      Member member{piece.substr(0, eq), piece.substr(eq + 1)};
      if (!is_valid_key(member.key) || !is_valid_value(member.value)) return invalid_tracestate();
      for (std::size_t i = 0; i < count; ++i) {
        if (members[i].key == member.key) return invalid_tracestate();
      }
      members[count++] = member;
    }
  }
  if (count == 0) return TraceState();
  std::size_t truncated = 0;
  try {
    TraceState result(join_within_limit(members, count, 0, &truncated));
    detail::count(detail::counters().tracestate_truncated, truncated);
    return result;
  } catch (...) {  // allocation failure: propagate nothing rather than throw into a request
    return TraceState();
  }
}

TraceState TraceState::invalid_tracestate() noexcept {
  detail::count(detail::counters().tracestate_invalid);
  return TraceState();
}

std::optional<std::string_view> TraceState::get(std::string_view key) const noexcept {
  std::optional<std::string_view> found;
  for_each([&](std::string_view k, std::string_view v) {
    if (!found && k == key) found = v;
  });
  return found;
}

std::size_t TraceState::size() const noexcept {
  if (header_.empty()) return 0;
  return static_cast<std::size_t>(std::count(header_.begin(), header_.end(), ',')) + 1;
}

TraceState TraceState::set(std::string_view key, std::string_view value) const {
  if (!is_valid_key(key) || !is_valid_value(value)) return *this;
  // A 256-character key with a 256-character value cannot fit in kMaxHeaderSize on its own.
  if (key.size() + 1 + value.size() > kMaxHeaderSize) return *this;
  Member members[kMaxMembers];
  std::size_t count = 0;
  members[count++] = Member{key, value};
  for_each([&](std::string_view k, std::string_view v) {
    if (k != key && count < kMaxMembers) members[count++] = Member{k, v};
  });
  return TraceState(join_within_limit(members, count, 1, nullptr));
}

TraceState TraceState::erase(std::string_view key) const {
  Member members[kMaxMembers];
  std::size_t count = 0;
  for_each([&](std::string_view k, std::string_view v) {
    if (k != key && count < kMaxMembers) members[count++] = Member{k, v};
  });
  return TraceState(join_within_limit(members, count, 0, nullptr));
}

}  // namespace mmf
