// Reads the partial-success report in a collector's answer to an OTLP export.
//
// Export{Trace,Metrics,Logs}ServiceResponse all have the same shape: field 1 partial_success,
// a message whose field 1 counts the rejected items (int64) and whose field 2 says why
// (string). An answer without the field, or with zero rejected and no message, is a full
// success. Collectors answer in the request's encoding, so both protobuf and OTLP/JSON
// ({"partialSuccess":{"rejectedSpans":"3","errorMessage":"..."}}) are read.
//
// Untrusted input: a malformed answer reads as "no report", never as a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmf::detail {

struct PartialSuccess {
  std::int64_t rejected = 0;
  std::string error_message;
};

// The report, or nullopt when the answer holds none (or cannot be read).
std::optional<PartialSuccess> parse_partial_success_proto(std::string_view body) noexcept;
std::optional<PartialSuccess> parse_partial_success_json(std::string_view body) noexcept;

}  // namespace mmf::detail
