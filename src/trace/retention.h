// Error and slow-request retention: spans that head sampling dropped are still recorded, held
// per local trace, and exported only when the trace's local root span ends with an error or
// above a latency threshold; otherwise they are discarded when the root ends.
//
// A local trace is identified by its trace ID: the spans of one trace in this process, under
// the local root span (one whose parent is remote, or none). Held spans are kept in a table
// split into shards by trace ID, each shard with its own mutex held for a few pointer
// operations only; spans that head sampling kept never come here. The bytes held are bounded by
// a budget: beyond it, new spans of unsampled traces are not recorded at all (and counted).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "mmf/trace_context.h"
#include "trace/span_record.h"

namespace mmf::detail {

class RetentionTable {
 public:
  explicit RetentionTable(std::size_t budget_bytes) : budget_bytes_(budget_bytes) {}
  ~RetentionTable();

  // Whether one more span may be recorded for retention now.
  bool has_room() const noexcept {
    return held_bytes_.load(std::memory_order_relaxed) < budget_bytes_;
  }
  // A local root of trace_id starts: its spans will be held until it ends.
  void open_root(const TraceId& trace_id) noexcept;
  // A span of trace_id (not a local root) ended: held if its root is open, else freed.
  // Returns whether it was held.
  bool hold(SpanRecord* record) noexcept;
  // A local root ended: returns the chain (linked by next_held) of the spans held for its trace,
  // now owned by the caller. The entry goes when the last open root of the trace ends.
  SpanRecord* close_root(const TraceId& trace_id) noexcept;
  // Frees a chain returned by close_root().
  void release(SpanRecord* chain) noexcept;

  std::size_t held_bytes() const noexcept { return held_bytes_.load(std::memory_order_relaxed); }

 private:
  struct Held {
    SpanRecord* head = nullptr;
    std::uint32_t open_roots = 0;
  };
  struct TraceIdHash {
    std::size_t operator()(const TraceId& id) const noexcept;
  };
  struct alignas(64) Shard {
    std::mutex mutex;
    std::unordered_map<TraceId, Held, TraceIdHash> traces;
  };
  static constexpr std::size_t kShards = 32;

  Shard& shard_of(const TraceId& trace_id) noexcept;
  static std::size_t bytes_of(const SpanRecord& record) noexcept;

  const std::size_t budget_bytes_;
  std::atomic<std::size_t> held_bytes_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace mmf::detail
