// Span limits: how much one span may hold, so that a runaway loop of add_event() or a huge
// attribute value cannot exhaust memory. What goes over a limit is dropped and counted (the
// span's dropped_*_count fields, which OTLP carries to the backend); a value over the length
// limit is truncated at a UTF-8 character boundary.
//
// The defaults are the OpenTelemetry specification's, and span_limits_from_env() reads the
// standard variables:
//   OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT (else OTEL_ATTRIBUTE_COUNT_LIMIT)            128
//   OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT (else OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT)  no limit
//   OTEL_SPAN_EVENT_COUNT_LIMIT                                                  128
//   OTEL_SPAN_LINK_COUNT_LIMIT                                                   128
//   OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT                                             128
//   OTEL_LINK_ATTRIBUTE_COUNT_LIMIT                                              128
#pragma once

#include <cstddef>
#include <limits>
#include <string_view>

#include "mmf/environment.h"

namespace mmf {

struct SpanLimits {
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  std::size_t attribute_count = 128;
  std::size_t attribute_value_length = kUnlimited;  // bytes, for strings and string arrays' items
  std::size_t event_count = 128;
  std::size_t link_count = 128;
  std::size_t event_attribute_count = 128;
  std::size_t link_attribute_count = 128;
};

// defaults with each variable that is set applied; bad values keep the default and add an error.
SpanLimits span_limits_from_env(const EnvLookup& env, ConfigErrors& errors,
                                SpanLimits defaults = {});

// The longest prefix of text that has at most max_bytes bytes and does not end inside a UTF-8
// character. Bytes that are not valid UTF-8 count as one character each.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) noexcept;

}  // namespace mmf
