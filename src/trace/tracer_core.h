// The inside of a Tracer: span creation and the export pipeline (see mmf/tracer.h).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "mmf/tracer.h"
#include "trace/retention.h"
#include "trace/span_queue.h"
#include "trace/span_record.h"

namespace mmf::detail {

// What one thread does with one pipeline: its queue of ended spans and its own counters (each
// written by that thread only, read by anyone).
struct ThreadSlot {
  // Room for max_queue spans waiting and the spans of a batch being exported (which stay in the
  // queue until the exporter is done with them), 256 bytes a span on average (at least 64 KiB).
  ThreadSlot(std::size_t max_queue, std::size_t max_batch)
      : queue(max_queue, max_batch,
              std::max<std::size_t>(64 * 1024, (max_queue + max_batch) * 256)) {}

  void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  SpanQueue queue;
  std::atomic<bool> pipeline_alive{true};
  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> not_sampled{0};
  std::atomic<std::uint64_t> ended{0};
  std::atomic<std::uint64_t> dropped_queue_full{0};
  std::atomic<std::uint64_t> dropped_memory{0};
  std::atomic<std::uint64_t> dropped_after_shutdown{0};
  std::atomic<std::uint64_t> retained_exported{0};
  std::atomic<std::uint64_t> retained_discarded{0};
  std::atomic<std::uint64_t> dropped_retention_budget{0};
};

// The last pipeline this thread used and its slot. A constinit, trivially destructible
// thread_local is reached with one TLS-relative load; the cache of all the thread's slots (in
// tracer_core.cc), which has a destructor, is reached through an initialisation guard, so the
// fast path keeps to this one.
struct FastSlot {
  std::uint64_t core_id;  // 0: none
  ThreadSlot* slot;
};
extern constinit thread_local FastSlot tls_fast_slot;

class TracerCore {
 public:
  explicit TracerCore(TracerOptions options);
  ~TracerCore();

  Span start_span(std::string_view name, const SpanOptions& options) noexcept;
  // Takes an ended record (its end time set) into the pipeline.
  void submit(SpanRecord* record) noexcept;

  bool force_flush(std::chrono::milliseconds timeout) noexcept;
  bool shutdown(std::chrono::milliseconds timeout) noexcept;
  TracerStats stats() const noexcept;

  const Resource& resource() const noexcept { return options_.resource; }
  const SpanLimits& limits() const noexcept { return options_.limits; }
  void count_dropped_attributes(std::uint64_t n) noexcept {
    attributes_dropped_.fetch_add(n, std::memory_order_relaxed);
  }

 private:
  // This thread's slot in this pipeline; nullptr when memory ran out. Inline, so that the
  // common case (the thread's last pipeline) costs a compare and no call.
  ThreadSlot* local_slot() noexcept {
    if (tls_fast_slot.core_id == id_) [[likely]]
      return tls_fast_slot.slot;
    return local_slot_slow();
  }
  ThreadSlot* local_slot_slow() noexcept;
  std::shared_ptr<ThreadSlot> acquire_slot();
  void run() noexcept;
  // Exports what every queue holds now, in batches (exporter thread).
  // Returns how many spans it took.
  std::size_t drain(std::chrono::steady_clock::time_point deadline) noexcept;
  // Exports views_, then gives their room in the queues back (exporter thread).
  void export_batch(std::span<const std::shared_ptr<ThreadSlot>> slots,
                    std::chrono::steady_clock::time_point deadline) noexcept;
  // Puts a sampled record in the slot's queue, or drops and counts it.
  void enqueue(ThreadSlot& slot, SpanRecord* record) noexcept;
  // Wakes the export thread for a queue that holds a batch (wake_ already set by the caller).
  void wake_exporter() noexcept;
  // An ended span recorded only for retention.
  void submit_retained(ThreadSlot& slot, SpanRecord* record) noexcept;
  // start_span() after the sampler, on the span start_span() returns (its IDs already set):
  // makes it recording, or leaves it a non-recording handle. sampling is null for a
  // decision-only sampler.
  // The IDs of a new span from the configured IdGenerator (start_span() draws the default
  // generator's inline).
  [[gnu::noinline]] void custom_span_ids(SpanContext& context, const SpanContext& parent_span,
                                         bool has_parent) noexcept;
  // start_span() with a sampler that builds a SamplingResult.
  [[gnu::noinline]] void sample_and_begin_span(Span& span, std::string_view name,
                                               const SpanOptions& options,
                                               const ContextData* parent,
                                               const SamplingParameters& parameters) noexcept;
  void begin_span(Span& span, std::string_view name, const SpanOptions& options,
                  const ContextData* parent, SamplingDecision decision,
                  const SamplingResult* sampling) noexcept;
  void fill_record(SpanRecord& record, std::string_view name, const SpanOptions& options,
                   const ContextData* parent, const SamplingResult* sampling) noexcept;

  const std::uint64_t id_;
  TracerOptions options_;
  IdGenerator* custom_ids_;                    // null: the default generator, through its fast path
  std::unique_ptr<RetentionTable> retention_;  // null when retention is off

  mutable std::mutex slots_mutex_;
  std::vector<std::shared_ptr<ThreadSlot>> slots_;

  // The exporter thread's batch: views of spans that stay in the queues until it is exported.
  std::vector<SpanView> views_;

  // The exporter thread's state.
  std::mutex mutex_;
  std::condition_variable wake_cv_;
  std::condition_variable done_cv_;
  std::atomic<bool> wake_{false};
  std::atomic<bool> stopping_{false};
  bool started_ = false;  // the thread is running (the constructor waits for it)
  bool stopped_ = false;  // the thread has exited
  std::chrono::steady_clock::time_point shutdown_deadline_{};
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  std::thread thread_;

  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> dropped_export_failed_{0};
  std::atomic<std::uint64_t> export_batches_{0};
  std::atomic<std::uint64_t> export_failures_{0};
  std::atomic<std::uint64_t> export_nanos_{0};
  std::atomic<std::uint64_t> attributes_dropped_{0};
};

}  // namespace mmf::detail
