// The kind of a span and the status it ends with, as OpenTelemetry (and OTLP) define them.
#pragma once

#include <cstdint>
#include <string_view>

namespace mmf {

// The values are OTLP's Span.SpanKind numbers.
enum class SpanKind : std::uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

// The values are OTLP's Status.StatusCode numbers.
enum class StatusCode : std::uint8_t {
  kUnset = 0,
  kOk = 1,
  kError = 2,
};

constexpr std::string_view to_string(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::kInternal:
      return "internal";
    case SpanKind::kServer:
      return "server";
    case SpanKind::kClient:
      return "client";
    case SpanKind::kProducer:
      return "producer";
    case SpanKind::kConsumer:
      return "consumer";
  }
  return "internal";
}

}  // namespace mmf
