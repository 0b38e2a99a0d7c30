// Lowercase hexadecimal encoding and strict decoding for IDs on the wire.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mmf::detail {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// 0..15 for '0'-'9' and 'a'-'f'; 0xff for everything else (upper case included: W3C IDs are
// lowercase only).
inline constexpr std::array<std::uint8_t, 256> kLowerHexValue = [] {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = 0xff;
  for (int c = '0'; c <= '9'; ++c)
    table[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) {
    table[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  }
  return table;
}();

// Decodes 2*n lowercase hex characters into n bytes. False on any other character.
inline bool decode_hex(const char* in, std::size_t n, std::uint8_t* out) noexcept {
  std::uint8_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t hi = kLowerHexValue[static_cast<unsigned char>(in[2 * i])];
    const std::uint8_t lo = kLowerHexValue[static_cast<unsigned char>(in[2 * i + 1])];
    bad |= static_cast<std::uint8_t>((hi | lo) & 0xf0);
    out[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 0x0f));
  }
  return bad == 0;
}

inline void encode_hex(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[in[i] >> 4];
    out[2 * i + 1] = kHexDigits[in[i] & 0x0f];
  }
}

}  // namespace mmf::detail
