// Propagation: reading a request's Context from its headers, and writing it into outgoing ones.
//
// Formats (DESIGN.md §5):
//   - W3C Trace Context Level 2: traceparent, tracestate.
//   - W3C Baggage: baggage. The correlation ID also rides in it as mmf.correlation_id, so it
//     survives services that drop unknown headers; allowed business fields ride in it by name.
//   - Correlation headers, in two families, both read, one written (PropagationOptions):
//       standard:  X-Correlation-ID, X-Request-ID, X-User-ID, X-Session-ID
//       MMF:       X-MMF-Correlation-ID, -Request-ID, -User-ID, -Session-ID, -Plugin-ID,
//                  -Operation-ID (what services of the Python MMF send)
//   - B3 (Zipkin), single "b3" and multi "X-B3-*" headers: read when no valid traceparent came.
//
// Everything read is untrusted: values are bounded, validated, and dropped or replaced when
// wrong (see PropagationCounters in mmf/context.h). Extraction never throws on bad input and
// never crashes; the only exception it can raise is std::bad_alloc.
//
// Carriers are any header container (mmf/carrier.h). Thread-safety: a Propagator is immutable
// after construction; share one between threads.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/carrier.h"
#include "mmf/context.h"
#include "mmf/detail/function_ref.h"
#include "mmf/detail/trace_headers.h"
#include "mmf/ids.h"
#include "mmf/trace_context.h"

namespace mmf {

namespace headers {
inline constexpr std::string_view kTraceparent = "traceparent";
inline constexpr std::string_view kTracestate = "tracestate";
inline constexpr std::string_view kBaggage = "baggage";
inline constexpr std::string_view kCorrelationId = "X-Correlation-ID";
inline constexpr std::string_view kRequestId = "X-Request-ID";
inline constexpr std::string_view kUserId = "X-User-ID";
inline constexpr std::string_view kSessionId = "X-Session-ID";
inline constexpr std::string_view kMmfCorrelationId = "X-MMF-Correlation-ID";
inline constexpr std::string_view kMmfRequestId = "X-MMF-Request-ID";
inline constexpr std::string_view kMmfUserId = "X-MMF-User-ID";
inline constexpr std::string_view kMmfSessionId = "X-MMF-Session-ID";
inline constexpr std::string_view kMmfPluginId = "X-MMF-Plugin-ID";
inline constexpr std::string_view kMmfOperationId = "X-MMF-Operation-ID";
inline constexpr std::string_view kB3 = "b3";
inline constexpr std::string_view kB3TraceId = "X-B3-TraceId";
inline constexpr std::string_view kB3SpanId = "X-B3-SpanId";
inline constexpr std::string_view kB3Sampled = "X-B3-Sampled";
inline constexpr std::string_view kB3Flags = "X-B3-Flags";
// The baggage member that mirrors the correlation ID.
inline constexpr std::string_view kBaggageCorrelationId = "mmf.correlation_id";
}  // namespace headers

// Which correlation header family outgoing requests carry.
enum class CorrelationHeaders : std::uint8_t {
  kStandard,  // X-Correlation-ID, X-Request-ID, X-User-ID, X-Session-ID
  kMmf,       // X-MMF-Correlation-ID ... X-MMF-Operation-ID, for Python MMF services
};

struct PropagationOptions {
  bool trace_context = true;  // read and write traceparent and tracestate
  bool baggage = true;        // read and write baggage
  bool b3 = true;             // read B3 headers when no valid traceparent arrived
  bool correlation = true;    // read and write the correlation headers
  CorrelationHeaders output_headers = CorrelationHeaders::kStandard;
  // A request that arrives without a (valid) correlation ID gets a fresh UUIDv7.
  bool generate_correlation_id = true;
  // Business fields that may leave the process, as baggage members of the same name. Incoming
  // baggage members with these names become business fields. None leave by default.
  std::vector<std::string> allowed_business_fields{};
  // Source of generated IDs; default_id_generator() when null. Must outlive the Propagator.
  IdGenerator* id_generator = nullptr;
};

class Propagator {
 public:
  Propagator() = default;
  explicit Propagator(PropagationOptions options);

  // Reads a request's headers into a new Context: the remote SpanContext (invalid when none
  // came), the correlation fields, business fields and baggage. correlation_origin() tells
  // whether the correlation ID arrived, was generated, or replaced an invalid one.
  template <class Carrier>
  Context extract(const Carrier& carrier) const {
    return extract_from(
        [&carrier](HeaderVisitor visit) { CarrierTraits<Carrier>::for_each(carrier, visit); });
  }

  // Writes context (the thread's current Context by default) into outgoing headers.
  template <class Carrier>
  void inject(const Context& context, Carrier& carrier) const {
    inject_to(context, [&carrier](std::string_view name, std::string_view value) {
      CarrierTraits<Carrier>::set(carrier, name, value);
    });
  }
  template <class Carrier>
  void inject(Carrier& carrier) const {
    inject(Context::current(), carrier);
  }

  // The same, type-erased, for adapters that are not containers.
  using HeaderVisitor = detail::FunctionRef<void(std::string_view, std::string_view)>;
  using HeaderSetter = detail::FunctionRef<void(std::string_view, std::string_view)>;
  Context extract_from(detail::FunctionRef<void(HeaderVisitor)> for_each_header) const;
  void inject_to(const Context& context, HeaderSetter set) const;
  // The same with span_context in place of the Context's own trace context: what an outgoing
  // call made under a client span sends (its correlation fields and baggage, the client span as
  // the parent), without building a Context for it.
  void inject_to(const Context& context, const SpanContext& span_context, HeaderSetter set) const;

  const PropagationOptions& options() const noexcept { return options_; }

 private:
  bool is_allowed_business_field(std::string_view key) const noexcept;
  PropagationOptions options_;
};

// --- The W3C trace context alone (for proxies, and the Tracer). No allocation unless a
// tracestate is present.

// Parses a traceparent value: version 00 exactly, future versions by the version-00 prefix
// rules, "ff" and malformed values refused. The result is marked remote.
std::optional<SpanContext> parse_traceparent(std::string_view value) noexcept;
// Writes "00-<trace-id>-<span-id>-<flags>" (55 characters); unknown flag bits are cleared.
inline constexpr std::size_t kTraceparentSize = 55;
void format_traceparent(const SpanContext& span_context,
                        std::span<char, kTraceparentSize> out) noexcept;
std::string format_traceparent(const SpanContext& span_context);

// Parses a B3 single-header value ("{trace}-{span}[-{sampled}[-{parent}]]").
std::optional<SpanContext> parse_b3(std::string_view value) noexcept;

// Reads traceparent and tracestate from a carrier. Invalid or missing: an invalid SpanContext.
// The walk over the carrier is inlined here: an unrelated header costs a length test.
template <class Carrier>
SpanContext extract_trace_context(const Carrier& carrier) {
  detail::TraceHeaders found;
  CarrierTraits<Carrier>::for_each(
      carrier, [&found](std::string_view name, std::string_view value) { found.add(name, value); });
  return detail::trace_context_of(found);
}
SpanContext extract_trace_context_from(detail::FunctionRef<void(Propagator::HeaderVisitor)>);

// Writes traceparent (and tracestate when not empty) for a valid SpanContext; nothing otherwise.
template <class Carrier>
void inject_trace_context(const SpanContext& span_context, Carrier& carrier) {
  if (!span_context.is_valid()) return;
  char traceparent[kTraceparentSize];
  format_traceparent(span_context, std::span<char, kTraceparentSize>(traceparent));
  CarrierTraits<Carrier>::set(carrier, headers::kTraceparent,
                              std::string_view(traceparent, kTraceparentSize));
  if (!span_context.trace_state.empty()) {
    CarrierTraits<Carrier>::set(carrier, headers::kTracestate, span_context.trace_state.header());
  }
}
void inject_trace_context_to(const SpanContext& span_context, Propagator::HeaderSetter set);

}  // namespace mmf
