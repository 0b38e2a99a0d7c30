// OTLP encoding of a batch of finished spans: the body of an OTLP/HTTP request to /v1/traces
// (and of the gRPC TraceService/Export call), as protobuf or as JSON.
//
//   std::string body;
//   encode_trace_request_proto(spans, resource, {.name = "mmf-observability"}, body);
//
// The request holds one ResourceSpans (the process's resource) with one ScopeSpans (the
// tracer's instrumentation scope) holding every span, in the order given. The encoders read the
// spans through their views and write bytes directly (export/proto_writer.h,
// export/json_writer.h): no intermediate objects. out is replaced, its capacity kept, so an
// exporter that reuses one string allocates nothing once it has grown to the batch size.
// An empty batch encodes an empty request (no bytes; "{}" in JSON).
//
// What OTLP asks for, beyond the field numbers (tests/proto/.../trace.proto):
//   - Span.flags and Link.flags carry the W3C trace flags in their low 8 bits, and set bit 8
//     (the context's is_remote is known) always, with bit 9 when the parent (for a span) or
//     the linked context (for a link) came from another process;
//   - a root span has no parent_span_id; Status is written only when set;
//   - OTLP/JSON writes IDs as lowercase hex (not proto3 JSON's base64), enums as numbers,
//     64-bit integers (times, intValue) as decimal strings, names in lowerCamelCase.
// All text (names, keys, values, tracestate) is repaired to well-formed UTF-8, since protobuf
// parsers reject a message with an ill-formed string field.
//
// Errors: may throw std::bad_alloc while out grows; out is then unspecified.
//
// Thread-safety: pure functions; the views must not be used concurrently elsewhere (they are
// not: the pipeline calls an exporter from one thread).
#pragma once

#include <span>
#include <string>

#include "export/otlp_common.h"
#include "mmf/resource.h"
#include "mmf/span_exporter.h"

namespace mmf::detail {

// ExportTraceServiceRequest { ResourceSpans { Resource, ScopeSpans { scope, spans... } } }
void encode_trace_request_proto(std::span<const SpanView> spans, const Resource& resource,
                                const InstrumentationScope& scope, std::string& out);
void encode_trace_request_json(std::span<const SpanView> spans, const Resource& resource,
                               const InstrumentationScope& scope, std::string& out);

}  // namespace mmf::detail
