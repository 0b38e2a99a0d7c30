// A log record as sinks receive it, and the LogSink interface (mmf/log.h makes the records).
//
// A record carries what the caller said (level, message, structured fields, source location)
// and what the current Context knew when it was made (trace and span ID, flags, correlation
// and request IDs, user and session, operation, plugin, the allowed business fields). Sinks
// turn records into JSON lines, console text, files or OTLP; they run on the logging pipeline's
// background thread, never on the thread that logged.
//
// Thread-safety: records are plain values. A sink's write() is called by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/resource.h"
#include "mmf/trace_context.h"

namespace mmf {

enum class LogLevel : std::uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// "trace", "debug", "info", "warn", "error", "critical", "off".
std::string_view log_level_name(LogLevel level) noexcept;
// The name of a level in any case; "warning" and "fatal" are accepted for warn and critical.
std::optional<LogLevel> parse_log_level(std::string_view name) noexcept;
// The OpenTelemetry severity number: TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21.
int otlp_severity_number(LogLevel level) noexcept;

struct LogRecord {
  std::int64_t time_unix_nano = 0;
  LogLevel level = LogLevel::kInfo;
  std::string logger{};   // the logger's name ("" for the default logger)
  std::string message{};  // as given: sinks escape it for their format
  std::vector<KeyValue> fields{};
  // The current Context when the record was made; IDs are invalid (all zero) without a span.
  TraceId trace_id{};
  SpanId span_id{};
  TraceFlags trace_flags{};
  std::string correlation_id{};
  std::string request_id{};
  std::string user_id{};
  std::string session_id{};
  std::string operation{};
  std::string plugin{};
  std::vector<std::pair<std::string, std::string>> business{};  // the allowed business fields
  // Where it was logged (__FILE__-like strings: static storage). Empty when unknown.
  std::string_view file{};
  std::uint32_t line = 0;
  std::string_view function{};
};

// Where records go. Implementations: mmf/log_sinks.h.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // Writes records, in the order they were made; resource describes the process (service.name,
  // service.version, deployment.environment.name...). Must not throw; a sink that fails counts
  // or reports the failure itself.
  virtual void write(std::span<const LogRecord> records, const Resource& resource) noexcept = 0;
  // Makes what was written durable (flushes buffers to the file or stream, or sends a batch).
  virtual void flush() noexcept {}
  // Last call; after it, write() is not called again.
  virtual void shutdown() noexcept { flush(); }
};

}  // namespace mmf
