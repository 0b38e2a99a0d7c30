// Lowercase hexadecimal encoding and strict decoding for IDs on the wire.
//
// Both work on many characters at once: sixteen per SSE2 instruction on x86-64, eight per 64-bit
// register elsewhere (SWAR), with no table lookups. This is what keeps extract+inject of a trace
// context within a few tens of nanoseconds (docs/performance.md).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mmf::detail {

inline constexpr std::uint64_t kEachByte = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

// 0x80 in each byte of x that is >= k, for bytes below 0x80 and 0 < k <= 0x80 (no carries cross
// bytes: each byte of the sum is at most 0x7f + 0x80).
constexpr std::uint64_t bytes_at_least(std::uint64_t x, std::uint8_t k) noexcept {
  return (x + (0x80U - k) * kEachByte) & kHighBits;
}

inline std::uint64_t load_le64(const char* in) noexcept {
  std::uint64_t word;
  std::memcpy(&word, in, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

// Decodes 8 lowercase hex characters into 4 bytes, returned in memory order (the first
// character is the high nibble of the lowest byte). Clears ok, leaving the value unspecified, on
// any other character (upper case included: W3C IDs are lowercase only).
inline std::uint32_t decode_hex8(const char* in, bool& ok) noexcept {
  const std::uint64_t x = load_le64(in);
  const std::uint64_t digit = bytes_at_least(x, '0') & ~bytes_at_least(x, '9' + 1);
  const std::uint64_t letter = bytes_at_least(x, 'a') & ~bytes_at_least(x, 'f' + 1);
  ok &= ((x & kHighBits) | ((digit | letter) ^ kHighBits)) == 0;
  // The nibble of each character: its low four bits, plus 9 for 'a'..'f'.
  std::uint64_t nibbles = (x & (0x0f * kEachByte)) + (letter >> 7) * 9;
  // Byte 2i becomes (nibble 2i << 4) | nibble 2i+1; then the even bytes are packed together.
  nibbles = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff00ff00ff00ffULL;
  nibbles = (nibbles | (nibbles >> 8)) & 0x0000ffff0000ffffULL;
  nibbles = (nibbles | (nibbles >> 16)) & 0x00000000ffffffffULL;
  return static_cast<std::uint32_t>(nibbles);
}

// Decodes 2 lowercase hex characters into one byte. False on any other character.
inline bool decode_hex2(const char* in, std::uint8_t* out) noexcept {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = nibble(in[0]);
  const int lo = nibble(in[1]);
  if ((hi | lo) < 0) return false;
  *out = static_cast<std::uint8_t>((hi << 4) | lo);
  return true;
}

// Decodes 16 lowercase hex characters into 8 bytes, returned as the word whose memory
// representation they are. Clears ok on any other character.
inline std::uint64_t decode_hex16(const char* in, bool& ok) noexcept {
  std::uint64_t word = decode_hex8(in, ok);
  word |= static_cast<std::uint64_t>(decode_hex8(in + 8, ok)) << 32;
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

// Decodes 2*n lowercase hex characters into n bytes, n a multiple of 8. False on any other
// character. Each 8 bytes are stored at once (no byte stores for a later word load to wait on).
inline bool decode_hex_swar(const char* in, std::size_t n, std::uint8_t* out) noexcept {
  bool ok = true;
  for (std::size_t i = 0; i < n; i += 8) {
    const std::uint64_t word = decode_hex16(in + 2 * i, ok);
    std::memcpy(out + i, &word, sizeof word);
  }
  return ok;
}

// Encodes 4 bytes as 8 lowercase hex characters.
inline void encode_hex8(const std::uint8_t* in, char* out) noexcept {
  std::uint64_t x = static_cast<std::uint64_t>(in[0]) | static_cast<std::uint64_t>(in[1]) << 16 |
                    static_cast<std::uint64_t>(in[2]) << 32 |
                    static_cast<std::uint64_t>(in[3]) << 48;
  // Byte 2i holds the high nibble of in[i], byte 2i+1 its low nibble.
  x = ((x >> 4) & (0x0f * kEachByte)) | ((x & (0x0f * kEachByte)) << 8);
  // '0' + nibble, and 'a' - '0' - 10 = 39 more for nibbles above 9.
  const std::uint64_t above_nine = bytes_at_least(x, 10) >> 7;
  x += '0' * kEachByte + above_nine * 39;
  if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
  std::memcpy(out, &x, sizeof x);
}

inline void encode_hex2(std::uint8_t in, char* out) noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  out[0] = kDigits[in >> 4];
  out[1] = kDigits[in & 0x0f];
}

// Encodes n bytes (a multiple of 4) as 2*n lowercase hex characters.
inline void encode_hex_swar(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; i += 4) encode_hex8(in + i, out + 2 * i);
}

#if defined(__SSE2__)
// The same with SSE2 (every x86-64 CPU has it): sixteen characters per instruction.

// One block of 16 lowercase hex characters: their validity into bad (a bit set for each other
// character), the 8 bytes they encode into the low 8 bits of each 16-bit lane (pack two blocks
// with _mm_packus_epi16). Bytes from 0x80 are negative here and fail both ranges.
inline __m128i decode_hex_block_sse2(const char* at, int& bad) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
  const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(x, _mm_set1_epi8('f' + 1)));
  bad |= _mm_movemask_epi8(_mm_or_si128(digit, letter)) ^ 0xffff;
  const __m128i nibbles =
      _mm_add_epi8(_mm_and_si128(x, _mm_set1_epi8(0x0f)), _mm_and_si128(letter, _mm_set1_epi8(9)));
  // Lane i holds character 2i (low byte) and 2i+1 (high byte): (low << 4) | high.
  return _mm_and_si128(_mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8)),
                       _mm_set1_epi16(0x00ff));
}

// Decodes 2*n lowercase hex characters into n bytes, n a multiple of 8.
inline bool decode_hex_sse2(const char* in, std::size_t n, std::uint8_t* out) noexcept {
  int bad = 0;
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i first = decode_hex_block_sse2(in + 2 * i, bad);
    const __m128i second = decode_hex_block_sse2(in + 2 * i + 16, bad);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(first, second));
  }
  if (i < n) {
    const __m128i half = decode_hex_block_sse2(in + 2 * i, bad);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(half, half));
  }
  return bad == 0;
}

// Encodes n bytes (a multiple of 8) as 2*n lowercase hex characters.
inline void encode_hex_sse2(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  const __m128i low_nibble = _mm_set1_epi8(0x0f);
  auto to_ascii = [](__m128i nibbles) noexcept {
    const __m128i above_nine = _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9));
    return _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')),
                        _mm_and_si128(above_nine, _mm_set1_epi8('a' - '0' - 10)));
  };
  for (std::size_t i = 0; i < n; i += 8) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i));
    const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibble);
    const __m128i low = _mm_and_si128(bytes, low_nibble);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * i),
                     to_ascii(_mm_unpacklo_epi8(high, low)));
  }
}
#endif

// The codec of the IDs: SSE2 where there is SSE2, SWAR elsewhere. n is a multiple of 8.
inline bool decode_hex(const char* in, std::size_t n, std::uint8_t* out) noexcept {
#if defined(__SSE2__)
  return decode_hex_sse2(in, n, out);
#else
  return decode_hex_swar(in, n, out);
#endif
}

inline void encode_hex(const std::uint8_t* in, std::size_t n, char* out) noexcept {
#if defined(__SSE2__)
  encode_hex_sse2(in, n, out);
#else
  encode_hex_swar(in, n, out);
#endif
}

}  // namespace mmf::detail
