#include "mmf/baggage.h"

#include <algorithm>
#include <bit>

#include "propagation/simd_scan.h"
#include "propagation/text.h"

namespace mmf {
namespace {

// baggage-octet: printable US-ASCII except DQUOTE, comma, semicolon and backslash.
constexpr bool baggage_octet_rule(char c) noexcept {
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
         (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}
constexpr detail::ByteSet kBaggageOctets = detail::make_byte_set(baggage_octet_rule);
constexpr bool is_baggage_octet(char c) noexcept { return kBaggageOctets(c); }

// A byte that may stay literal in an encoded value. '%' is a baggage-octet but starts an
// escape, so it is always encoded.
constexpr bool stays_literal(char c) noexcept { return is_baggage_octet(c) && c != '%'; }

std::size_t encoded_value_size(std::string_view value) noexcept {
  std::size_t size = 0;
  for (char c : value) size += stays_literal(c) ? 1 : 3;
  return size;
}

// Percent-decodes a raw value into out and gives the size of its encoded form (as
// append_encoded writes it); false when it holds a non-octet, a broken escape, or the decoded
// bytes are not UTF-8.
bool decode_value(std::string_view raw, std::string& out, std::size_t& encoded_size) {
  // The usual value has no escape: each byte is a literal octet, so it is ASCII (valid UTF-8),
  // stays as it is, and is encoded again unchanged.
  std::size_t i = 0;
  while (i < raw.size() && raw[i] != '%') {
    if (!is_baggage_octet(raw[i])) return false;
    ++i;
  }
  if (i == raw.size()) {
    out.assign(raw);
    encoded_size = raw.size();
    return true;
  }
  out.assign(raw.substr(0, i));
  for (; i < raw.size(); ++i) {
    const char c = raw[i];
    if (!is_baggage_octet(c)) return false;
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= raw.size()) return false;
    const int hi = detail::hex_digit_value(raw[i + 1]);
    const int lo = detail::hex_digit_value(raw[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  if (!detail::is_valid_utf8(out)) return false;
  encoded_size = encoded_value_size(out);
  return true;
}

// Normalises a property list ("k1=v1;flag" with optional whitespace) into out. False when a
// property breaks the grammar.
bool normalise_properties(std::string_view raw, std::string& out) {
  out.clear();
  bool more = true;
  while (more) {
    const std::size_t semi = raw.find(';');
    more = semi != std::string_view::npos;
    const std::string_view property = detail::trim_ows(raw.substr(0, semi));
    if (more) raw.remove_prefix(semi + 1);
    const std::size_t eq = property.find('=');
    const std::string_view key = detail::trim_ows(property.substr(0, eq));
    if (!detail::is_token(key)) return false;
    if (!out.empty()) out.push_back(';');
    out.append(key);
    if (eq != std::string_view::npos) {
      const std::string_view value = detail::trim_ows(property.substr(eq + 1));
      if (!std::all_of(value.begin(), value.end(), is_baggage_octet)) return false;
      out.push_back('=');
      out.append(value);
    }
  }
  return true;
}

#if defined(__SSE2__)
using detail::equal;
using detail::in_range;
using detail::load16;

// Bit i set when byte i may not stay literal in an encoded value: outside 0x21-0x7e (bytes
// from 0x80 are negative here), or '"', ',', ';', '\\', '%'.
unsigned literal_stops(__m128i x) noexcept {
  const __m128i excluded =
      _mm_or_si128(_mm_or_si128(equal(x, '"'), equal(x, ',')),
                   _mm_or_si128(_mm_or_si128(equal(x, ';'), equal(x, '\\')), equal(x, '%')));
  return static_cast<unsigned>(
             _mm_movemask_epi8(_mm_andnot_si128(excluded, in_range(x, 0x21, 0x7e)))) ^
         0xffffU;
}

// Bit i set when byte i is not a tchar (a key's characters): outside 0x21-0x7e, or one of
// the separators "(),/:;<=>?@[\\]{}, which are the ranges ( to ), : to @ and [ to ], and
// five single bytes.
unsigned token_stops(__m128i x) noexcept {
  const __m128i separator =
      _mm_or_si128(_mm_or_si128(_mm_or_si128(in_range(x, '(', ')'), in_range(x, ':', '@')),
                                _mm_or_si128(in_range(x, '[', ']'), equal(x, '"'))),
                   _mm_or_si128(_mm_or_si128(equal(x, ','), equal(x, '/')),
                                _mm_or_si128(equal(x, '{'), equal(x, '}'))));
  return static_cast<unsigned>(
             _mm_movemask_epi8(_mm_andnot_si128(separator, in_range(x, 0x21, 0x7e)))) ^
         0xffffU;
}
#endif

// The end of the run of bytes from p on that stay literal in an encoded value (values are
// mostly long literal runs: IDs, names), in [begin, end).
const char* literal_run_end(const char* p, const char* begin, const char* end) noexcept {
#if defined(__SSE2__)
  return detail::scan_run(
      p, begin, end, [](__m128i x) noexcept { return literal_stops(x); },
      [](char c) noexcept { return stays_literal(c); });
#else
  return detail::scan_run(p, begin, end, nullptr, [](char c) noexcept { return stays_literal(c); });
#endif
}

// The end of the run of tchars (a key) from p on, in [begin, end).
const char* token_run_end(const char* p, const char* begin, const char* end) noexcept {
#if defined(__SSE2__)
  return detail::scan_run(
      p, begin, end, [](__m128i x) noexcept { return token_stops(x); },
      [](char c) noexcept { return detail::is_tchar(c); });
#else
  return detail::scan_run(p, begin, end, nullptr,
                          [](char c) noexcept { return detail::is_tchar(c); });
#endif
}

// How many times c occurs in text: sixteen bytes at a time with SSE2 (std::count widens each
// comparison to a 64-bit count, which costs several times more on short headers), the last
// partial block too, as the text's last sixteen bytes with the bytes already counted masked
// off. The bits of a block's mask are counted by clearing them one by one: the separator
// counted here is rare, and std::popcount, without the POPCNT instruction in the baseline
// x86-64 target, is a call into libgcc of some forty instructions per block.
std::size_t count_of(std::string_view text, char c) noexcept {
  std::size_t count = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  const std::size_t size = text.size();
  const auto count_bits = [&count](unsigned mask) noexcept {
    for (; mask != 0; mask &= mask - 1) ++count;
  };
  for (; i + 16 <= size; i += 16)
    count_bits(static_cast<unsigned>(_mm_movemask_epi8(equal(load16(text.data() + i), c))));
  if (i < size && size >= 16) {
    count_bits(
        static_cast<unsigned>(_mm_movemask_epi8(equal(load16(text.data() + size - 16), c))) >>
        (16 - (size - i)));
    return count;
  }
#endif
  for (; i < text.size(); ++i) count += text[i] == c ? 1 : 0;
  return count;
}

// The fast path for what nearly every request carries: one field of plain members
// ("k1=v1,k2=v%202": no whitespace, empty member, property or repeated key, at most kMaxEntries
// of them, within kMaxHeaderSize). Such a list is never shorter than its encoded form, so it
// meets the size limit as it stands; its entries are built in place in one pass. False for
// anything else, with entries left empty, and the general parser below decides (it also tells
// invalid members from ones that only need normalising).
bool parse_plain(std::string_view header, std::vector<Baggage::Entry>& entries) {
  if (header.empty() || header.size() > Baggage::kMaxHeaderSize) return false;
  const std::size_t members = 1 + count_of(header, ',');
  if (members > Baggage::kMaxEntries) return false;
  entries.reserve(members);
  const char* const begin = header.data();
  const char* p = begin;
  const char* const end = p + header.size();
  while (true) {
    const char* const key = p;
    p = token_run_end(p, begin, end);
    if (p == key || p == end || *p != '=') break;
    const std::string_view key_view(key, static_cast<std::size_t>(p - key));
    const char* const value = ++p;
    p = literal_run_end(p, begin, end);
    const bool escaped = p != end && *p == '%';
    if (escaped) {
      while (p != end && is_baggage_octet(*p)) ++p;
    }
    if (p != end && *p != ',') break;
    const std::string_view raw(value, static_cast<std::size_t>(p - value));
    const bool repeated =
        std::any_of(entries.begin(), entries.end(),
                    [key_view](const Baggage::Entry& e) { return e.key == key_view; });
    if (repeated) break;
    Baggage::Entry& entry = entries.emplace_back();
    entry.key.assign(key_view);
    if (!escaped) {
      entry.value.assign(raw);
    } else {
      // A decoded value's encoded form is never longer than the raw one (a byte that needs an
      // escape came as one), so the list still meets the size limit.
      std::size_t encoded_size = 0;
      if (!decode_value(raw, entry.value, encoded_size)) break;  // the general parser counts it
    }
    if (p == end) return true;
    if (++p == end) break;  // a trailing comma: an empty member
  }
  entries.clear();
  return false;
}

std::size_t entry_encoded_size(const Baggage::Entry& entry) noexcept {
  return entry.key.size() + 1 + encoded_value_size(entry.value) +
         (entry.metadata.empty() ? 0 : entry.metadata.size() + 1);
}

}  // namespace

bool Baggage::is_valid_key(std::string_view key) noexcept { return detail::is_token(key); }

Baggage Baggage::parse(std::string_view header, ParseStats* stats) {
  return parse(std::span<const std::string_view>(&header, 1), stats);
}

Baggage Baggage::parse(std::span<const std::string_view> headers, ParseStats* stats) {
  ParseStats local;
  Baggage result;
  if (headers.size() == 1 && parse_plain(headers[0], result.entries_)) {
    if (stats != nullptr) *stats = local;
    return result;
  }
  // One allocation for the entries: members are separated by commas, and the count is capped.
  std::size_t members = 0;
  for (std::string_view header : headers) {
    members += 1 + count_of(header, ',');
  }
  result.entries_.reserve(std::min(members, kMaxEntries));
  std::size_t size = 0;  // encoded size of result so far, commas included
  Entry entry;
  for (std::string_view header : headers) {
    bool more = true;
    while (more) {
      const std::size_t comma = header.find(',');
      more = comma != std::string_view::npos;
      std::string_view member = detail::trim_ows(header.substr(0, comma));
      if (more) header.remove_prefix(comma + 1);
      if (member.empty()) continue;

      const std::size_t semi = member.find(';');
      const std::string_view pair = member.substr(0, semi);
      const std::size_t eq = pair.find('=');
      const std::string_view key = detail::trim_ows(pair.substr(0, eq));
      const std::string_view raw_value =
          eq == std::string_view::npos ? std::string_view() : detail::trim_ows(pair.substr(eq + 1));
      std::size_t value_size = 0;
      if (eq == std::string_view::npos || !is_valid_key(key) ||
          !decode_value(raw_value, entry.value, value_size) ||
          (semi != std::string_view::npos &&
           !normalise_properties(member.substr(semi + 1), entry.metadata))) {
        ++local.invalid_members;
        continue;
      }
      if (semi == std::string_view::npos) entry.metadata.clear();

      // A repeated key replaces the earlier entry (the last one wins).
      auto same = std::find_if(result.entries_.begin(), result.entries_.end(),
                               [key](const Entry& e) { return e.key == key; });
      if (same != result.entries_.end()) {
        size -= entry_encoded_size(*same) + (result.entries_.size() > 1 ? 1 : 0);
        result.entries_.erase(same);
      }
      const std::size_t added = key.size() + 1 + value_size +
                                (entry.metadata.empty() ? 0 : entry.metadata.size() + 1) +
                                (result.entries_.empty() ? 0 : 1);
      if (result.entries_.size() >= kMaxEntries || size + added > kMaxHeaderSize) {
        ++local.dropped_members;
        continue;
      }
      size += added;
      entry.key.assign(key);
      result.entries_.push_back(std::move(entry));
      entry = Entry();
    }
  }
  if (stats != nullptr) *stats = local;
  return result;
}

std::optional<std::string_view> Baggage::get(std::string_view key) const noexcept {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return std::string_view(entry.value);
  }
  return std::nullopt;
}

Baggage Baggage::set(std::string_view key, std::string_view value,
                     std::string_view metadata) const {
  Entry entry;
  if (!is_valid_key(key) || !detail::is_valid_utf8(value)) return *this;
  if (!metadata.empty() && !normalise_properties(metadata, entry.metadata)) return *this;
  entry.key.assign(key);
  entry.value.assign(value);

  Baggage result = *this;
  auto same = std::find_if(result.entries_.begin(), result.entries_.end(),
                           [&](const Entry& e) { return e.key == key; });
  if (same != result.entries_.end()) {
    *same = std::move(entry);
  } else {
    result.entries_.push_back(std::move(entry));
  }
  if (result.entries_.size() > kMaxEntries || result.encoded_size() > kMaxHeaderSize) return *this;
  return result;
}

Baggage Baggage::erase(std::string_view key) const {
  Baggage result = *this;
  std::erase_if(result.entries_, [&](const Entry& e) { return e.key == key; });
  return result;
}

std::size_t Baggage::encoded_size() const noexcept {
  std::size_t size = entries_.empty() ? 0 : entries_.size() - 1;
  for (const Entry& entry : entries_) size += entry_encoded_size(entry);
  return size;
}

void Baggage::append_encoded(std::string& out, std::string_view key, std::string_view value,
                             std::string_view metadata) {
  static constexpr char kUpperHex[] = "0123456789ABCDEF";
  out.append(key);
  out.push_back('=');
  // Runs of literal bytes (usually the whole value) are appended whole.
  const char* const begin = value.data();
  const char* const end = begin + value.size();
  const char* p = begin;
  while (true) {
    const char* const run_end = literal_run_end(p, begin, end);
    out.append(p, run_end);
    if (run_end == end) break;
    const auto byte = static_cast<unsigned char>(*run_end);
    const char escape[3] = {'%', kUpperHex[byte >> 4], kUpperHex[byte & 0x0f]};
    out.append(escape, 3);
    p = run_end + 1;
  }
  if (!metadata.empty()) {
    out.push_back(';');
    out.append(metadata);
  }
}

std::string Baggage::to_header() const {
  std::string header;
  header.reserve(encoded_size());
  for (const Entry& entry : entries_) {
    if (!header.empty()) header.push_back(',');
    append_encoded(header, entry.key, entry.value, entry.metadata);
  }
  return header;
}

}  // namespace mmf
