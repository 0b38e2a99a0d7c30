#include <ctime>
#include <string>

#include "export/json_writer.h"
#include "mmf/exporters.h"
#include "mmf/resource.h"

namespace mmf {
namespace {

std::string_view status_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kError:
      return "error";
    default:
      return "unset";
  }
}

// RFC 3339, UTC, microseconds: 2026-11-30T19:40:00.123456Z.
void write_time(detail::JsonWriter& w, std::int64_t unix_nanos) {
  const std::int64_t seconds =
      unix_nanos >= 0 ? unix_nanos / 1'000'000'000 : (unix_nanos - 999'999'999) / 1'000'000'000;
  const auto micros =
      static_cast<unsigned>((unix_nanos - seconds * 1'000'000'000) / 1000) % 1'000'000u;
  const auto time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, micros);
  w.string(text);
}

void write_value(detail::JsonWriter& w, const AttributeValue& value) {
  switch (value.type()) {
    case AttributeType::kString:
      w.string(value.as_string());
      return;
    case AttributeType::kBool:
      w.boolean(value.as_bool());
      return;
    case AttributeType::kInt:
      w.number(value.as_int());
      return;
    case AttributeType::kDouble:
      w.number(value.as_double());
      return;
    case AttributeType::kStringArray:
      w.begin_array();
      for (std::string_view item : value.as_strings()) w.string(item);
      w.end_array();
      return;
    case AttributeType::kBoolArray:
      w.begin_array();
      for (bool item : value.as_bools()) w.boolean(item);
      w.end_array();
      return;
    case AttributeType::kIntArray:
      w.begin_array();
      for (std::int64_t item : value.as_ints()) w.number(item);
      w.end_array();
      return;
    case AttributeType::kDoubleArray:
      w.begin_array();
      for (double item : value.as_doubles()) w.number(item);
      w.end_array();
      return;
  }
}

// Keys from data go through string(): JsonWriter::key() takes literals only.
void write_member(detail::JsonWriter& w, std::string_view key, const AttributeValue& value) {
  w.key_text(key);
  write_value(w, value);
}

void append_span(std::string& out, const SpanView& span, const Resource& resource) {
  detail::JsonWriter w(out);
  w.begin_object();
  w.key("name");
  w.string(span.name());
  w.key("kind");
  w.string(to_string(span.kind()));
  w.key("trace_id");
  w.hex_string(span.trace_id().bytes());
  w.key("span_id");
  w.hex_string(span.span_id().bytes());
  if (span.parent_span_id().is_valid()) {
    w.key("parent_span_id");
    w.hex_string(span.parent_span_id().bytes());
  }
  w.key("start_time");
  write_time(w, span.start_unix_nano());
  w.key("duration_ms");
  w.number(static_cast<double>(span.end_unix_nano() - span.start_unix_nano()) / 1e6);
  w.key("status");
  w.string(status_name(span.status_code()));
  if (!span.status_message().empty()) {
    w.key("status_message");
    w.string(span.status_message());
  }
  w.key("service");
  w.string(resource.service_name());
  w.key("attributes");
  w.begin_object();
  span.for_each_attribute(
      [&](std::string_view key, const AttributeValue& value) { write_member(w, key, value); });
  w.end_object();
  bool any_event = false;
  bool in_event = false;
  span.for_each_event(
      [&](const SpanEventView& event) {
        if (!any_event) {
          w.key("events");
          w.begin_array();
          any_event = true;
        }
        if (in_event) {
          w.end_object();  // the previous event's attributes
          w.end_object();
        }
        w.begin_object();
        w.key("name");
        w.string(event.name);
        w.key("time");
        write_time(w, event.time_unix_nano);
        w.key("attributes");
        w.begin_object();
        in_event = true;
      },
      [&](std::string_view key, const AttributeValue& value) { write_member(w, key, value); });
  if (in_event) {
    w.end_object();
    w.end_object();
  }
  if (any_event) w.end_array();
  bool any_link = false;
  span.for_each_link(
      [&](const SpanLinkView& link) {
        if (!any_link) {
          w.key("links");
          w.begin_array();
          any_link = true;
        }
        w.begin_object();
        w.key("trace_id");
        w.hex_string(link.trace_id.bytes());
        w.key("span_id");
        w.hex_string(link.span_id.bytes());
        w.end_object();
      },
      [](std::string_view, const AttributeValue&) {});
  if (any_link) w.end_array();
  w.end_object();
}

}  // namespace

std::string ConsoleSpanExporter::format(const SpanView& span, const Resource& resource) {
  std::string line;
  append_span(line, span, resource);
  return line;
}

ExportResult ConsoleSpanExporter::export_spans(std::span<const SpanView> spans,
                                               const Resource& resource,
                                               const InstrumentationScope& /*scope*/,
                                               std::chrono::steady_clock::time_point) noexcept {
  try {
    buffer_.clear();
    for (const SpanView& span : spans) {
      append_span(buffer_, span, resource);
      buffer_.push_back('\n');
    }
  } catch (...) {
    return ExportResult::kFailure;
  }
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size()) {
    return ExportResult::kFailure;
  }
  std::fflush(out_);
  return ExportResult::kSuccess;
}

}  // namespace mmf
