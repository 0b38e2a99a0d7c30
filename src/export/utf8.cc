#include "export/utf8.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace mmf::detail {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// The number of ASCII bytes at the start of [at, at + n), found eight at a time.
std::size_t ascii_prefix(const unsigned char* at, std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, at + i, sizeof word);
    const std::uint64_t high = word & kHighBits;
    if (high != 0) {
      const int zeros = std::endian::native == std::endian::little ? std::countr_zero(high)
                                                                   : std::countl_zero(high);
      return i + static_cast<std::size_t>(zeros / 8);
    }
  }
  while (i < n && at[i] < 0x80) ++i;
  return i;
}

// Calls on_valid(begin, length) for each run of well-formed text and on_bad() for each maximal
// ill-formed subpart, in order.
template <class OnValid, class OnBad>
void scan(std::string_view text, OnValid&& on_valid, OnBad&& on_bad) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;  // start of the current well-formed run
  std::size_t i = 0;
  while (i < n) {
    i += ascii_prefix(bytes + i, n - i);
    if (i == n) break;
    std::size_t bad = 0;
    const std::size_t length = utf8_char_length(bytes + i, n - i, bad);
    if (length != 0) {
      i += length;
      continue;
    }
    on_valid(run, i - run);
    on_bad();
    i += bad;
    run = i;
  }
  on_valid(run, n - run);
}

}  // namespace

std::size_t utf8_char_length(const unsigned char* at, std::size_t n, std::size_t& bad) noexcept {
  // The ranges of Table 3-7 (Well-Formed UTF-8 Byte Sequences): the second byte's range depends
  // on the first (no overlong forms, no surrogates, nothing above U+10FFFF).
  const unsigned lead = at[0];
  std::size_t length;
  unsigned low = 0x80;
  unsigned high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= n || at[i] < low || at[i] > high) {
      bad = i;
      return 0;
    }
    low = 0x80;
    high = 0xBF;
  }
  return length;
}

std::size_t valid_utf8_prefix(std::string_view text) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (true) {
    i += ascii_prefix(bytes + i, n - i);
    if (i == n) return n;
    std::size_t bad = 0;
    const std::size_t length = utf8_char_length(bytes + i, n - i, bad);
    if (length == 0) return i;
    i += length;
  }
}

std::size_t repaired_utf8_size(std::string_view text) noexcept {
  std::size_t size = 0;
  scan(
      text, [&](std::size_t, std::size_t length) { size += length; },
      [&] { size += kReplacementCharacter.size(); });
  return size;
}

char* write_repaired_utf8(std::string_view text, char* out) noexcept {
  scan(
      text,
      [&](std::size_t begin, std::size_t length) {
        if (length != 0) std::memcpy(out, text.data() + begin, length);
        out += length;
      },
      [&] {
        std::memcpy(out, kReplacementCharacter.data(), kReplacementCharacter.size());
        out += kReplacementCharacter.size();
      });
  return out;
}

}  // namespace mmf::detail
