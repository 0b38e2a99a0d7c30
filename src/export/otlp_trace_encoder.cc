#include "export/otlp_trace_encoder.h"

#include <optional>

namespace mmf::detail {
namespace {

// Field numbers of trace.proto and trace_service.proto.
namespace f {
constexpr std::uint32_t kRequestResourceSpans = 1;
constexpr std::uint32_t kResourceSpansResource = 1;
constexpr std::uint32_t kResourceSpansScopeSpans = 2;
constexpr std::uint32_t kScopeSpansScope = 1;
constexpr std::uint32_t kScopeSpansSpans = 2;

constexpr std::uint32_t kSpanTraceId = 1;
constexpr std::uint32_t kSpanSpanId = 2;
constexpr std::uint32_t kSpanTraceState = 3;
constexpr std::uint32_t kSpanParentSpanId = 4;
constexpr std::uint32_t kSpanName = 5;
constexpr std::uint32_t kSpanKind = 6;
constexpr std::uint32_t kSpanStartTime = 7;
constexpr std::uint32_t kSpanEndTime = 8;
constexpr std::uint32_t kSpanAttributes = 9;
constexpr std::uint32_t kSpanDroppedAttributes = 10;
constexpr std::uint32_t kSpanEvents = 11;
constexpr std::uint32_t kSpanDroppedEvents = 12;
constexpr std::uint32_t kSpanLinks = 13;
constexpr std::uint32_t kSpanDroppedLinks = 14;
constexpr std::uint32_t kSpanStatus = 15;
constexpr std::uint32_t kSpanFlags = 16;

constexpr std::uint32_t kEventTime = 1;
constexpr std::uint32_t kEventName = 2;
constexpr std::uint32_t kEventAttributes = 3;
constexpr std::uint32_t kEventDroppedAttributes = 4;

constexpr std::uint32_t kLinkTraceId = 1;
constexpr std::uint32_t kLinkSpanId = 2;
constexpr std::uint32_t kLinkTraceState = 3;
constexpr std::uint32_t kLinkAttributes = 4;
constexpr std::uint32_t kLinkDroppedAttributes = 5;
constexpr std::uint32_t kLinkFlags = 6;

constexpr std::uint32_t kStatusMessage = 2;
constexpr std::uint32_t kStatusCode = 3;
}  // namespace f

// SpanFlags: SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK and SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK.
constexpr std::uint32_t kHasIsRemote = 0x100;
constexpr std::uint32_t kIsRemote = 0x200;

std::uint32_t context_flags(TraceFlags flags, bool is_remote) noexcept {
  return flags.bits() | kHasIsRemote | (is_remote ? kIsRemote : 0);
}

std::uint64_t unix_nano(std::int64_t time) noexcept { return static_cast<std::uint64_t>(time); }

// Status is optional: written when the span has one.
bool has_status(const SpanView& span, std::string_view message) noexcept {
  return span.status_code() != StatusCode::kUnset || !message.empty();
}

// Protobuf.

void write_events(ProtoWriter& w, const SpanView& span) {
  // An event's attributes arrive after it, so each event ends when the next begins. Its dropped
  // count (field 4) is written last, after the attributes (field 3), as libprotobuf orders them.
  std::optional<ProtoWriter::Message> open;
  std::uint32_t dropped = 0;
  auto close = [&] {
    if (!open) return;
    w.uint64_field(f::kEventDroppedAttributes, dropped);
    w.end_message(*open);
    open.reset();
  };
  span.for_each_event(
      [&](const SpanEventView& event) {
        close();
        open = w.begin_message(f::kSpanEvents);
        w.fixed64_field(f::kEventTime, unix_nano(event.time_unix_nano));
        w.string_field(f::kEventName, event.name);
        dropped = event.dropped_attributes_count;
      },
      [&](std::string_view key, const AttributeValue& value) {
        if (open) write_key_value(w, f::kEventAttributes, key, value);
      });
  close();
}

void write_links(ProtoWriter& w, const SpanView& span) {
  std::optional<ProtoWriter::Message> open;
  std::uint32_t dropped = 0;
  std::uint32_t flags = 0;
  auto close = [&] {
    if (!open) return;
    w.uint64_field(f::kLinkDroppedAttributes, dropped);
    w.fixed32_field(f::kLinkFlags, flags);
    w.end_message(*open);
    open.reset();
  };
  span.for_each_link(
      [&](const SpanLinkView& link) {
        close();
        // Two IDs and flags take 37 bytes; with attributes a link usually passes 127.
        open = w.begin_message(f::kSpanLinks, 2);
        w.bytes_field(f::kLinkTraceId, link.trace_id.bytes());
        w.bytes_field(f::kLinkSpanId, link.span_id.bytes());
        w.string_field(f::kLinkTraceState, link.trace_state);
        dropped = link.dropped_attributes_count;
        flags = context_flags(link.flags, link.is_remote);
      },
      [&](std::string_view key, const AttributeValue& value) {
        if (open) write_key_value(w, f::kLinkAttributes, key, value);
      });
  close();
}

void write_span(ProtoWriter& w, const SpanView& span) {
  // A span with a handful of attributes takes 128 bytes to 16 KiB.
  const ProtoWriter::Message message = w.begin_message(f::kScopeSpansSpans, 2);
  w.bytes_field(f::kSpanTraceId, span.trace_id().bytes());
  w.bytes_field(f::kSpanSpanId, span.span_id().bytes());
  w.string_field(f::kSpanTraceState, span.trace_state());
  if (span.parent_span_id().is_valid()) {
    w.bytes_field(f::kSpanParentSpanId, span.parent_span_id().bytes());
  }
  w.string_field(f::kSpanName, span.name());
  w.int64_field(f::kSpanKind, static_cast<std::int64_t>(span.kind()));
  w.fixed64_field(f::kSpanStartTime, unix_nano(span.start_unix_nano()));
  w.fixed64_field(f::kSpanEndTime, unix_nano(span.end_unix_nano()));
  span.for_each_attribute([&](std::string_view key, const AttributeValue& value) {
    write_key_value(w, f::kSpanAttributes, key, value);
  });
  w.uint64_field(f::kSpanDroppedAttributes, span.dropped_attributes_count());
  write_events(w, span);
  w.uint64_field(f::kSpanDroppedEvents, span.dropped_events_count());
  write_links(w, span);
  w.uint64_field(f::kSpanDroppedLinks, span.dropped_links_count());
  const std::string_view status_message = span.status_message();
  if (has_status(span, status_message)) {
    const ProtoWriter::Message status = w.begin_message(f::kSpanStatus);
    w.string_field(f::kStatusMessage, status_message);
    w.int64_field(f::kStatusCode, static_cast<std::int64_t>(span.status_code()));
    w.end_message(status);
  }
  w.fixed32_field(f::kSpanFlags, context_flags(span.flags(), span.parent_is_remote()));
  w.end_message(message);
}

// JSON.

void write_attribute_list(JsonWriter& w, JsonList& list, std::string_view key,
                          const AttributeValue& value) {
  list.next();
  write_key_value(w, key, value);
}

void write_count(JsonWriter& w, std::string_view name, std::uint32_t count) {
  if (count == 0) return;
  w.key(name);
  w.number(count);
}

void write_events(JsonWriter& w, const SpanView& span) {
  JsonList events(w, "events");
  JsonList attributes(w, "attributes");
  bool open = false;
  std::uint32_t dropped = 0;
  auto close = [&] {
    if (!open) return;
    attributes.close();
    write_count(w, "droppedAttributesCount", dropped);
    w.end_object();
    open = false;
  };
  span.for_each_event(
      [&](const SpanEventView& event) {
        close();
        events.next();
        w.begin_object();
        open = true;
        if (event.time_unix_nano != 0) {
          w.key("timeUnixNano");
          w.uint64_string(unix_nano(event.time_unix_nano));
        }
        if (!event.name.empty()) {
          w.key("name");
          w.string(event.name);
        }
        dropped = event.dropped_attributes_count;
      },
      [&](std::string_view key, const AttributeValue& value) {
        if (open) write_attribute_list(w, attributes, key, value);
      });
  close();
  events.close();
}

void write_links(JsonWriter& w, const SpanView& span) {
  JsonList links(w, "links");
  JsonList attributes(w, "attributes");
  bool open = false;
  std::uint32_t dropped = 0;
  std::uint32_t flags = 0;
  auto close = [&] {
    if (!open) return;
    attributes.close();
    write_count(w, "droppedAttributesCount", dropped);
    write_count(w, "flags", flags);
    w.end_object();
    open = false;
  };
  span.for_each_link(
      [&](const SpanLinkView& link) {
        close();
        links.next();
        w.begin_object();
        open = true;
        w.key("traceId");
        w.hex_string(link.trace_id.bytes());
        w.key("spanId");
        w.hex_string(link.span_id.bytes());
        if (!link.trace_state.empty()) {
          w.key("traceState");
          w.string(link.trace_state);
        }
        dropped = link.dropped_attributes_count;
        flags = context_flags(link.flags, link.is_remote);
      },
      [&](std::string_view key, const AttributeValue& value) {
        if (open) write_attribute_list(w, attributes, key, value);
      });
  close();
  links.close();
}

void write_span(JsonWriter& w, const SpanView& span) {
  w.begin_object();
  w.key("traceId");
  w.hex_string(span.trace_id().bytes());
  w.key("spanId");
  w.hex_string(span.span_id().bytes());
  if (const std::string_view trace_state = span.trace_state(); !trace_state.empty()) {
    w.key("traceState");
    w.string(trace_state);
  }
  if (span.parent_span_id().is_valid()) {
    w.key("parentSpanId");
    w.hex_string(span.parent_span_id().bytes());
  }
  write_count(w, "flags", context_flags(span.flags(), span.parent_is_remote()));
  if (const std::string_view name = span.name(); !name.empty()) {
    w.key("name");
    w.string(name);
  }
  w.key("kind");
  w.number(static_cast<std::uint32_t>(span.kind()));
  if (span.start_unix_nano() != 0) {
    w.key("startTimeUnixNano");
    w.uint64_string(unix_nano(span.start_unix_nano()));
  }
  if (span.end_unix_nano() != 0) {
    w.key("endTimeUnixNano");
    w.uint64_string(unix_nano(span.end_unix_nano()));
  }
  JsonList attributes(w, "attributes");
  span.for_each_attribute([&](std::string_view key, const AttributeValue& value) {
    write_attribute_list(w, attributes, key, value);
  });
  attributes.close();
  write_count(w, "droppedAttributesCount", span.dropped_attributes_count());
  write_events(w, span);
  write_count(w, "droppedEventsCount", span.dropped_events_count());
  write_links(w, span);
  write_count(w, "droppedLinksCount", span.dropped_links_count());
  const std::string_view status_message = span.status_message();
  if (has_status(span, status_message)) {
    w.key("status");
    w.begin_object();
    if (!status_message.empty()) {
      w.key("message");
      w.string(status_message);
    }
    write_count(w, "code", static_cast<std::uint32_t>(span.status_code()));
    w.end_object();
  }
  w.end_object();
}

}  // namespace

void encode_trace_request_proto(std::span<const SpanView> spans, const Resource& resource,
                                const InstrumentationScope& scope, std::string& out) {
  out.clear();
  if (spans.empty()) return;
  ProtoWriter w(out);
  // A batch is usually 16 KiB to 2 MiB: a 3-byte length. Another size costs one move of the
  // batch, small next to encoding it.
  const ProtoWriter::Message resource_spans = w.begin_message(f::kRequestResourceSpans, 3);
  write_resource(w, f::kResourceSpansResource, resource);
  const ProtoWriter::Message scope_spans = w.begin_message(f::kResourceSpansScopeSpans, 3);
  write_scope(w, f::kScopeSpansScope, scope);
  for (const SpanView& span : spans) write_span(w, span);
  w.end_message(scope_spans);
  w.end_message(resource_spans);
  w.finish();
}

void encode_trace_request_json(std::span<const SpanView> spans, const Resource& resource,
                               const InstrumentationScope& scope, std::string& out) {
  out.clear();
  JsonWriter w(out);
  w.begin_object();
  if (!spans.empty()) {
    w.key("resourceSpans");
    w.begin_array();
    w.begin_object();
    w.key("resource");
    write_resource(w, resource);
    w.key("scopeSpans");
    w.begin_array();
    w.begin_object();
    w.key("scope");
    write_scope(w, scope);
    w.key("spans");
    w.begin_array();
    for (const SpanView& span : spans) write_span(w, span);
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
