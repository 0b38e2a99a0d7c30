#include "trace/tracer_core.h"

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "context/access.h"
#include "context/fast_ids.h"
#include "trace/clock.h"

namespace mmf::detail {
namespace {

std::atomic<std::uint64_t> next_core_id{1};

}  // namespace

constinit thread_local FastSlot tls_fast_slot{0, nullptr};

namespace {

// This thread's slot in each pipeline it has ended spans in. The slots are shared with their
// pipelines; a thread that ends hands its slots back for other threads to take over.
struct SlotCache {
  std::vector<std::pair<std::uint64_t, std::shared_ptr<ThreadSlot>>> held;

  ~SlotCache() {
    tls_fast_slot = {0, nullptr};  // a span ended later in this thread's exit takes the slow path
    for (auto& entry : held) entry.second->queue.in_use.store(false, std::memory_order_release);
  }
};
thread_local SlotCache tls_slots;

// No function-local static (its guard costs a call per span): zero-initialisation, which
// happens before any code runs, already makes this a valid empty SpanContext.
const SpanContext g_empty_span_context;
const SpanContext& empty_span_context() noexcept { return g_empty_span_context; }

// Copies that start_span() rarely makes, out of line: inlined, their temporaries (a TraceState
// is 128 bytes) enlarged the stack frame that every span sets up, and they added to its code.
[[gnu::noinline]] void copy_trace_state(TraceState& to, const TraceState& from) noexcept {
  try {
    to = from;
  } catch (...) {  // a list too long to live inline, and no memory for it: propagate none
    to = TraceState();
  }
}
[[gnu::noinline]] void copy_span_context(SpanContext& to, const SpanContext& from) noexcept {
  to.trace_id = from.trace_id;
  to.span_id = from.span_id;
  to.flags = from.flags;
  to.is_remote = from.is_remote;
  copy_trace_state(to.trace_state, from.trace_state);
}

// A new span's flags and tracestate. A new trace ID comes from a random generator: the W3C
// random flag says so. A child keeps what its parent said, and its parent's tracestate unless
// the sampler gave one.
inline void set_flags_and_state(SpanContext& context, const SpanContext& parent_span,
                                bool has_parent, bool sampled,
                                const SamplingResult* sampling) noexcept {
  const std::uint8_t random =
      has_parent ? (parent_span.flags.bits() & TraceFlags::kRandom) : TraceFlags::kRandom;
  context.flags =
      TraceFlags(static_cast<std::uint8_t>(random | (sampled ? TraceFlags::kSampled : 0)));
  if (sampling != nullptr && sampling->trace_state) {
    copy_trace_state(context.trace_state, *sampling->trace_state);
  } else if (has_parent && !parent_span.trace_state.empty()) {
    copy_trace_state(context.trace_state, parent_span.trace_state);  // (a call even when empty)
  }
}

}  // namespace

TracerCore::TracerCore(TracerOptions options)
    : id_(next_core_id.fetch_add(1, std::memory_order_relaxed)),
      options_(std::move(options)),
      custom_ids_(options_.id_generator) {
  if (!options_.sampler) options_.sampler = parent_based_sampler(always_on_sampler());
  options_.batch.max_export_batch_size =
      std::clamp<std::size_t>(options_.batch.max_export_batch_size, 1,
                              std::max<std::size_t>(options_.batch.max_queue_size, 1));
  if (options_.retention.enabled) {
    retention_ = std::make_unique<RetentionTable>(options_.retention.memory_budget_bytes);
  }
  views_.reserve(options_.batch.max_export_batch_size);
  thread_ = std::thread([this] { run(); });
  // Spans may end as soon as this returns. A new thread can take milliseconds to be first
  // scheduled (placed on the busy CPU that created it, it waits for the scheduler's next
  // balancing tick), in which a fast request thread fills its queue and drops; waiting for it
  // here costs the constructor that time once instead. Not forever: nothing may depend on a
  // thread starting while this one holds whatever it holds (a loader lock, say).
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return started_; });
}

TracerCore::~TracerCore() {
  shutdown(options_.batch.export_timeout);
  std::lock_guard<std::mutex> lock(slots_mutex_);
  for (const auto& slot : slots_) slot->pipeline_alive.store(false, std::memory_order_release);
}

std::shared_ptr<ThreadSlot> TracerCore::acquire_slot() {
  std::lock_guard<std::mutex> lock(slots_mutex_);
  for (const auto& slot : slots_) {  // a slot given up by a thread that ended
    bool expected = false;
    if (slot->queue.in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      return slot;
    }
  }
  auto slot = std::make_shared<ThreadSlot>(options_.batch.max_queue_size,
                                           options_.batch.max_export_batch_size);
  slot->queue.in_use.store(true, std::memory_order_relaxed);
  slots_.push_back(slot);
  return slot;
}

ThreadSlot* TracerCore::local_slot_slow() noexcept {
  SlotCache& cache = tls_slots;
  try {
    for (const auto& [core_id, slot] : cache.held) {
      if (core_id == id_) {
        tls_fast_slot = {id_, slot.get()};
        return slot.get();
      }
    }
    // Forget the slots of pipelines that are gone, then join this one.
    std::erase_if(cache.held, [](const auto& entry) {
      return !entry.second->pipeline_alive.load(std::memory_order_acquire);
    });
    std::shared_ptr<ThreadSlot> slot = acquire_slot();
    cache.held.emplace_back(id_, slot);
    tls_fast_slot = {id_, slot.get()};
    return slot.get();
  } catch (...) {  // out of memory
    return nullptr;
  }
}

// Inlined into Tracer::start_span() below, its one caller: an unsampled span costs only a few
// dozen instructions in all, and a second call was a tenth of them.
[[gnu::always_inline]] inline Span TracerCore::start_span(std::string_view name,
                                                          const SpanOptions& options) noexcept {
  const ContextData* parent =
      options.parent ? ContextAccess::data(*options.parent) : detail::tls_current;
  const SpanContext& parent_span = parent != nullptr ? parent->span_context : empty_span_context();
  // The one object returned (NRVO): the IDs and flags are written into its context in place,
  // with no second SpanContext (128 bytes of it a TraceState) built beside it and moved in.
  Span span;
  SpanContext& context = span.context_;
  if (!options_.enabled) [[unlikely]] {
    copy_span_context(context, parent_span);
    return span;
  }
  const bool has_parent = parent_span.is_valid();
  if (custom_ids_ == nullptr) [[likely]] {
    if (has_parent) context.trace_id = parent_span.trace_id;
    new_span_ids(has_parent ? nullptr : &context.trace_id, context.span_id);
  } else {
    custom_span_ids(context, parent_span, has_parent);
  }
  const SamplingParameters parameters{
      parent_span, context.trace_id, name, options.kind,
      std::span<const Attribute>(options.attributes.begin(), options.attributes.size())};
  // Most samplers only decide: then no SamplingResult is built (or destroyed) at all.
  if (options_.sampler->decision_only()) {
    const SamplingDecision decision = options_.sampler->decide(parameters);
    if (decision == SamplingDecision::kDrop && !retention_) {
      // The unsampled span, which most requests make at a low sampling rate: its context only,
      // here, without the call that sets a record up.
      set_flags_and_state(context, parent_span, has_parent, false, nullptr);
      if (ThreadSlot* slot = local_slot()) slot->bump(slot->not_sampled);
      return span;
    }
    begin_span(span, name, options, parent, decision, nullptr);
    return span;
  }
  sample_and_begin_span(span, name, options, parent, parameters);
  return span;
}

}  // namespace mmf::detail

namespace mmf {

Span Tracer::start_span(std::string_view name, const SpanOptions& options) noexcept {
  return core_->start_span(name, options);
}

namespace {
// Constant-initialised: no guard, and the compiler folds its empty fields into the code below.
constinit const SpanOptions kDefaultSpanOptions{};
}  // namespace

Span Tracer::start_span(std::string_view name) noexcept {
  return core_->start_span(name, kDefaultSpanOptions);
}

}  // namespace mmf

namespace mmf::detail {

void TracerCore::custom_span_ids(SpanContext& context, const SpanContext& parent_span,
                                 bool has_parent) noexcept {
  context.trace_id = has_parent ? parent_span.trace_id : custom_ids_->new_trace_id();
  context.span_id = custom_ids_->new_span_id();
}

// Out of line: its SamplingResult (attributes and a tracestate) would otherwise make every
// start_span() set up a frame that large, though most samplers never build one.
void TracerCore::sample_and_begin_span(Span& span, std::string_view name,
                                       const SpanOptions& options, const ContextData* parent,
                                       const SamplingParameters& parameters) noexcept {
  const SamplingResult sampling = options_.sampler->should_sample(parameters);
  begin_span(span, name, options, parent, sampling.decision, &sampling);
}

void TracerCore::begin_span(Span& span, std::string_view name, const SpanOptions& options,
                            const ContextData* parent, SamplingDecision decision,
                            const SamplingResult* sampling) noexcept {
  SpanContext& context = span.context_;
  const SpanContext& parent_span = parent != nullptr ? parent->span_context : empty_span_context();
  const bool has_parent = parent_span.is_valid();
  const bool sampled = decision == SamplingDecision::kRecordAndSample;
  set_flags_and_state(context, parent_span, has_parent, sampled, sampling);

  ThreadSlot* slot = local_slot();
  // Retention records what head sampling did not keep, while its memory budget allows.
  bool retain = false;
  if (!sampled && retention_) {
    retain = retention_->has_room();
    if (!retain && slot != nullptr) slot->bump(slot->dropped_retention_budget);
  }
  if (decision == SamplingDecision::kDrop && !retain) {
    if (slot != nullptr) slot->bump(slot->not_sampled);
    return;  // a non-recording span: its context only
  }
  SpanRecord* record = slot != nullptr ? SpanRecord::create(this) : nullptr;
  if (record == nullptr) {
    if (slot != nullptr) slot->bump(slot->dropped_memory);
    return;
  }
  record->trace_id = context.trace_id;
  record->span_id = context.span_id;
  record->flags = context.flags;
  if (has_parent) {
    record->parent_span_id = parent_span.span_id;
    record->parent_is_remote = parent_span.is_remote;
  }
  record->kind = options.kind;
  record->retained = retain;
  record->local_root = !has_parent || parent_span.is_remote;
  if (retain && record->local_root) retention_->open_root(record->trace_id);
  record->set_start(options.start_time ? ClockReading{to_unix_nanos(*options.start_time), false}
                                       : read_clock());
  fill_record(*record, name, options, parent, sampling);
  if (!context.trace_state.empty()) {
    record->has_trace_state = record->append(EntryKind::kTraceState, AttributeType::kString,
                                             context.trace_state.header(), {});
  }
  slot->bump(slot->started);
  span.record_ = record;
}

void TracerCore::fill_record(SpanRecord& record, std::string_view name, const SpanOptions& options,
                             const ContextData* parent, const SamplingResult* sampling) noexcept {
  const SpanLimits& limits = options_.limits;
  record.append(EntryKind::kName, AttributeType::kString, name, {});
  for (const Attribute& attribute : options.attributes) {
    if (!attribute.key.empty()) {
      record.set_attribute(attribute.key, attribute.value, limits.attribute_count,
                           limits.attribute_value_length);
    }
  }
  if (sampling != nullptr) {
    AttributeScratch scratch;
    for (const KeyValue& attribute : sampling->attributes) {
      record.set_attribute(attribute.key, to_view(attribute.value, scratch), limits.attribute_count,
                           limits.attribute_value_length);
    }
  }
  // The correlation fields of the parent Context, so that a backend finds the request by them.
  if (parent != nullptr) {
    const std::pair<std::string_view, const std::string*> fields[] = {
        {"correlation_id", &parent->correlation_id},
        {"user.id", &parent->user_id},
        {"session.id", &parent->session_id},
        {"mmf.plugin.name", &parent->plugin},
    };
    for (const auto& [key, value] : fields) {
      if (!value->empty()) {
        record.set_attribute(key, std::string_view(*value), limits.attribute_count,
                             limits.attribute_value_length);
      }
    }
  }
  for (const Link& link : options.links) {
    if (record.link_count >= limits.link_count) {
      ++record.dropped_links;
      continue;
    }
    const std::size_t kept = std::min(link.attributes.size(), limits.link_attribute_count);
    const auto dropped = static_cast<std::uint32_t>(link.attributes.size() - kept);
    unsigned char fixed[30];
    std::copy(link.context.trace_id.bytes().begin(), link.context.trace_id.bytes().end(), fixed);
    std::copy(link.context.span_id.bytes().begin(), link.context.span_id.bytes().end(), fixed + 16);
    fixed[24] = link.context.flags.bits();
    fixed[25] = link.context.is_remote ? 1 : 0;
    std::memcpy(fixed + 26, &dropped, 4);
    if (!record.append(EntryKind::kLink, AttributeType::kString, link.context.trace_state.header(),
                       {std::string_view(reinterpret_cast<const char*>(fixed), sizeof fixed)})) {
      ++record.dropped_links;
      continue;
    }
    ++record.link_count;
    for (std::size_t i = 0; i < kept; ++i) {
      record.append_attribute(EntryKind::kLinkAttribute, link.attributes[i].key,
                              link.attributes[i].value, limits.attribute_value_length);
    }
  }
}

void TracerCore::submit(SpanRecord* record) noexcept {
  ThreadSlot* slot = local_slot();
  if (slot == nullptr) {
    SpanRecord::destroy(record);
    return;
  }
  slot->bump(slot->ended);
  if (record->dropped_attributes != 0) count_dropped_attributes(record->dropped_attributes);
  if (stopping_.load(std::memory_order_acquire)) {
    SpanRecord::destroy(record);
    slot->bump(slot->dropped_after_shutdown);
    return;
  }
  if (!record->flags.sampled()) {
    if (record->retained) {
      submit_retained(*slot, record);
    } else {
      SpanRecord::destroy(record);  // recorded only: never exported
    }
    return;
  }
  enqueue(*slot, record);
}

void TracerCore::submit_retained(ThreadSlot& slot, SpanRecord* record) noexcept {
  if (!record->local_root) {
    if (!retention_->hold(record)) slot.bump(slot.retained_discarded);
    return;
  }
  const std::int64_t threshold =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.retention.latency_threshold)
          .count();
  const bool keep = record->status == StatusCode::kError ||
                    record->end_unix_nanos() - record->start_unix_nanos() >= threshold;
  SpanRecord* held = retention_->close_root(record->trace_id);
  if (!keep) {
    std::uint64_t count = 1;
    for (SpanRecord* r = held; r != nullptr; r = r->next_held) ++count;
    slot.bump(slot.retained_discarded, count);
    retention_->release(held);
    SpanRecord::destroy(record);
    return;
  }
  std::uint64_t count = 0;
  for (SpanRecord* next = record; next != nullptr; ++count) {
    SpanRecord* current = next;
    next = current == record ? held : current->next_held;
    enqueue(slot, current);
  }
  slot.bump(slot.retained_exported, count);
}

void TracerCore::enqueue(ThreadSlot& slot, SpanRecord* record) noexcept {
  // A copy goes into the queue; the blocks go back to their pool here, still in this cache.
  unsigned char* copy = slot.queue.reserve(record->serialized_size());
  if (copy == nullptr) {
    SpanRecord::destroy(record);
    slot.bump(slot.dropped_queue_full);
    return;
  }
  record->serialize(copy);
  slot.queue.commit();
  SpanRecord::destroy(record);
  // A queue that holds a batch wakes the exporter early (once: the flag stays set until then).
  if (slot.queue.holds_at_least(options_.batch.max_export_batch_size)) {
    // The span's commit (a store) must be visible before the flag is read, or this thread can
    // read a flag the exporter has just cleared as still set while the exporter, having
    // cleared it, reads the queue without the span: neither wakes anyone and the span waits
    // for the schedule delay (x86 lets a load pass an earlier store). The exporter has the
    // matching fence. holds_at_least() is true at most once a batch, so this is rare.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!wake_.load(std::memory_order_relaxed) && !wake_.exchange(true)) wake_exporter();
  }
}

void TracerCore::wake_exporter() noexcept {
  // Passing through the mutex orders the flag before the exporter's check of it: without it, a
  // flag set between that check and the start of its wait is never seen, the notification
  // finds nobody waiting, and, the flag staying set, no thread notifies again; the exporter
  // then sleeps for the whole schedule delay while every queue fills and drops. The exporter
  // holds the mutex only between its waits, never while it drains or exports.
  { const std::lock_guard<std::mutex> lock(mutex_); }
  wake_cv_.notify_one();
}

void TracerCore::run() noexcept {
  // Named for top -H, perf and gdb (at most 15 characters).
  pthread_setname_np(pthread_self(), "mmf-span-export");
  std::unique_lock<std::mutex> lock(mutex_);
  started_ = true;
  done_cv_.notify_all();
  bool busy = false;  // the last round took at least a full batch: more is likely waiting
  while (true) {
    // Under sustained load the thread goes round again at once instead of sleeping until a
    // queue wakes it: a wake-up takes tens of microseconds, in which a fast request thread can
    // fill its queue and start dropping.
    if (!busy) {
      wake_cv_.wait_for(lock, options_.batch.schedule_delay, [this] {
        return wake_.load() || stopping_.load() || flush_requested_ != flush_done_;
      });
    }
    wake_.store(false);
    // Pairs with the fence in enqueue(): the queues are read after the flag is cleared, so a
    // span committed by a thread that then read the flag as still set is seen by this round.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    const std::uint64_t flush_target = flush_requested_;
    const bool stop = stopping_.load();
    auto deadline = std::chrono::steady_clock::now() + options_.batch.export_timeout;
    if (stop) deadline = std::min(deadline, shutdown_deadline_);
    lock.unlock();
    busy = drain(deadline) >= options_.batch.max_export_batch_size && !stop;
    lock.lock();
    flush_done_ = flush_target;
    done_cv_.notify_all();
    if (stop) break;
  }
  stopped_ = true;
  done_cv_.notify_all();
}

std::size_t TracerCore::drain(std::chrono::steady_clock::time_point deadline) noexcept {
  std::vector<std::shared_ptr<ThreadSlot>> slots;
  try {
    std::lock_guard<std::mutex> lock(slots_mutex_);
    slots = slots_;
  } catch (...) {
    return 0;  // out of memory: try again on the next round
  }
  std::size_t taken = 0;
  const std::size_t batch_size = options_.batch.max_export_batch_size;
  for (const auto& slot : slots) {
    // What is there now; spans that end meanwhile wait for the next round.
    for (std::size_t left = slot->queue.unread(); left > 0; --left) {
      std::size_t size = 0;
      const unsigned char* message = slot->queue.read(size);
      if (message == nullptr) break;
      // The exporter reads the span where it lies in the queue (views_ has room for a batch).
      views_.emplace_back(*reinterpret_cast<const SpanRecord*>(message));
      ++taken;
      if (views_.size() == batch_size) export_batch(slots, deadline);
    }
  }
  if (!views_.empty()) export_batch(slots, deadline);
  return taken;
}

void TracerCore::export_batch(std::span<const std::shared_ptr<ThreadSlot>> slots,
                              std::chrono::steady_clock::time_point deadline) noexcept {
  const std::size_t count = views_.size();
  // The lent spans no longer wait: the threads count them apart from max_queue_size meanwhile.
  for (const auto& slot : slots) slot->queue.publish_read();
  if (options_.exporter) {
    const auto started = std::chrono::steady_clock::now();
    ExportResult result = ExportResult::kFailure;
    try {
      result = options_.exporter->export_spans(
          views_, options_.resource, {options_.scope_name, options_.scope_version}, deadline);
    } catch (...) {
      result = ExportResult::kFailure;
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    export_nanos_.fetch_add(
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()),
        std::memory_order_relaxed);
    export_batches_.fetch_add(1, std::memory_order_relaxed);
    if (result == ExportResult::kSuccess) {
      exported_.fetch_add(count, std::memory_order_relaxed);
    } else {
      export_failures_.fetch_add(1, std::memory_order_relaxed);
      dropped_export_failed_.fetch_add(count, std::memory_order_relaxed);
    }
  }
  views_.clear();
  // The exporter is done with the spans: their room in the queues goes back to the threads.
  for (const auto& slot : slots) slot->queue.release_read();
}

bool TracerCore::force_flush(std::chrono::milliseconds timeout) noexcept {
  // "Went out": a batch the exporter failed to deliver (a collector that never answered before
  // the deadline) is done, but not a success.
  const std::uint64_t failed_before = dropped_export_failed_.load(std::memory_order_relaxed);
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopped_) return false;
  const std::uint64_t target = ++flush_requested_;
  wake_cv_.notify_one();
  return done_cv_.wait_for(lock, timeout, [&] { return flush_done_ >= target || stopped_; }) &&
         flush_done_ >= target &&
         dropped_export_failed_.load(std::memory_order_relaxed) == failed_before;
}

bool TracerCore::shutdown(std::chrono::milliseconds timeout) noexcept {
  const std::uint64_t failed_before = dropped_export_failed_.load(std::memory_order_relaxed);
  bool finished = true;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!thread_.joinable()) return true;
    if (!stopping_.load()) {
      shutdown_deadline_ = std::chrono::steady_clock::now() + timeout;
      stopping_.store(true, std::memory_order_release);
      wake_cv_.notify_one();
    }
    finished = done_cv_.wait_for(lock, timeout, [this] { return stopped_; });
  }
  // Makes an export that hangs return (the exporter's transport cancels), then waits for it.
  if (options_.exporter) options_.exporter->shutdown();
  thread_.join();
  // Like force_flush: spans the exporter failed to deliver in time make it a failure.
  return finished && dropped_export_failed_.load(std::memory_order_relaxed) == failed_before;
}

TracerStats TracerCore::stats() const noexcept {
  TracerStats stats;
  {
    std::lock_guard<std::mutex> lock(slots_mutex_);
    for (const auto& slot : slots_) {
      stats.spans_started += slot->started.load(std::memory_order_relaxed);
      stats.spans_not_sampled += slot->not_sampled.load(std::memory_order_relaxed);
      stats.spans_ended += slot->ended.load(std::memory_order_relaxed);
      stats.dropped_queue_full += slot->dropped_queue_full.load(std::memory_order_relaxed);
      stats.dropped_memory += slot->dropped_memory.load(std::memory_order_relaxed);
      stats.dropped_after_shutdown += slot->dropped_after_shutdown.load(std::memory_order_relaxed);
      stats.retained_exported += slot->retained_exported.load(std::memory_order_relaxed);
      stats.retained_discarded += slot->retained_discarded.load(std::memory_order_relaxed);
      stats.dropped_retention_budget +=
          slot->dropped_retention_budget.load(std::memory_order_relaxed);
      stats.queue_depth += slot->queue.size();
    }
  }
  stats.spans_exported = exported_.load(std::memory_order_relaxed);
  stats.dropped_export_failed = dropped_export_failed_.load(std::memory_order_relaxed);
  stats.export_batches = export_batches_.load(std::memory_order_relaxed);
  stats.export_failures = export_failures_.load(std::memory_order_relaxed);
  stats.export_nanos_total = export_nanos_.load(std::memory_order_relaxed);
  stats.attributes_dropped = attributes_dropped_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace mmf::detail
