// What a walk over a carrier's headers collects for the W3C trace context: views of the
// traceparent and tracestate fields, before they are parsed. Shared by extract_trace_context()
// (inlined into the caller's carrier walk, so a header costs a length test) and Propagator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace mmf {

struct SpanContext;

// Longest header value looked at; longer ones are ignored and counted (headers_oversized).
inline constexpr std::size_t kMaxTraceparentSize = 512;
inline constexpr std::size_t kMaxListHeaderSize = 8192;  // tracestate, baggage (each field)

namespace detail {

// tracestate and baggage may come as several header fields; more than this many are ignored.
inline constexpr std::size_t kMaxListFields = 16;

// True when name is lower (lowercase letters only, 8 to 16 of them) in any letter case. Setting
// bit 0x20 maps an uppercase letter to its lowercase one and no other byte to a lowercase
// letter, so this is an exact case-insensitive comparison for names made of letters. The name
// is compared as two words: its first eight characters and its last eight (which overlap).
template <std::size_t N>
inline bool is_letters_name(std::string_view name, const char (&lower)[N]) noexcept {
  static_assert(N - 1 >= 8 && N - 1 <= 16, "compares two eight-character words");
  if (name.size() != N - 1) return false;
  const auto word_at = [](const char* at) noexcept {
    std::uint64_t word;
    std::memcpy(&word, at, 8);
    return word;
  };
  constexpr std::uint64_t kCase = 0x2020202020202020ULL;
  return (((word_at(name.data()) | kCase) ^ word_at(lower)) |
          ((word_at(name.data() + N - 9) | kCase) ^ word_at(lower + N - 9))) == 0;
}

// A view left uninitialised by default, so that the array below costs nothing to set up.
struct Segment {
  const char* data;
  std::size_t size;
};

// A header list received as one or more fields (tracestate, baggage).
struct ListFields {
  Segment fields[kMaxListFields];
  std::uint8_t count = 0;
  bool oversized = false;  // a field over kMaxListHeaderSize came: the whole header is ignored

  void add(std::string_view value) noexcept {
    if (value.size() > kMaxListHeaderSize) {
      oversized = true;
    } else if (count < kMaxListFields) {
      fields[count++] = Segment{value.data(), value.size()};
    }
  }
  // The fields as views, written to out (an array on the caller's stack); returns how many.
  std::size_t views(std::string_view (&out)[kMaxListFields]) const noexcept {
    for (std::size_t i = 0; i < count; ++i)
      out[i] = std::string_view(fields[i].data, fields[i].size);
    return count;
  }
};

struct TraceHeaders {
  std::string_view traceparent;
  std::uint8_t traceparent_fields = 0;  // saturating
  ListFields tracestate;

  // Returns true when name is one of the trace context headers (and records it).
  bool add(std::string_view name, std::string_view value) noexcept {
    if (name.size() - 10 > 1) return false;  // one test for all but the 10 and 11 long names
    if (is_letters_name(name, "traceparent")) {
      if (traceparent_fields == 0) traceparent = value;
      if (traceparent_fields < 255) ++traceparent_fields;
      return true;
    }
    if (is_letters_name(name, "tracestate")) {
      tracestate.add(value);
      return true;
    }
    return false;
  }
};

// The W3C trace context from what was collected; an invalid SpanContext when unusable. Counts
// refusals in the propagation counters.
SpanContext trace_context_of(const TraceHeaders& found) noexcept;

}  // namespace detail
}  // namespace mmf
