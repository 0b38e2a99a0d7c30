#include "export/otlp_logs_encoder.h"

#include <cstdint>
#include <string_view>
#include <utility>

#include "export/otlp_common.h"

namespace mmf::detail {
namespace {

// Field numbers of logs.proto and logs_service.proto.
namespace f {
constexpr std::uint32_t kRequestResourceLogs = 1;
constexpr std::uint32_t kResourceLogsResource = 1;
constexpr std::uint32_t kResourceLogsScopeLogs = 2;
constexpr std::uint32_t kScopeLogsScope = 1;
constexpr std::uint32_t kScopeLogsLogRecords = 2;

constexpr std::uint32_t kRecordTime = 1;
constexpr std::uint32_t kRecordSeverityNumber = 2;
constexpr std::uint32_t kRecordSeverityText = 3;
constexpr std::uint32_t kRecordBody = 5;
constexpr std::uint32_t kRecordAttributes = 6;
constexpr std::uint32_t kRecordFlags = 8;
constexpr std::uint32_t kRecordTraceId = 9;
constexpr std::uint32_t kRecordSpanId = 10;
constexpr std::uint32_t kRecordObservedTime = 11;
}  // namespace f

constexpr std::string_view kBusinessPrefix = "mmf.business.";

std::uint64_t unix_nano(std::int64_t time) noexcept { return static_cast<std::uint64_t>(time); }

// The OpenTelemetry log data model's short names of the severity ranges.
std::string_view severity_text(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kCritical:
      return "FATAL";
    case LogLevel::kOff:
      break;
  }
  return "";
}

// Calls attribute(key, value) for each non-empty piece of the record's Context, logger name and
// source location, in the order the header lists. A business key is built in key_scratch,
// which keeps its capacity from record to record.
template <class Visit>
void for_each_context_attribute(const LogRecord& record, std::string& key_scratch,
                                Visit&& attribute) {
  // The span attributes' keys for the same fields (src/trace/tracer_core.cc).
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"correlation_id", &record.correlation_id},
      {"request_id", &record.request_id},
      {"user.id", &record.user_id},
      {"session.id", &record.session_id},
      {"mmf.operation", &record.operation},
      {"mmf.plugin.name", &record.plugin},
  };
  for (const auto& [key, value] : fields) {
    if (!value->empty()) attribute(key, AttributeValue(std::string_view(*value)));
  }
  for (const auto& [key, value] : record.business) {
    if (value.empty()) continue;
    key_scratch.assign(kBusinessPrefix).append(key);
    attribute(std::string_view(key_scratch), AttributeValue(std::string_view(value)));
  }
  if (!record.logger.empty()) {
    attribute("mmf.logger.name", AttributeValue(std::string_view(record.logger)));
  }
  if (!record.file.empty()) attribute("code.file.path", AttributeValue(record.file));
  if (record.line != 0) {
    attribute("code.line.number", AttributeValue(static_cast<std::int64_t>(record.line)));
  }
  if (!record.function.empty()) attribute("code.function.name", AttributeValue(record.function));
}

// Protobuf. Fields in field-number order, as libprotobuf writes them.

void write_body(ProtoWriter& w, std::string_view message) {
  // The body's length is known before it is written (for well-formed text), so the slot is
  // sized exactly and a long message is never moved.
  const std::size_t length = 1 + ProtoWriter::varint_size(message.size()) + message.size();
  const ProtoWriter::Message body =
      w.begin_message(f::kRecordBody, ProtoWriter::varint_size(length));
  w.oneof_string(otlp_field::kAnyValueString, message);
  w.end_message(body);
}

void write_record(ProtoWriter& w, const LogRecord& record, std::string& key_scratch) {
  // A record with its message and a few fields and context attributes takes 128 bytes to 16 KiB.
  const ProtoWriter::Message message = w.begin_message(f::kScopeLogsLogRecords, 2);
  const std::uint64_t time = unix_nano(record.time_unix_nano);
  w.fixed64_field(f::kRecordTime, time);
  w.int64_field(f::kRecordSeverityNumber, otlp_severity_number(record.level));
  w.string_field(f::kRecordSeverityText, severity_text(record.level));
  if (!record.message.empty()) write_body(w, record.message);
  for (const KeyValue& field : record.fields) write_key_value(w, f::kRecordAttributes, field);
  for_each_context_attribute(record, key_scratch,
                             [&](std::string_view key, const AttributeValue& value) {
                               write_key_value(w, f::kRecordAttributes, key, value);
                             });
  if (record.trace_id.is_valid()) {
    w.fixed32_field(f::kRecordFlags, record.trace_flags.bits());
    w.bytes_field(f::kRecordTraceId, record.trace_id.bytes());
    if (record.span_id.is_valid()) w.bytes_field(f::kRecordSpanId, record.span_id.bytes());
  }
  w.fixed64_field(f::kRecordObservedTime, time);
  w.end_message(message);
}

// JSON. Members in the order logs.proto declares them, as the other encoders write them.

void write_time(JsonWriter& w, std::string_view name, std::int64_t time) {
  if (time == 0) return;
  w.key(name);
  w.uint64_string(unix_nano(time));
}

void write_record(JsonWriter& w, const LogRecord& record, std::string& key_scratch) {
  w.begin_object();
  write_time(w, "timeUnixNano", record.time_unix_nano);
  write_time(w, "observedTimeUnixNano", record.time_unix_nano);
  if (const int severity = otlp_severity_number(record.level); severity != 0) {
    w.key("severityNumber");
    w.number(static_cast<std::int64_t>(severity));
  }
  if (const std::string_view text = severity_text(record.level); !text.empty()) {
    w.key("severityText");
    w.string(text);
  }
  if (!record.message.empty()) {
    w.key("body");
    write_any_value(w, AttributeValue(std::string_view(record.message)));
  }
  JsonList attributes(w, "attributes");
  for (const KeyValue& field : record.fields) {
    attributes.next();
    write_key_value(w, field);
  }
  for_each_context_attribute(record, key_scratch,
                             [&](std::string_view key, const AttributeValue& value) {
                               attributes.next();
                               write_key_value(w, key, value);
                             });
  attributes.close();
  if (record.trace_id.is_valid()) {
    if (record.trace_flags.bits() != 0) {
      w.key("flags");
      w.number(static_cast<std::uint32_t>(record.trace_flags.bits()));
    }
    w.key("traceId");
    w.hex_string(record.trace_id.bytes());
    if (record.span_id.is_valid()) {
      w.key("spanId");
      w.hex_string(record.span_id.bytes());
    }
  }
  w.end_object();
}

}  // namespace

void encode_logs_request_proto(std::span<const LogRecord> records, const Resource& resource,
                               const InstrumentationScope& scope, std::string& out) {
  out.clear();
  if (records.empty()) return;
  ProtoWriter w(out);
  std::string key_scratch;
  // A batch is usually 16 KiB to 2 MiB: a 3-byte length, as for a span batch.
  const ProtoWriter::Message resource_logs = w.begin_message(f::kRequestResourceLogs, 3);
  write_resource(w, f::kResourceLogsResource, resource);
  const ProtoWriter::Message scope_logs = w.begin_message(f::kResourceLogsScopeLogs, 3);
  write_scope(w, f::kScopeLogsScope, scope);
  for (const LogRecord& record : records) write_record(w, record, key_scratch);
  w.end_message(scope_logs);
  w.end_message(resource_logs);
  w.finish();
}

void encode_logs_request_json(std::span<const LogRecord> records, const Resource& resource,
                              const InstrumentationScope& scope, std::string& out) {
  out.clear();
  JsonWriter w(out);
  std::string key_scratch;
  w.begin_object();
  if (!records.empty()) {
    w.key("resourceLogs");
    w.begin_array();
    w.begin_object();
    w.key("resource");
    write_resource(w, resource);
    w.key("scopeLogs");
    w.begin_array();
    w.begin_object();
    w.key("scope");
    write_scope(w, scope);
    w.key("logRecords");
    w.begin_array();
    for (const LogRecord& record : records) write_record(w, record, key_scratch);
    w.end_array();
    w.end_object();
    w.end_array();
    w.end_object();
    w.end_array();
  }
  w.end_object();
  w.finish();
}

}  // namespace mmf::detail
