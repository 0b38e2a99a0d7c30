// Helpers shared by the propagation tests: counter deltas, a predictable ID generator and a
// header carrier that keeps every field in arrival order.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/baggage.h"
#include "mmf/carrier.h"
#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/trace_context.h"

namespace mmf {

// Readable gtest failure messages (found by argument-dependent lookup).
inline void PrintTo(const TraceState& state, std::ostream* os) {
  *os << "TraceState(\"" << state.header() << "\")";
}
inline void PrintTo(const Baggage& baggage, std::ostream* os) {
  *os << "Baggage(\"" << baggage.to_header() << "\")";
}
inline void PrintTo(const SpanContext& context, std::ostream* os) {
  *os << "SpanContext(" << context.trace_id.to_hex() << "-" << context.span_id.to_hex() << "-"
      << int{context.flags.bits()} << (context.is_remote ? " remote" : "") << " \""
      << context.trace_state.header() << "\")";
}

}  // namespace mmf

namespace mmf::testing_support {

// What mmf::propagation_counters() gained since construction. The counters are process-wide,
// and gtest runs the tests of one program one after another, so a delta is exact.
class CounterDelta {
 public:
  CounterDelta() : start_(propagation_counters()) {}

  PropagationCounters delta() const {
    const PropagationCounters now = propagation_counters();
    PropagationCounters d;
    d.ids_rejected = now.ids_rejected - start_.ids_rejected;
    d.traceparent_invalid = now.traceparent_invalid - start_.traceparent_invalid;
    d.tracestate_invalid = now.tracestate_invalid - start_.tracestate_invalid;
    d.tracestate_truncated = now.tracestate_truncated - start_.tracestate_truncated;
    d.baggage_members_invalid = now.baggage_members_invalid - start_.baggage_members_invalid;
    d.baggage_members_dropped = now.baggage_members_dropped - start_.baggage_members_dropped;
    d.business_fields_dropped = now.business_fields_dropped - start_.business_fields_dropped;
    d.b3_invalid = now.b3_invalid - start_.b3_invalid;
    d.headers_oversized = now.headers_oversized - start_.headers_oversized;
    return d;
  }

 private:
  PropagationCounters start_;
};

// Hands out IDs from a counter: trace IDs 0...01, 0...02; span IDs likewise; correlation IDs
// in the UUIDv7 text form with the counter in the last group.
class SequenceIdGenerator final : public IdGenerator {
 public:
  TraceId new_trace_id() noexcept override {
    std::array<std::uint8_t, TraceId::kSize> bytes{};
    bytes[TraceId::kSize - 1] = static_cast<std::uint8_t>(++trace_ids_);
    return TraceId(bytes);
  }
  SpanId new_span_id() noexcept override {
    std::array<std::uint8_t, SpanId::kSize> bytes{};
    bytes[SpanId::kSize - 1] = static_cast<std::uint8_t>(++span_ids_);
    return SpanId(bytes);
  }
  std::string new_correlation_id() override {
    char text[40];
    std::snprintf(text, sizeof text, "00000000-0000-7000-8000-%012d", ++correlation_ids_);
    return text;
  }
  int correlation_ids_issued() const { return correlation_ids_; }

 private:
  int trace_ids_ = 0;
  int span_ids_ = 0;
  int correlation_ids_ = 0;
};

// The headers of one request, as an ordered list in which a name may repeat.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The value of the only header named name (any case); "<missing>" or "<repeated>" otherwise.
inline std::string only_header(const HeaderList& headers, std::string_view name) {
  std::string found = "<missing>";
  int count = 0;
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) {
      found = value;
      ++count;
    }
  }
  return count > 1 ? "<repeated>" : found;
}

inline bool has_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return true;
  }
  return false;
}

}  // namespace mmf::testing_support
