// B3 (Zipkin) multi-header parsing, shared by the propagator.
#pragma once

#include <optional>
#include <string_view>

#include "mmf/trace_context.h"

namespace mmf::detail {

// X-B3-TraceId, X-B3-SpanId, X-B3-Sampled and X-B3-Flags values (empty when absent).
std::optional<SpanContext> parse_b3_multi(std::string_view trace_id, std::string_view span_id,
                                          std::string_view sampled,
                                          std::string_view flags) noexcept;

}  // namespace mmf::detail
