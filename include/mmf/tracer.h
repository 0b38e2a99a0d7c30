// Tracer: starts spans and runs the pipeline that exports them.
//
//   mmf::Tracer tracer({.exporter = std::make_shared<mmf::InMemorySpanExporter>()});
//   {
//     mmf::Span span = tracer.start_span("process_payment", {.kind = mmf::SpanKind::kServer});
//     ...
//   }
//   tracer.force_flush();
//
// The pipeline: a span that ends goes into a bounded queue of the ending thread (no lock, no
// allocation; a full queue drops the span and counts it); a background thread collects up to
// max_export_batch_size spans at a time, every schedule_delay or sooner when a queue fills, and
// hands them to the exporter with export_timeout. Span memory comes from per-thread pools and
// returns to them, so no thread frees memory another thread allocated.
//
// Every span carries the correlation fields of its parent Context as attributes
// (correlation_id, user.id, session.id, mmf.plugin.name when set), so a backend finds a request
// by its correlation ID.
//
// Thread-safety: start_span() may be called from any thread. A Tracer must outlive the spans it
// started. shutdown() and the destructor stop the background thread; spans that end afterwards
// are freed and counted as dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mmf/batch_options.h"
#include "mmf/ids.h"
#include "mmf/resource.h"
#include "mmf/sampler.h"
#include "mmf/span.h"
#include "mmf/span_exporter.h"
#include "mmf/span_limits.h"

namespace mmf {

namespace detail {
class TracerCore;
}  // namespace detail

// Error and slow-request retention. With it on, spans that head sampling dropped are still
// recorded, held per local trace (the spans of one trace under its local root span) within a
// memory budget, and exported when the local root ends with an error status or lasts at least
// latency_threshold; otherwise they are discarded when the root ends. The exported spans keep
// their unsampled trace flags. Spans that head sampling kept are not affected.
struct RetentionOptions {
  bool enabled = false;
  std::chrono::milliseconds latency_threshold{1000};
  std::size_t memory_budget_bytes = 16 * 1024 * 1024;
};

struct TracerOptions {
  // Default: parent-based, sampling every root span.
  std::shared_ptr<Sampler> sampler = nullptr;
  // Null: spans are recorded and counted but not exported anywhere.
  std::shared_ptr<SpanExporter> exporter = nullptr;
  Resource resource{};
  SpanLimits limits{};
  BatchOptions batch{};
  RetentionOptions retention{};
  // The instrumentation scope of the spans.
  std::string scope_name = "mmf-observability";
  std::string scope_version{};
  // Source of trace and span IDs; default_id_generator() when null. Must outlive the Tracer.
  IdGenerator* id_generator = nullptr;
  // False: telemetry is off (OTEL_SDK_DISABLED). start_span() then makes non-recording spans
  // that carry their parent's context on unchanged (no new IDs, no sampler, no counting), so
  // propagation still works and a span costs a few nanoseconds.
  bool enabled = true;
};

// What the pipeline did since the Tracer started. Published on /metrics as mmf_telemetry_*.
struct TracerStats {
  std::uint64_t spans_started = 0;             // recording spans started
  std::uint64_t spans_not_sampled = 0;         // spans the sampler dropped (non-recording)
  std::uint64_t spans_ended = 0;               // recording spans ended
  std::uint64_t spans_exported = 0;            // handed to the exporter, which succeeded
  std::uint64_t dropped_queue_full = 0;        // ended while their thread's queue was full
  std::uint64_t dropped_memory = 0;            // not recorded: span memory budget exhausted
  std::uint64_t dropped_export_failed = 0;     // in batches the exporter failed
  std::uint64_t dropped_after_shutdown = 0;    // ended after shutdown()
  std::uint64_t export_batches = 0;            // export_spans() calls
  std::uint64_t export_failures = 0;           // export_spans() calls that failed
  std::uint64_t attributes_dropped = 0;        // span attributes over the count limit
  std::uint64_t retained_exported = 0;         // unsampled spans exported by error/slow retention
  std::uint64_t retained_discarded = 0;        // unsampled spans retention held, then let go
  std::uint64_t dropped_retention_budget = 0;  // not recorded: retention memory budget full
  std::uint64_t queue_depth = 0;               // in the queues now (waiting or being exported)
  std::uint64_t export_nanos_total = 0;        // time spent in export_spans()
};

class Tracer {
 public:
  explicit Tracer(TracerOptions options = {});
  ~Tracer();  // shutdown(batch.export_timeout)
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // A new span: a child of options.parent (default: the current Context's span), or the root of
  // a new trace. The sampler decides whether it records. noexcept: a span that cannot be
  // recorded (memory budget) is a non-recording span with a valid context.
  Span start_span(std::string_view name, const SpanOptions& options) noexcept;
  // The same with default options (an internal span, a child of the current Context's span):
  // the caller builds and destroys no SpanOptions.
  Span start_span(std::string_view name) noexcept;

  // Exports everything that ended before the call; true when it all went out by the timeout
  // (false too when the exporter failed to deliver a batch meanwhile).
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept;
  // Flushes within timeout, then stops the background thread and the exporter. Idempotent;
  // returns promptly even when the exporter hangs (the batch in flight is abandoned). True when
  // everything queued was delivered in time.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept;

  TracerStats stats() const noexcept;
  const Resource& resource() const noexcept;

 private:
  std::unique_ptr<detail::TracerCore> core_;
};

}  // namespace mmf
