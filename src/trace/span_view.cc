// SpanView reads a finished SpanRecord; SpanData copies one; InMemorySpanExporter keeps copies.
#include <cstring>

#include "mmf/resource.h"
#include "mmf/span_exporter.h"
#include "trace/span_record.h"

namespace mmf {
namespace {

using detail::Entry;
using detail::EntryKind;
using detail::EntryReader;

// The value of the last entry of a kind (names and status messages may be set again). In a
// serialized copy (what exporters see) it is a view into the record; otherwise the text may
// span blocks and is copied.
// first_is_last: the kind appears once at most, so the scan can stop at the first one.
std::string_view last_of(const detail::SpanRecord& record, EntryKind kind, std::string& copy,
                         bool first_is_last = false) {
  EntryReader reader(record);
  Entry entry;
  std::string_view found;
  bool any = false;
  while (reader.next(entry)) {
    if (entry.kind == kind) {
      found = entry.key;
      any = true;
      if (record.contiguous_size == 0) {
        copy.assign(entry.key);
        found = copy;
      }
      if (first_is_last) break;
    }
  }
  return any ? found : std::string_view();
}

// Views of text kept by a SpanView: a name or message that continues in another block must be
// copied somewhere that outlives the call. Per thread, valid until the next such call.
thread_local std::string tls_name;
thread_local std::string tls_message;
thread_local std::string tls_trace_state;

}  // namespace

const TraceId& SpanView::trace_id() const noexcept { return record_->trace_id; }
const SpanId& SpanView::span_id() const noexcept { return record_->span_id; }
const SpanId& SpanView::parent_span_id() const noexcept { return record_->parent_span_id; }
TraceFlags SpanView::flags() const noexcept { return record_->flags; }
bool SpanView::parent_is_remote() const noexcept { return record_->parent_is_remote; }
SpanKind SpanView::kind() const noexcept { return record_->kind; }
std::int64_t SpanView::start_unix_nano() const noexcept { return record_->start_unix_nanos(); }
std::int64_t SpanView::end_unix_nano() const noexcept { return record_->end_unix_nanos(); }
StatusCode SpanView::status_code() const noexcept { return record_->status; }
std::uint32_t SpanView::dropped_attributes_count() const noexcept {
  return record_->dropped_attributes;
}
std::uint32_t SpanView::dropped_events_count() const noexcept { return record_->dropped_events; }
std::uint32_t SpanView::dropped_links_count() const noexcept { return record_->dropped_links; }

std::string_view SpanView::name() const noexcept {
  try {
    return last_of(*record_, EntryKind::kName, tls_name, !record_->renamed);
  } catch (...) {
    return {};
  }
}

std::string_view SpanView::status_message() const noexcept {
  if (!record_->has_status_message || record_->status != StatusCode::kError) return {};
  try {
    return last_of(*record_, EntryKind::kStatusMessage, tls_message);
  } catch (...) {
    return {};
  }
}

std::string_view SpanView::trace_state() const noexcept {
  if (!record_->has_trace_state) return {};
  try {
    return last_of(*record_, EntryKind::kTraceState, tls_trace_state);
  } catch (...) {
    return {};
  }
}

void SpanView::for_each_attribute(AttributeVisitor fn) const {
  EntryReader reader(*record_);
  Entry entry;
  detail::ValueScratch scratch;
  while (reader.next(entry)) {
    if (entry.kind == EntryKind::kAttribute) fn(entry.key, detail::decode_value(entry, scratch));
  }
}

void SpanView::for_each_event(detail::FunctionRef<void(const SpanEventView&)> on_event,
                              AttributeVisitor on_attribute) const {
  if (record_->event_count == 0) return;
  EntryReader reader(*record_);
  Entry entry;
  detail::ValueScratch scratch;
  while (reader.next(entry)) {
    if (entry.kind == EntryKind::kEvent && entry.value.size() == 12) {
      SpanEventView event{entry.key, 0, 0};
      std::memcpy(&event.time_unix_nano, entry.value.data(), 8);
      std::memcpy(&event.dropped_attributes_count, entry.value.data() + 8, 4);
      on_event(event);
    } else if (entry.kind == EntryKind::kEventAttribute) {
      on_attribute(entry.key, detail::decode_value(entry, scratch));
    }
  }
}

void SpanView::for_each_link(detail::FunctionRef<void(const SpanLinkView&)> on_link,
                             AttributeVisitor on_attribute) const {
  if (record_->link_count == 0) return;
  EntryReader reader(*record_);
  Entry entry;
  detail::ValueScratch scratch;
  while (reader.next(entry)) {
    if (entry.kind == EntryKind::kLink && entry.value.size() == 30) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(entry.value.data());
      std::array<std::uint8_t, TraceId::kSize> trace_bytes;
      std::array<std::uint8_t, SpanId::kSize> span_bytes;
      std::memcpy(trace_bytes.data(), bytes, TraceId::kSize);
      std::memcpy(span_bytes.data(), bytes + 16, SpanId::kSize);
      SpanLinkView link{TraceId(trace_bytes), SpanId(span_bytes), TraceFlags(bytes[24]),
                        bytes[25] != 0,       entry.key,          0};
      std::memcpy(&link.dropped_attributes_count, bytes + 26, 4);
      on_link(link);
    } else if (entry.kind == EntryKind::kLinkAttribute) {
      on_attribute(entry.key, detail::decode_value(entry, scratch));
    }
  }
}

SpanData SpanData::from(const SpanView& view) {
  SpanData data;
  data.trace_id = view.trace_id();
  data.span_id = view.span_id();
  data.parent_span_id = view.parent_span_id();
  data.flags = view.flags();
  data.parent_is_remote = view.parent_is_remote();
  data.trace_state = std::string(view.trace_state());
  data.name = std::string(view.name());
  data.kind = view.kind();
  data.start_unix_nano = view.start_unix_nano();
  data.end_unix_nano = view.end_unix_nano();
  data.status_code = view.status_code();
  data.status_message = std::string(view.status_message());
  data.dropped_attributes_count = view.dropped_attributes_count();
  data.dropped_events_count = view.dropped_events_count();
  data.dropped_links_count = view.dropped_links_count();
  view.for_each_attribute([&](std::string_view key, const AttributeValue& value) {
    data.attributes.push_back({std::string(key), to_owned(value)});
  });
  view.for_each_event(
      [&](const SpanEventView& event) {
        data.events.push_back(
            {std::string(event.name), event.time_unix_nano, {}, event.dropped_attributes_count});
      },
      [&](std::string_view key, const AttributeValue& value) {
        if (!data.events.empty()) {
          data.events.back().attributes.push_back({std::string(key), to_owned(value)});
        }
      });
  view.for_each_link(
      [&](const SpanLinkView& link) {
        LinkData copy;
        copy.context.trace_id = link.trace_id;
        copy.context.span_id = link.span_id;
        copy.context.flags = link.flags;
        copy.context.is_remote = link.is_remote;
        copy.context.trace_state = TraceState::parse(link.trace_state);
        copy.dropped_attributes_count = link.dropped_attributes_count;
        data.links.push_back(std::move(copy));
      },
      [&](std::string_view key, const AttributeValue& value) {
        if (!data.links.empty()) {
          data.links.back().attributes.push_back({std::string(key), to_owned(value)});
        }
      });
  return data;
}

const OwnedAttributeValue* SpanData::attribute(std::string_view key) const noexcept {
  for (const KeyValue& attribute : attributes) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

ExportResult InMemorySpanExporter::export_spans(
    std::span<const SpanView> spans, const Resource& /*resource*/,
    const InstrumentationScope& /*scope*/,
    std::chrono::steady_clock::time_point /*deadline*/) noexcept {
  try {
    std::vector<SpanData> copies;
    copies.reserve(spans.size());
    for (const SpanView& view : spans) copies.push_back(SpanData::from(view));
    std::lock_guard<std::mutex> lock(mutex_);
    if (failing_) return ExportResult::kFailure;
    for (SpanData& copy : copies) spans_.push_back(std::move(copy));
    return ExportResult::kSuccess;
  } catch (...) {
    return ExportResult::kFailure;
  }
}

std::vector<SpanData> InMemorySpanExporter::spans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spans_;
}

std::size_t InMemorySpanExporter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spans_.size();
}

void InMemorySpanExporter::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  spans_.clear();
}

void InMemorySpanExporter::set_failing(bool failing) {
  std::lock_guard<std::mutex> lock(mutex_);
  failing_ = failing;
}

}  // namespace mmf
