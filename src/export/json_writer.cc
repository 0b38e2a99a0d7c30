#include "export/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "export/utf8.h"
#include "propagation/hex.h"

namespace mmf::detail {
namespace {

constexpr std::uint64_t kEachByte = 0x0101010101010101ULL;
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// Whether any byte of word is zero / below n (n <= 0x80): the classic bit tricks, exact as a
// yes-or-no answer.
constexpr std::uint64_t any_zero_byte(std::uint64_t word) noexcept {
  return (word - kEachByte) & ~word & kHighBits;
}
constexpr std::uint64_t any_byte_below(std::uint64_t word, std::uint8_t n) noexcept {
  return (word - n * kEachByte) & ~word & kHighBits;
}

// Whether any of the 8 bytes at `at` needs attention: a control character, '"', '\\', or a
// byte of a multi-byte character.
bool any_special(const unsigned char* at) noexcept {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return ((word & kHighBits) | any_byte_below(word, 0x20) |
          any_zero_byte(word ^ ('"' * kEachByte)) | any_zero_byte(word ^ ('\\' * kEachByte))) != 0;
}

// The escape of an ASCII byte that needs one, or "" for a byte copied as is.
constexpr std::string_view short_escape(unsigned char c) noexcept {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return {};
  }
}

}  // namespace

void JsonWriter::grow(std::size_t n) {
  // resize() zero-fills the part it adds, so the writer adds a bounded step: growing by the
  // size already written would zero-fill the whole output again each time a writer starts at the
  // end of a large buffer (a log sink formatting a batch, one record per writer), which made
  // formatting quadratic. std::string's own capacity still grows geometrically, so the copies on
  // reallocation stay linear in the output.
  constexpr std::size_t kStep = 4096;
  const std::size_t capacity = size_ + std::max(n, kStep);
  out_.resize(capacity);
  data_ = out_.data();
  capacity_ = capacity;
}

template <class Int>
void JsonWriter::put_integer(Int value) {
  char* at = reserve(24);
  size_ = static_cast<std::size_t>(std::to_chars(at, at + 24, value).ptr - data_);
}

void JsonWriter::key(std::string_view name) {
  char* at = reserve(name.size() + 4);
  if (need_comma_) *at++ = ',';
  *at++ = '"';
  std::memcpy(at, name.data(), name.size());
  at += name.size();
  *at++ = '"';
  *at++ = ':';
  size_ = static_cast<std::size_t>(at - data_);
  need_comma_ = false;
}

void JsonWriter::key_text(std::string_view name) {
  string(name);
  put(':');
  need_comma_ = false;
}

void JsonWriter::string(std::string_view text) {
  separate();
  put('"');
  write_escaped(text);
  put('"');
}

void JsonWriter::write_escaped(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  // Most text (keys, IDs, messages) needs no escape: checked 8 bytes at a time, a short text in
  // one padded word and a long one's tail in one overlapping word, it is copied in one go.
  if (n < 8) {
    unsigned char word[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
    if (n != 0) std::memcpy(word, bytes, n);
    if (!any_special(word)) {
      put(text);
      return;
    }
  } else {
    std::size_t at = 0;
    while (at + 8 <= n && !any_special(bytes + at)) at += 8;
    if (at + 8 > n && !any_special(bytes + n - 8)) {
      put(text);
      return;
    }
  }
  std::size_t run = 0;  // start of the bytes to copy as they are
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n && !any_special(bytes + i)) {
      i += 8;
      continue;
    }
    const unsigned char c = bytes[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t bad = 0;
      const std::size_t length = utf8_char_length(bytes + i, n - i, bad);
      if (length != 0) {
        i += length;
        continue;
      }
      put(text.substr(run, i - run));
      put(kReplacementCharacter);
      i += bad;
      run = i;
      continue;
    }
    put(text.substr(run, i - run));
    const std::string_view escape = short_escape(c);
    if (!escape.empty()) {
      put(escape);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      const char unicode[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0f]};
      put(std::string_view(unicode, sizeof unicode));
    }
    ++i;
    run = i;
  }
  put(text.substr(run));
}

void JsonWriter::boolean(bool value) {
  separate();
  put(value ? std::string_view("true") : std::string_view("false"));
}

void JsonWriter::null() {
  separate();
  put("null");
}

void JsonWriter::number(std::int64_t value) {
  separate();
  put_integer(value);
}

void JsonWriter::number(std::uint64_t value) {
  separate();
  put_integer(value);
}

void JsonWriter::number(double value) {
  if (!std::isfinite(value)) {
    string(std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  separate();
  // Shortest round trip; the forms to_chars chooses ("0.1", "1e+300", "-0") are JSON numbers.
  char* at = reserve(32);
  size_ = static_cast<std::size_t>(std::to_chars(at, at + 32, value).ptr - data_);
}

void JsonWriter::int64_string(std::int64_t value) {
  separate();
  put('"');
  put_integer(value);
  put('"');
}

void JsonWriter::uint64_string(std::uint64_t value) {
  separate();
  put('"');
  put_integer(value);
  put('"');
}

void JsonWriter::hex_string(std::span<const std::uint8_t> bytes) {
  separate();
  char* at = reserve(2 + 2 * bytes.size());
  *at++ = '"';
  // IDs (8 and 16 bytes) take the vectorised path; anything else goes byte by byte.
  const std::size_t whole = bytes.size() & ~std::size_t{7};
  if (whole != 0) encode_hex(bytes.data(), whole, at);
  for (std::size_t i = whole; i < bytes.size(); ++i) encode_hex2(bytes[i], at + 2 * i);
  at[2 * bytes.size()] = '"';
  size_ += 2 + 2 * bytes.size();
}

}  // namespace mmf::detail
