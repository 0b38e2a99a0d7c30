// What the tracing pipeline hands to exporters: finished spans, read through SpanView.
//
// The pipeline keeps each finished span in its own compact form and lends exporters a SpanView
// per span for the duration of one export_spans() call; nothing is copied unless the exporter
// copies it (SpanData::from does, for tests and in-memory use). Encoders read the views and
// write OTLP straight from them.
//
// Thread-safety: the pipeline calls an exporter from one thread at a time. InMemorySpanExporter
// may be read from any thread while spans are exported.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/detail/function_ref.h"
#include "mmf/span_kind.h"
#include "mmf/trace_context.h"

namespace mmf {

class Resource;
namespace detail {
struct SpanRecord;
}  // namespace detail

// Calls for the parts of a span that come in lists. The views live for the call only.
struct SpanEventView {
  std::string_view name;
  std::int64_t time_unix_nano;
  std::uint32_t dropped_attributes_count;
};
struct SpanLinkView {
  TraceId trace_id;
  SpanId span_id;
  TraceFlags flags;
  bool is_remote;
  std::string_view trace_state;
  std::uint32_t dropped_attributes_count;
};

class SpanView {
 public:
  explicit SpanView(const detail::SpanRecord& record) noexcept : record_(&record) {}

  const TraceId& trace_id() const noexcept;
  const SpanId& span_id() const noexcept;
  const SpanId& parent_span_id() const noexcept;  // invalid for a root span
  TraceFlags flags() const noexcept;
  bool parent_is_remote() const noexcept;
  std::string_view trace_state() const noexcept;  // the normalised header text
  std::string_view name() const noexcept;
  SpanKind kind() const noexcept;
  std::int64_t start_unix_nano() const noexcept;
  std::int64_t end_unix_nano() const noexcept;
  StatusCode status_code() const noexcept;
  std::string_view status_message() const noexcept;
  std::uint32_t dropped_attributes_count() const noexcept;
  std::uint32_t dropped_events_count() const noexcept;
  std::uint32_t dropped_links_count() const noexcept;

  using AttributeVisitor = detail::FunctionRef<void(std::string_view, const AttributeValue&)>;
  // fn(key, value) for each span attribute (its latest value), in the order they were first set.
  void for_each_attribute(AttributeVisitor fn) const;
  // on_event(event) for each event, then on_attribute(key, value) for each of its attributes.
  void for_each_event(detail::FunctionRef<void(const SpanEventView&)> on_event,
                      AttributeVisitor on_attribute) const;
  void for_each_link(detail::FunctionRef<void(const SpanLinkView&)> on_link,
                     AttributeVisitor on_attribute) const;

 private:
  const detail::SpanRecord* record_;
};

// An owned copy of a finished span, for tests and the in-memory exporter.
struct SpanData {
  struct Event {
    std::string name;
    std::int64_t time_unix_nano = 0;
    std::vector<KeyValue> attributes;
    std::uint32_t dropped_attributes_count = 0;
  };
  struct LinkData {
    SpanContext context;
    std::vector<KeyValue> attributes;
    std::uint32_t dropped_attributes_count = 0;
  };

  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;
  TraceFlags flags;
  bool parent_is_remote = false;
  std::string trace_state;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::int64_t start_unix_nano = 0;
  std::int64_t end_unix_nano = 0;
  StatusCode status_code = StatusCode::kUnset;
  std::string status_message;
  std::vector<KeyValue> attributes;
  std::vector<Event> events;
  std::vector<LinkData> links;
  std::uint32_t dropped_attributes_count = 0;
  std::uint32_t dropped_events_count = 0;
  std::uint32_t dropped_links_count = 0;

  static SpanData from(const SpanView& view);
  // The value of an attribute, or nullptr.
  const OwnedAttributeValue* attribute(std::string_view key) const noexcept;
};

enum class ExportResult : std::uint8_t {
  kSuccess,
  kFailure,  // the spans are lost (after the exporter's own retries)
};

// The library that made the spans: TracerOptions::scope_name and scope_version, sent to the
// collector as the OTLP InstrumentationScope. The views live for the export_spans() call.
struct InstrumentationScope {
  std::string_view name{};
  std::string_view version{};
};

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Exports a batch and returns by deadline. resource describes the process that made the spans,
  // scope the library (all the batch's spans come from one Tracer).
  virtual ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                                    const InstrumentationScope& scope,
                                    std::chrono::steady_clock::time_point deadline) noexcept = 0;
  // Makes any export in progress or waiting for a retry return promptly; later exports fail
  // fast. Called by the pipeline's shutdown.
  virtual void shutdown() noexcept {}
};

// Keeps every exported span in memory, for tests and examples.
class InMemorySpanExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                            const InstrumentationScope& scope,
                            std::chrono::steady_clock::time_point deadline) noexcept override;

  std::vector<SpanData> spans() const;  // a copy of what was exported so far
  std::size_t size() const;
  void clear();
  // Makes the next exports fail (for tests of the pipeline's failure handling).
  void set_failing(bool failing);

 private:
  mutable std::mutex mutex_;
  std::vector<SpanData> spans_;
  bool failing_ = false;
};

}  // namespace mmf
