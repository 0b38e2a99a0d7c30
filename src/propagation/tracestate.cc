// TraceState: the W3C tracestate list (parsing with limits, mutation, storage).
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "context/counters.h"
#include "mmf/propagation.h"
#include "mmf/trace_context.h"
#include "propagation/simd_scan.h"
#include "propagation/text.h"
#include "propagation/trace_access.h"

namespace mmf {

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

// Writes the normalised header of members to out (kMaxHeaderSize characters), dropping whole
// members until it fits, and returns its size.
std::size_t join_within_limit(Member* members, std::size_t count, std::size_t keep_first,
                              std::size_t* truncated, char* out) noexcept {
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
  char* p = out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) *p++ = ',';
    p = std::copy(members[i].key.begin(), members[i].key.end(), p);
    *p++ = '=';
    p = std::copy(members[i].value.begin(), members[i].value.end(), p);
  }
  return static_cast<std::size_t>(p - out);
}

// Character classes of the tracestate grammar, for the one-pass check below.
enum : std::uint8_t { kKeyStart = 1, kKeyChar = 2, kSystemStart = 4, kValueChar = 8 };
constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0x20; c <= 0x7e; ++c) {
    if (c != ',' && c != '=') table[static_cast<std::size_t>(c)] |= kValueChar;
    if (is_keychar(static_cast<char>(c))) table[static_cast<std::size_t>(c)] |= kKeyChar;
    if (is_lcalpha(static_cast<char>(c))) table[static_cast<std::size_t>(c)] |= kSystemStart;
    if (is_lcalpha(static_cast<char>(c)) || is_digit(static_cast<char>(c))) {
      table[static_cast<std::size_t>(c)] |= kKeyStart;
    }
  }
  return table;
}();

constexpr bool has(char c, std::uint8_t classes) noexcept {
  return (kClasses[static_cast<unsigned char>(c)] & classes) != 0;
}

// Runs of key and value characters are skipped sixteen at a time (detail::scan_run).
#if defined(__SSE2__)
using detail::equal;
using detail::in_range;

// Bit i set when byte i is not a key character (lcalpha, digit, '_', '-', '*', '/').
inline int key_stops(__m128i x) noexcept {
  const __m128i key = _mm_or_si128(_mm_or_si128(in_range(x, 'a', 'z'), in_range(x, '0', '9')),
                                   _mm_or_si128(_mm_or_si128(equal(x, '_'), equal(x, '-')),
                                                _mm_or_si128(equal(x, '*'), equal(x, '/'))));
  return _mm_movemask_epi8(key) ^ 0xffff;
}

// Bit i set when byte i is not a value character (0x20-0x7e except ',' and '='). Bytes from
// 0x80 are negative here, below 0x20.
inline int value_stops(__m128i x) noexcept {
  const __m128i stop =
      _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), equal(x, 0x7f)),
                   _mm_or_si128(equal(x, ','), equal(x, '=')));
  return _mm_movemask_epi8(stop);
}
#endif

// The first byte from p on that is not of the class (kKeyChar or kValueChar), or end.
template <std::uint8_t kClass>
const char* skip_run(const char* p, const char* begin, const char* end) noexcept {
  const auto in_class = [](char c) noexcept { return has(c, kClass); };
#if defined(__SSE2__)
  const auto stops = [](__m128i x) noexcept {
    return kClass == kKeyChar ? key_stops(x) : value_stops(x);
  };
#else
  const std::nullptr_t stops = nullptr;
#endif
  return detail::scan_run(p, begin, end, stops, in_class);
}

// The fast path for what nearly every request carries: one field that is already a valid list
// in normalised form (no whitespace around members, no empty members, at most kMaxMembers and
// kMaxHeaderSize). One pass, no copies. False for anything else, which the general parser then
// handles (it also tells invalid lists from ones that only need normalising).
bool is_normalised_list(std::string_view text) noexcept {
  if (text.empty() || text.size() > TraceState::kMaxHeaderSize) return false;
  struct Key {
    const char* data;
    std::size_t size;
  };
  Key keys[TraceState::kMaxMembers];
  std::size_t count = 0;
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* p = begin;
  while (true) {
    if (count == TraceState::kMaxMembers) return false;
    const char* const key = p;
    if (!has(*p, kKeyStart)) return false;
    p = skip_run<kKeyChar>(p + 1, begin, end);
    if (p != end && *p == '@') {
      const char* const at = p++;
      if (static_cast<std::size_t>(at - key) > kMaxTenantSize || p == end ||
          !has(*p, kSystemStart)) {
        return false;
      }
      p = skip_run<kKeyChar>(p + 1, begin, end);
      if (static_cast<std::size_t>(p - at - 1) > kMaxSystemSize) return false;
    } else if (static_cast<std::size_t>(p - key) > TraceState::kMaxKeySize) {
      return false;
    }
    if (p == end || *p != '=') return false;
    const std::size_t key_size = static_cast<std::size_t>(p - key);
    const char* const value = ++p;
    p = skip_run<kValueChar>(p, begin, end);
    const auto value_size = static_cast<std::size_t>(p - value);
    if (value_size == 0 || value_size > TraceState::kMaxValueSize || p[-1] == ' ') return false;
    for (std::size_t i = 0; i < count; ++i) {
      if (keys[i].size == key_size && std::equal(key, key + key_size, keys[i].data)) return false;
    }
    keys[count++] = Key{key, key_size};
    if (p == end) return true;
    if (*p != ',' || ++p == end) return false;
  }
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
  if (headers.size() == 1 && is_normalised_list(headers[0])) {
    try {
      return TraceState(headers[0]);
    } catch (...) {  // allocation failure: propagate nothing rather than throw into a request
      return TraceState();
    }
  }
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
  char text[kMaxHeaderSize];
  const std::size_t size = join_within_limit(members, count, 0, &truncated, text);
  detail::count(detail::counters().tracestate_truncated, truncated);
  try {
    return TraceState(std::string_view(text, size));
  } catch (...) {  // allocation failure: propagate nothing rather than throw into a request
    return TraceState();
  }
}

void detail::TraceStateAccess::parse_into(TraceState& out, std::string_view header) noexcept {
  if (is_normalised_list(header)) {
    out.release();
    try {
      out.assign(header);
    } catch (...) {  // allocation failure: propagate nothing rather than throw into a request
      out.release();
    }
  } else {
    out = TraceState::parse(header);
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
  const std::string_view text = header();
  if (text.empty()) return 0;
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1;
}

void TraceState::assign(std::string_view text) {
  if (text.size() > kInlineSize) {
    heap_ = new char[text.size()];
    std::copy(text.begin(), text.end(), heap_);
  } else {
    std::copy(text.begin(), text.end(), inline_);
  }
  size_ = static_cast<std::uint32_t>(text.size());
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
  char text[kMaxHeaderSize];
  return TraceState(std::string_view(text, join_within_limit(members, count, 1, nullptr, text)));
}

TraceState TraceState::erase(std::string_view key) const {
  Member members[kMaxMembers];
  std::size_t count = 0;
  for_each([&](std::string_view k, std::string_view v) {
    if (k != key && count < kMaxMembers) members[count++] = Member{k, v};
  });
  char text[kMaxHeaderSize];
  return TraceState(std::string_view(text, join_within_limit(members, count, 0, nullptr, text)));
}

}  // namespace mmf
