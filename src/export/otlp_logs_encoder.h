// OTLP encoding of a batch of log records: the body of an OTLP/HTTP request to /v1/logs (and of
// the gRPC LogsService/Export call), as protobuf or as JSON.
//
//   std::string body;
//   encode_logs_request_proto(records, resource, {.name = "mmf-observability"}, body);
//
// The request holds one ResourceLogs (the process's resource) with one ScopeLogs (the sink's
// instrumentation scope) holding one LogRecord per record, in the order given. Like the trace
// and metrics encoders, these write bytes directly (export/proto_writer.h, export/json_writer.h),
// and out is replaced, its capacity kept. An empty batch encodes an empty request (no bytes;
// "{}" in JSON).
//
// Mapping (tests/proto/.../logs.proto):
//   - time_unix_nano and observed_time_unix_nano are both the record's time: the record is made
//     when the event is observed, so the two are the same instant;
//   - severity_number is otlp_severity_number(level); severity_text the upper-case level name,
//     as the OpenTelemetry log data model names the ranges: TRACE, DEBUG, INFO, WARN, ERROR,
//     and FATAL for critical;
//   - body is the message, as an AnyValue string (left out when the message is empty);
//   - attributes are the caller's fields as given, then what the Context knew, under the keys
//     the trace pipeline gives the same things on spans (src/trace/tracer_core.cc), so that a
//     backend joins logs and spans on one key: correlation_id, request_id, user.id, session.id,
//     mmf.operation, mmf.plugin.name, mmf.business.<key> for each business field, then
//     mmf.logger.name, and the source location under OpenTelemetry's code.file.path,
//     code.line.number (an int) and code.function.name. Empty values are left out;
//   - trace_id, span_id and flags (the W3C trace flags byte) only when the trace ID is valid,
//     and span_id only when it is valid too, as OTLP leaves an absent ID empty.
//
// What OTLP asks for beyond the field numbers: fields in field-number order, as libprotobuf
// writes them (observed_time_unix_nano, field 11, after the IDs), so the encoding is byte for
// byte libprotobuf's; OTLP/JSON writes IDs as lowercase hex, enums (severityNumber) and flags as
// numbers, 64-bit integers (times, intValue) as decimal strings, and leaves out default values.
// All text is repaired to well-formed UTF-8, since protobuf parsers reject a message with an
// ill-formed string field: one bad byte in a message costs one U+FFFD, never the batch.
//
// Errors: may throw std::bad_alloc while out grows; out is then unspecified.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <span>
#include <string>

#include "mmf/log_record.h"
#include "mmf/resource.h"
#include "mmf/span_exporter.h"

namespace mmf::detail {

// ExportLogsServiceRequest { ResourceLogs { Resource, ScopeLogs { scope, log_records... } } }
void encode_logs_request_proto(std::span<const LogRecord> records, const Resource& resource,
                               const InstrumentationScope& scope, std::string& out);
void encode_logs_request_json(std::span<const LogRecord> records, const Resource& resource,
                              const InstrumentationScope& scope, std::string& out);

}  // namespace mmf::detail
