// SpanRecord: a recording span's data, kept in a chain of pool blocks (trace/block_pool.h).
//
// The fixed part (IDs, times, kind, status, counters) sits at the start of the first block.
// Everything of variable size is appended after it as entries: the name, the tracestate, each
// attribute, each event and link with their attributes, the status message. An entry is an
// 8-byte header (kind, value type, key size, value size), the key bytes, then the value bytes;
// an entry may continue in the next block. Setting an attribute again overwrites the value in
// place when it fits and otherwise marks the old entry dead, so memory stays bounded; a record
// never grows past kMaxRecordBytes.
//
// Ownership: the Span owns the record until end(); then the pipeline's queue, then the exporter
// thread, which frees the chain back to the pools.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/span_kind.h"
#include "mmf/trace_context.h"
#include "trace/block_pool.h"
#include "trace/clock.h"

namespace mmf::detail {

class TracerCore;

enum class EntryKind : std::uint8_t {
  kDead,  // an attribute set again since
  kName,  // the latest one is the span's name
  kStatusMessage,
  kTraceState,
  kAttribute,
  kEvent,  // key: name; value: time (8 bytes) then dropped attribute count (4 bytes)
  kEventAttribute,
  kLink,  // key: tracestate; value: trace ID, span ID, flags, remote, dropped count (30 bytes)
  kLinkAttribute,
};

struct EntryHeader {
  EntryKind kind;
  AttributeType type;
  std::uint16_t key_size;
  std::uint32_t value_size;
};
static_assert(sizeof(EntryHeader) == 8);

// One entry as read back. Views point into the blocks, or into the reader's scratch when the
// entry continues in another block.
struct Entry {
  EntryKind kind;
  AttributeType type;
  std::string_view key;
  std::string_view value;
  unsigned char* kind_byte;  // where the kind is stored, to mark the entry dead
};

struct SpanRecord {
  static constexpr std::size_t kMaxRecordBytes = 64 * 1024;

  TracerCore* core = nullptr;
  Block* first = nullptr;           // the block this record sits in
  Block* last = nullptr;            // where entries are appended
  SpanRecord* next_held = nullptr;  // the retention table's list
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;
  // Unix nanoseconds, or TSC readings (start_in_ticks, end_in_ticks): see ClockReading.
  std::int64_t start_time = 0;
  std::int64_t end_time = 0;
  std::uint64_t key_filter = 0;  // one bit per attribute key hash: most new keys skip the scan
  std::uint32_t bytes = 0;       // bytes of entries written
  std::uint32_t attribute_count = 0;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t contiguous_size = 0;  // a serialized copy: its total size; 0 in a live record
  std::uint16_t event_count = 0;
  std::uint16_t dropped_events = 0;
  std::uint16_t link_count = 0;
  std::uint16_t dropped_links = 0;
  TraceFlags flags;
  SpanKind kind = SpanKind::kInternal;
  StatusCode status = StatusCode::kUnset;
  // One byte of flags: the record must leave room in its first block for the first entries.
  bool parent_is_remote : 1 = false;
  bool has_status_message : 1 = false;
  bool has_trace_state : 1 = false;
  bool retained : 1 = false;    // recorded only for error/slow retention (head sampling dropped it)
  bool local_root : 1 = false;  // no parent in this process
  bool renamed : 1 = false;     // update_name() added a later name: the first is not the last
  bool start_in_ticks : 1 = false;
  bool end_in_ticks : 1 = false;

  void set_start(ClockReading start) noexcept {
    start_time = start.value;
    start_in_ticks = start.ticks;
  }
  // The end, never before the start.
  void set_end(ClockReading end) noexcept {
    end_time = end.value;
    end_in_ticks = end.ticks;
    const bool earlier = end_in_ticks == start_in_ticks ? end_time < start_time
                                                        : end_unix_nanos() < start_unix_nanos();
    if (earlier) {
      end_time = start_time;
      end_in_ticks = start_in_ticks;
    }
  }
  std::int64_t start_unix_nanos() const noexcept {
    return unix_nanos_of({start_time, start_in_ticks});
  }
  std::int64_t end_unix_nanos() const noexcept { return unix_nanos_of({end_time, end_in_ticks}); }

  // A new record in a block of this thread's pool; nullptr when the pool is exhausted.
  static SpanRecord* create(TracerCore* core) noexcept;
  // Frees the record's blocks to their pools (any thread).
  static void destroy(SpanRecord* record) noexcept;

  // The size of the serialized copy: the record, then every entry, in one piece.
  std::size_t serialized_size() const noexcept;
  // Writes that copy to out (8-byte aligned, serialized_size() bytes). SpanView and EntryReader
  // read the copy as they read a live record.
  void serialize(unsigned char* out) const noexcept;

  // Appends an entry. The value is written from parts, one after the other. False (and nothing
  // written) when the record is full or no block is left.
  bool append(EntryKind kind, AttributeType type, std::string_view key,
              std::initializer_list<std::string_view> value_parts) noexcept;
  // Appends an attribute-like entry (kAttribute, kEventAttribute, kLinkAttribute) with value
  // strings cut to max_length bytes at a UTF-8 boundary.
  bool append_attribute(EntryKind kind, std::string_view key, const AttributeValue& value,
                        std::size_t max_length) noexcept;
  // append_attribute for the array types, out of the way of the scalars'.
  [[gnu::noinline]] bool append_array(EntryKind kind, std::string_view key,
                                      const AttributeValue& value, std::size_t max_length) noexcept;
  // Sets a span attribute: replaces an earlier value of key, or appends within max_count.
  // Returns false when it was dropped.
  bool set_attribute(std::string_view key, const AttributeValue& value, std::size_t max_count,
                     std::size_t max_length) noexcept;
};
static_assert(sizeof(SpanRecord) <= Block::kDataSize - 48, "leave room for the first entries");
inline constexpr std::size_t kRecordSize = (sizeof(SpanRecord) + 7) / 8 * 8;

// Reads the entries of a record in order.
class EntryReader {
 public:
  explicit EntryReader(const SpanRecord& record) noexcept;
  // The next entry, or false at the end.
  bool next(Entry& entry);
  // Whether the last entry's value lies in one block (so it may be written in place).
  bool value_is_contiguous() const noexcept { return contiguous_; }

 private:
  bool read(std::size_t size, std::string_view& out, std::string& scratch);
  bool next_segment() noexcept;

  const Block* block_;         // the block being read; null for a serialized copy
  const unsigned char* data_;  // the bytes being read: block_->data, or the copy
  std::size_t used_;
  std::size_t offset_;
  bool contiguous_ = true;
  std::string header_scratch_;
  std::string key_scratch_;
  std::string value_scratch_;
};

// Decodes an attribute entry's value. Arrays are copied into scratch (their bytes may be
// unaligned); the result is valid while entry and scratch are.
struct ValueScratch {
  std::vector<std::string_view> strings;
  std::unique_ptr<bool[]> bools;
  std::vector<std::int64_t> ints;
  std::vector<double> doubles;
};
AttributeValue decode_value(const Entry& entry, ValueScratch& scratch);

}  // namespace mmf::detail
