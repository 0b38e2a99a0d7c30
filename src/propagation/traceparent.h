// The traceparent parser that writes into a caller's SpanContext (parse_traceparent() in
// mmf/propagation.h wraps it in an optional).
#pragma once

#include <string_view>

#include "mmf/trace_context.h"

namespace mmf::detail {

// On success sets out's IDs and flags, marks it remote and returns true; otherwise returns false
// with out's IDs cleared (out is then invalid) and the rest unchanged.
bool parse_traceparent_into(std::string_view value, SpanContext& out) noexcept;

}  // namespace mmf::detail
