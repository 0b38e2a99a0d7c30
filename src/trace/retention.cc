#include "trace/retention.h"

#include <cstring>
#include <utility>

namespace mmf::detail {

std::size_t RetentionTable::TraceIdHash::operator()(const TraceId& id) const noexcept {
  std::uint64_t low;
  std::memcpy(&low, id.bytes().data() + 8, sizeof low);  // the random part of the ID
  return static_cast<std::size_t>(low);
}

RetentionTable::~RetentionTable() {
  for (Shard& shard : shards_) {
    for (auto& [trace_id, held] : shard.traces) release(held.head);
  }
}

RetentionTable::Shard& RetentionTable::shard_of(const TraceId& trace_id) noexcept {
  return shards_[TraceIdHash()(trace_id) % kShards];
}

std::size_t RetentionTable::bytes_of(const SpanRecord& record) noexcept {
  std::size_t blocks = 0;
  for (const Block* block = record.first; block != nullptr; block = block->next) ++blocks;
  return blocks * kBlockSize;
}

void RetentionTable::open_root(const TraceId& trace_id) noexcept {
  Shard& shard = shard_of(trace_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  try {
    ++shard.traces[trace_id].open_roots;
  } catch (...) {  // out of memory: the trace's spans will not be held
  }
}

bool RetentionTable::hold(SpanRecord* record) noexcept {
  Shard& shard = shard_of(record->trace_id);
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    const auto found = shard.traces.find(record->trace_id);
    if (found != shard.traces.end()) {
      record->next_held = found->second.head;
      found->second.head = record;
      held_bytes_.fetch_add(bytes_of(*record), std::memory_order_relaxed);
      return true;
    }
  }
  SpanRecord::destroy(record);
  return false;
}

SpanRecord* RetentionTable::close_root(const TraceId& trace_id) noexcept {
  Shard& shard = shard_of(trace_id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  const auto found = shard.traces.find(trace_id);
  if (found == shard.traces.end()) return nullptr;
  SpanRecord* chain = std::exchange(found->second.head, nullptr);
  if (--found->second.open_roots == 0) shard.traces.erase(found);
  for (SpanRecord* record = chain; record != nullptr; record = record->next_held) {
    held_bytes_.fetch_sub(bytes_of(*record), std::memory_order_relaxed);
  }
  return chain;
}

void RetentionTable::release(SpanRecord* chain) noexcept {
  while (chain != nullptr) {
    SpanRecord* next = chain->next_held;
    SpanRecord::destroy(chain);
    chain = next;
  }
}

}  // namespace mmf::detail
