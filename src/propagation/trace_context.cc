#include "mmf/trace_context.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "context/counters.h"
#include "mmf/propagation.h"
#include "propagation/hex.h"
#include "propagation/text.h"
#include "propagation/trace_access.h"
#include "propagation/traceparent.h"

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

namespace detail {

namespace {

#if defined(__SSE2__)
// The traceparent nearly every peer sends: version 00, exactly 55 characters, valid. Its three
// hex fields are checked and decoded sixteen characters at a time, and the IDs checked for zero,
// before anything is written to out. False, with out untouched, for anything else: the general
// parser below then decides (and counts) what it is.
bool parse_common_traceparent(const char* v, SpanContext& out) noexcept {
  std::uint32_t head;
  std::memcpy(&head, v, sizeof head);
  static_assert(std::endian::native == std::endian::little);
  if ((head & 0x00ffffffU) != ('0' | '0' << 8 | '-' << 16) || v[35] != '-' || v[52] != '-') {
    return false;
  }
  int bad = 0;
  const __m128i trace_low = decode_hex_block_sse2(v + 3, bad);
  const __m128i trace_high = decode_hex_block_sse2(v + 19, bad);
  const __m128i span = decode_hex_block_sse2(v + 36, bad);
  std::uint8_t flags = 0;
  if (bad != 0 || !decode_hex2(v + 53, &flags)) return false;
  const __m128i trace_id = _mm_packus_epi16(trace_low, trace_high);
  const __m128i span_id = _mm_packus_epi16(span, span);
  const __m128i zero = _mm_setzero_si128();
  if (_mm_movemask_epi8(_mm_cmpeq_epi8(trace_id, zero)) == 0xffff ||
      (_mm_movemask_epi8(_mm_cmpeq_epi8(span_id, zero)) & 0xff) == 0xff) {
    return false;
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(IdBytes::of(out.trace_id)), trace_id);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(IdBytes::of(out.span_id)), span_id);
  out.flags = TraceFlags(flags & TraceFlags::kKnown);
  out.is_remote = true;
  return true;
}
#endif

}  // namespace

bool parse_traceparent_into(std::string_view value, SpanContext& out) noexcept {
#if defined(__SSE2__)
  if (value.size() == kTraceparentSize && parse_common_traceparent(value.data(), out)) {
    return true;
  }
#endif
  value = trim_ows(value);
  if (value.size() < kTraceparentSize || value.size() > kMaxTraceparentSize) return false;
  std::uint8_t version = 0;
  if (!decode_hex2(value.data(), &version) || value[2] != '-') return false;
  if (version == 0xff) return false;
  // Version 00 has exactly four fields; a later version may append fields after a dash.
  if (version == 0 ? value.size() != kTraceparentSize
                   : value.size() > kTraceparentSize && value[kTraceparentSize] != '-') {
    return false;
  }
  if (value[35] != '-' || value[52] != '-') return false;

  // Decoded straight into out: no local copy for a later load to wait on.
  std::uint8_t flags = 0;
  if (!decode_hex(value.data() + 3, TraceId::kSize, IdBytes::of(out.trace_id)) ||
      !decode_hex(value.data() + 36, SpanId::kSize, IdBytes::of(out.span_id)) ||
      !decode_hex2(value.data() + 53, &flags) || !out.is_valid()) {
    out.trace_id = TraceId();
    out.span_id = SpanId();
    return false;
  }
  out.flags = TraceFlags(flags & TraceFlags::kKnown);
  out.is_remote = true;
  return true;
}

}  // namespace detail

std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept {
  // Made from SpanContext{} (aggregate initialisation): in_place alone value-initialises, which
  // first zeroes all 160 bytes, the tracestate's unused buffer too (40% of this function).
  std::optional<SpanContext> result(std::in_place, SpanContext{});
  if (!detail::parse_traceparent_into(value, *result)) result.reset();
  return result;
}

void format_traceparent(const SpanContext& span_context,
                        std::span<char, kTraceparentSize> out) noexcept {
  char* p = out.data();
  p[0] = '0';
  p[1] = '0';
  p[2] = '-';
  detail::encode_hex(span_context.trace_id.bytes().data(), TraceId::kSize, p + 3);
  p[35] = '-';
  detail::encode_hex(span_context.span_id.bytes().data(), SpanId::kSize, p + 36);
  p[52] = '-';
  const std::uint8_t flags = span_context.flags.bits() & TraceFlags::kKnown;
  detail::encode_hex2(flags, p + 53);
}

std::string format_traceparent(const SpanContext& span_context) {
  std::string text(kTraceparentSize, '0');
  format_traceparent(span_context,
                     std::span<char, kTraceparentSize>(text.data(), kTraceparentSize));
  return text;
}

}  // namespace mmf
