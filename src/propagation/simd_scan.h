// Runs of bytes of one class, found sixteen at a time with SSE2 (all x86-64 CPUs): shared by the
// header parsers that check every byte of a field (tracestate keys and values, baggage keys and
// values). Elsewhere, byte by byte.
#pragma once

#include <bit>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mmf::detail {

#if defined(__SSE2__)
inline __m128i load16(const char* at) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}

// Each byte of x in low..high (as signed bytes: from 0x80 on they are negative, below 0x20).
inline __m128i in_range(__m128i x, char low, char high) noexcept {
  return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(low - 1))),
                       _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(high + 1))));
}

inline __m128i equal(__m128i x, char c) noexcept { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); }
#endif

// The first byte from p on (p in [begin, end]) that is not of a class, or end. stops(x) gives a
// 16-bit mask of the bytes of x that are not of it; in_class(c) tests one byte. Pass lambdas,
// not function pointers, so that both are inlined. Sixteen bytes at a time; the last, partial,
// block is tested by loading the text's last sixteen bytes, from end - 16 (nothing is read
// outside [begin, end)), and only a text under sixteen bytes goes byte by byte.
template <class Stops, class InClass>
inline const char* scan_run(const char* p, const char* begin, const char* end, Stops stops,
                            InClass in_class) noexcept {
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    if (const auto mask = static_cast<unsigned>(stops(load16(p)))) {
      return p + std::countr_zero(mask);
    }
  }
  if (p != end && end - begin >= 16) {
    const auto mask = static_cast<unsigned>(stops(load16(end - 16))) >> (16 - (end - p));
    return mask != 0 ? p + std::countr_zero(mask) : end;
  }
#else
  static_cast<void>(begin);
  static_cast<void>(stops);
#endif
  while (p != end && in_class(*p)) ++p;
  return p;
}

}  // namespace mmf::detail
