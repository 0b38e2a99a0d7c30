// Write access to the insides of trace values and baggage, for the parsers in this directory.
//
// A parser that builds a value in a local and then copies it into place makes the CPU wait (the
// copy reads bytes just written in other widths, which store forwarding cannot serve) and copies
// twice. Writing straight into the SpanContext being returned avoids both.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "mmf/baggage.h"
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

struct BaggageAccess {
  // The entries of a Baggage being built (not yet shared), to take some out in place instead
  // of copying the rest with erase().
  static std::vector<Baggage::Entry>& entries(Baggage& baggage) noexcept {
    return baggage.entries_;
  }
};

}  // namespace mmf::detail
