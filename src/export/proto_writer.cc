#include "export/proto_writer.h"

#include <algorithm>

namespace mmf::detail {

void ProtoWriter::grow(std::size_t n) {
  // Doubling keeps the cost of growth (resize zero-fills the new part) linear in the output.
  constexpr std::size_t kMinCapacity = 1024;
  const std::size_t capacity = std::max({size_ + n, 2 * capacity_, kMinCapacity});
  out_.resize(capacity);
  data_ = out_.data();
  capacity_ = capacity;
}

void ProtoWriter::move_body(const Message& message, std::size_t needed) {
  const std::size_t length = size_ - message.body;
  if (needed > message.slot) reserve(needed - message.slot);
  const std::size_t new_body = message.body - message.slot + needed;
  std::memmove(data_ + new_body, data_ + message.body, length);
  size_ = new_body + length;
}

void ProtoWriter::packed_fixed64(std::uint32_t field, std::span<const std::uint64_t> values) {
  if (values.empty()) return;
  const std::size_t length = values.size() * 8;
  char* at = reserve(kMaxTagSize + kMaxVarintSize + length);
  at = put_varint(at, tag(field, WireType::kLengthDelimited));
  at = put_varint(at, length);
  for (std::uint64_t value : values) at = put_little_endian(at, value, 8);
  commit(at);
}

void ProtoWriter::packed_double(std::uint32_t field, std::span<const double> values) {
  if (values.empty()) return;
  const std::size_t length = values.size() * 8;
  char* at = reserve(kMaxTagSize + kMaxVarintSize + length);
  at = put_varint(at, tag(field, WireType::kLengthDelimited));
  at = put_varint(at, length);
  for (double value : values) at = put_little_endian(at, std::bit_cast<std::uint64_t>(value), 8);
  commit(at);
}

void ProtoWriter::packed_uint64(std::uint32_t field, std::span<const std::uint64_t> values) {
  if (values.empty()) return;
  std::size_t length = 0;
  for (std::uint64_t value : values) length += varint_size(value);
  char* at = reserve(kMaxTagSize + kMaxVarintSize + length);
  at = put_varint(at, tag(field, WireType::kLengthDelimited));
  at = put_varint(at, length);
  for (std::uint64_t value : values) at = put_varint(at, value);
  commit(at);
}

void ProtoWriter::put_repaired_string_field(std::uint32_t field, std::string_view text) {
  const std::size_t size = repaired_utf8_size(text);
  char* at = reserve(kMaxTagSize + kMaxVarintSize + size);
  at = put_varint(at, tag(field, WireType::kLengthDelimited));
  at = put_varint(at, size);
  commit(write_repaired_utf8(text, at));
}

}  // namespace mmf::detail
