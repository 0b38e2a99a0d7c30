// The compact form in which a record travels from the logging thread to the writer thread.
//
// The logging thread must not format or allocate much (mmf/log.h promises a few hundred
// nanoseconds), so it writes the record as one contiguous run of bytes: a fixed header, the
// message, then the fields, each value tagged with its type. The current Context is not copied:
// its data is kept alive by one reference (retained at encoding) that the decoder (or
// release_contexts, for records that are dropped) gives back. The writer thread decodes the
// runs into LogRecords for the sinks.
//
// Layout: Header (memcpy'd, no alignment needed), message bytes, then per field: u32 key size,
// key bytes, u8 AttributeType, value (string: u32 size + bytes; bool: u8; int: i64; double:
// f64; arrays: u32 count + the elements in the same encodings).
//
// Thread-safety: pure functions over the buffers given.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mmf/detail/context_data.h"
#include "mmf/log.h"

namespace mmf::detail {

struct RecordHeader {
  std::uint32_t size = 0;  // of the whole encoded record, header included
  LogLevel level = LogLevel::kInfo;
  std::uint32_t line = 0;
  std::uint32_t field_count = 0;
  std::uint32_t message_size = 0;
  std::uint64_t sequence = 0;  // order of making, across both queues
  std::int64_t time_unix_nano = 0;
  const Logger* logger = nullptr;
  const ContextData* context = nullptr;  // retained by the encoder
  const char* file = nullptr;            // SourceLocation's: static storage
  const char* function = nullptr;
};

// Appends the encoding of a record to out. context must have been retained by the caller (or be
// null). May throw std::bad_alloc (out unchanged in size then is not promised).
void encode_record(std::string& out, const RecordHeader& header, std::string_view message,
                   LogFields fields);

// Calls fn(header, record bytes) for each record in buffer, in buffer order.
void for_each_record(std::string_view buffer,
                     const std::function<void(const RecordHeader&, std::string_view)>& fn);

// Fills record from one encoded record (as for_each_record gives it), business fields
// included, and releases its Context reference. May throw std::bad_alloc (the reference is
// released all the same).
void decode_record(const RecordHeader& header, std::string_view bytes, LogRecord& record);

// Releases the Context references of every record in buffer (records that will not be
// decoded: dropped, or discarded debug records).
void release_contexts(std::string_view buffer) noexcept;

}  // namespace mmf::detail
