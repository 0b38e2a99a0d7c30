// Write access to the insides of trace values, for the parsers in this directory.
//
// A parser that builds a value in a local and then copies it into place makes the CPU wait (the
// copy reads bytes just written in other widths, which store forwarding cannot serve) and copies
// twice. Writing straight into the SpanContext being returned avoids both.
#pragma once

#include <cstdint>
#include <string_view>

#include "mmf/trace_context.h"

namespace mmf::detail {

struct IdBytes {
  static std::uint8_t* of(TraceId& id) noexcept { return id.bytes_.data(); }
  static std::uint8_t* of(SpanId& id) noexcept { return id.bytes_.data(); }
};

struct TraceStateAccess {
  // out = TraceState::parse(header), without the intermediate copy when header is already a
  // valid normalised list (the usual case).
  static void parse_into(TraceState& out, std::string_view header) noexcept;
};

}  // namespace mmf::detail
