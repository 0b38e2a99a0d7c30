#include "mmf/baggage.h"

#include <algorithm>

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
  // One allocation for the entries: members are separated by commas, and the count is capped.
  std::size_t members = 0;
  for (std::string_view header : headers) {
    members += 1 + static_cast<std::size_t>(std::count(header.begin(), header.end(), ','));
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
  for (char c : value) {
    if (stays_literal(c)) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kUpperHex[byte >> 4]);
      out.push_back(kUpperHex[byte & 0x0f]);
    }
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
