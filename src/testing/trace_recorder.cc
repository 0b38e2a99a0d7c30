// RecordingSpanExporter and TraceRecorder (mmf/testing.h).
#include <algorithm>
#include <stdexcept>
#include <utility>

#include "mmf/resource.h"
#include "mmf/sampler.h"
#include "mmf/testing.h"

namespace mmf::test {
namespace {

// Long enough for a loaded CI machine, short enough that a stuck pipeline fails the test soon.
constexpr std::chrono::seconds kFlushTimeout{5};

std::vector<RecordedSpan> sorted_by_start(std::vector<RecordedSpan> spans) {
  std::stable_sort(spans.begin(), spans.end(), [](const RecordedSpan& a, const RecordedSpan& b) {
    return a.start_unix_nano < b.start_unix_nano;
  });
  return spans;
}

TracerOptions with_exporter(TracerOptions options, std::shared_ptr<SpanExporter> exporter) {
  if (options.exporter != nullptr) {
    throw std::invalid_argument(
        "TraceRecorder: TracerOptions.exporter must be null; the recorder exports to its own "
        "RecordingSpanExporter");
  }
  options.exporter = std::move(exporter);
  return options;
}

}  // namespace

ExportResult RecordingSpanExporter::export_spans(
    std::span<const SpanView> spans, const Resource& resource, const InstrumentationScope& scope,
    std::chrono::steady_clock::time_point /*deadline*/) noexcept {
  try {
    // Copied outside the lock, so that readers wait only for the append.
    std::vector<RecordedSpan> copies;
    copies.reserve(spans.size());
    for (const SpanView& view : spans) {
      RecordedSpan& copy = copies.emplace_back(RecordedSpan{SpanData::from(view), {}, {}});
      copy.service_name = std::string(resource.service_name());
      copy.scope_name = std::string(scope.name);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (RecordedSpan& copy : copies) spans_.push_back(std::move(copy));
    }
    exported_.notify_all();
    return ExportResult::kSuccess;
  } catch (...) {  // out of memory: the pipeline counts the batch as failed
    return ExportResult::kFailure;
  }
}

std::vector<RecordedSpan> RecordingSpanExporter::spans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {spans_.begin(), spans_.end()};
}

std::size_t RecordingSpanExporter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spans_.size();
}

const RecordedSpan* RecordingSpanExporter::find(std::string_view name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const RecordedSpan& span : spans_) {
    if (span.name == name) return &span;
  }
  return nullptr;
}

void RecordingSpanExporter::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  spans_.clear();
}

bool RecordingSpanExporter::wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return exported_.wait_for(lock, timeout, [&] { return spans_.size() >= count; });
}

TracerOptions TraceRecorder::default_options() {
  TracerOptions options;
  options.sampler = always_on_sampler();
  options.resource = Resource({{"service.name", std::string("test-service")}});
  // Spans reach the exporter soon even without a flush, for tests that use wait_for().
  options.batch.schedule_delay = std::chrono::milliseconds(10);
  return options;
}

TraceRecorder::TraceRecorder(TracerOptions options)
    : exporter_(std::make_shared<RecordingSpanExporter>()),
      tracer_(with_exporter(std::move(options), exporter_)) {}

void TraceRecorder::flush() {
  if (!tracer_.force_flush(kFlushTimeout)) {
    throw std::runtime_error("TraceRecorder: the tracer did not export its spans within 5 s");
  }
}

std::vector<RecordedSpan> TraceRecorder::spans() {
  flush();
  return exporter_->spans();
}

const RecordedSpan* TraceRecorder::find(std::string_view name) {
  flush();
  return exporter_->find(name);
}

std::vector<RecordedSpan> TraceRecorder::find_all(std::string_view name) {
  std::vector<RecordedSpan> all = spans();
  std::erase_if(all, [&](const RecordedSpan& span) { return span.name != name; });
  return all;
}

std::vector<RecordedSpan> TraceRecorder::children_of(const SpanData& parent) {
  std::vector<RecordedSpan> all = spans();
  std::erase_if(all, [&](const RecordedSpan& span) {
    return span.trace_id != parent.trace_id || span.parent_span_id != parent.span_id;
  });
  return sorted_by_start(std::move(all));
}

std::vector<RecordedSpan> TraceRecorder::trace(const TraceId& trace_id) {
  std::vector<RecordedSpan> all = spans();
  std::erase_if(all, [&](const RecordedSpan& span) { return span.trace_id != trace_id; });
  return sorted_by_start(std::move(all));
}

void TraceRecorder::clear() {
  flush();
  exporter_->clear();
}

}  // namespace mmf::test
