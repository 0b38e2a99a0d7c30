// The two text forms of a log record: JSON lines for machines and console lines for people.
//
// JSON line (one object, then "\n"), members in this order:
//   timestamp    RFC 3339 UTC, microseconds (truncated): "2026-11-30T21:48:51.360801Z"
//   level        log_level_name(): "info"
//   message
//   logger       when not empty
//   service, version, environment   the resource's service.name, service.version and
//                deployment.environment.name, each when the resource has it as a string
//   trace_id, span_id, trace_flags  lowercase hex ("01" for flags), when the trace ID is valid
//   correlation_id, request_id, user_id, session_id, operation, plugin   each when not empty
//   the business fields (strings), then the caller's fields (JSON values of their types)
//   source       "file.cc:42" (the file name without directories), when the line is known
// A business or caller field whose key is one of the names above is written as "field.<key>":
// data from a request can never forge or shadow a reserved member. All text, keys included, is
// escaped as RFC 8259 requires and repaired to well-formed UTF-8 (JsonWriter), so no input can
// end the line or the object early. NaN and the infinities are written as the strings "NaN",
// "Infinity" and "-Infinity".
//
// Console line, for development:
//   21:48:51.360 INFO  [checkout] payment accepted  amount=12.5 note="two words" trace_id=...
// UTC time to the millisecond (deterministic, whatever the machine's zone), the level padded to
// five columns (coloured by level when color is true), the logger in brackets, the message, then
// key=value pairs: the caller's fields, the business fields, the Context's IDs and the source.
// Values that are empty or hold spaces, quotes, '=', '\' or anything escaped are quoted. In every
// string, control characters (C0, DEL, C1) and bytes that are not UTF-8 are escaped (\n, \t,
// \x1b, \u009b, \xff), so a message can neither start a second line nor send the terminal an
// escape sequence; the only ESC bytes written are the colour codes.
//
// Cost: both append to out and allocate only to grow it. JsonWriter grows out by resizing it,
// which zero-fills: format a record into a small reused string, then append that to a large
// batch, rather than formatting straight onto the end of a large one.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mmf/log_record.h"
#include "mmf/resource.h"

namespace mmf::detail {

void format_json_line(const LogRecord& record, const Resource& resource, std::string& out);

void format_console_line(const LogRecord& record, const Resource& resource, bool color,
                         std::string& out);

// Whether key names a member that format_json_line() writes itself ("level", "trace_id"...).
bool is_reserved_log_key(std::string_view key) noexcept;

// "2026-11-30T21:48:51.360801Z": UTC, microseconds truncated (toward the past, also before
// 1970). Every int64 nanosecond time (years 1677 to 2262) has a four-digit year.
void append_rfc3339_micros(std::int64_t unix_nanos, std::string& out);

// "21:48:51.360": UTC time of day, milliseconds truncated.
void append_time_of_day_millis(std::int64_t unix_nanos, std::string& out);

}  // namespace mmf::detail
