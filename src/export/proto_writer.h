// ProtoWriter: writes the protobuf wire format (proto3) straight into a std::string.
//
//   std::string out;
//   ProtoWriter w(out);
//   ProtoWriter::Message kv = w.begin_message(/*field=*/9);
//   w.string_field(1, "http.route");
//   ...
//   w.end_message(kv);
//   w.finish();  // out now holds the encoding
//
// The OTLP encoders use it instead of libprotobuf's generated classes: they read telemetry from
// the pipeline's own views and write bytes directly, with no message objects, no allocation per
// field, and no libprotobuf in the library. Tests decode the output with real libprotobuf.
//
// Fields follow proto3 implicit presence: a scalar field with its default value (0, false, "",
// no bytes) is not written, as libprotobuf would not write it. The oneof_* functions write even
// default values, since for a oneof member (AnyValue's value) the presence is the information.
// Text is written as well-formed UTF-8 (export/utf8.h repairs it), because parsers reject a
// message whose string fields are not.
//
// Nested messages. A length-delimited field's length precedes its body, but the length is known
// only once the body is written. The options were:
//   - two passes (compute every size, then write; libprotobuf's way): here that would walk each
//     span's attributes, events and links twice through the views' callbacks;
//   - a fixed 4- or 5-byte length slot holding a padded, non-minimal varint (Perfetto's way):
//     parsers accept it, but the output grows by up to 4 bytes per message (most messages are
//     a short KeyValue or AnyValue), is no longer byte-identical to libprotobuf's, and
//     protobuf's maintainers call overlong varints data that no encoder should produce;
//   - what this writer does: begin_message() reserves the slot size the caller expects to need
//     (1 byte for an attribute, 2 for a span, 3 for a whole batch) and end_message() moves the
//     body when the length needs another size. The output is the minimal, canonical encoding,
//     byte for byte what libprotobuf writes. With good hints a move is rare, and when one
//     happens it copies bytes just written (still in cache), once per message.
//   Measured with bench/otlp_encode_bench.cc (512 spans of 8 attributes): padded 4-byte slots
//   were no faster, and made the output 14% larger (446 against 390 bytes a span).
//
// Errors: writing may grow out and so throw std::bad_alloc. Lengths are not checked against
// protobuf's 2 GiB message limit; the callers' batches are far smaller.
//
// Thread-safety: a writer is used by one thread; it holds a reference to out.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "export/utf8.h"

namespace mmf::detail {

enum class WireType : std::uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

class ProtoWriter {
 public:
  // A nested message begun and not yet ended.
  struct Message {
    std::size_t body;  // offset of the first byte of the body in out
    std::size_t slot;  // bytes reserved for the length, just before body
  };

  // Appends to out. Until finish(), out may hold scratch bytes beyond what was written.
  explicit ProtoWriter(std::string& out) noexcept
      : out_(out), data_(out.data()), size_(out.size()), capacity_(out.size()) {}
  ProtoWriter(const ProtoWriter&) = delete;
  ProtoWriter& operator=(const ProtoWriter&) = delete;
  ~ProtoWriter() { finish(); }

  // Trims out to what was written. Idempotent; the destructor calls it.
  void finish() noexcept { out_.resize(size_); }

  // Bytes written so far (including what out held before).
  std::size_t size() const noexcept { return size_; }

  static constexpr std::size_t varint_size(std::uint64_t value) noexcept {
    return (static_cast<std::size_t>(std::bit_width(value | 1)) + 6) / 7;
  }

  // Scalar fields, omitted when zero. int64 covers int32 and enum fields too (a negative value
  // takes ten bytes, as protobuf specifies); sint64 is the zigzag encoding of sint32/sint64.
  void uint64_field(std::uint32_t field, std::uint64_t value) {
    if (value != 0) put_varint_field(field, value);
  }
  void int64_field(std::uint32_t field, std::int64_t value) {
    if (value != 0) put_varint_field(field, static_cast<std::uint64_t>(value));
  }
  void sint64_field(std::uint32_t field, std::int64_t value) {
    if (value != 0) put_varint_field(field, zigzag(value));
  }
  void bool_field(std::uint32_t field, bool value) {
    if (value) put_varint_field(field, 1);
  }
  void fixed64_field(std::uint32_t field, std::uint64_t value) {
    if (value != 0) put_fixed_field(field, WireType::kFixed64, value, 8);
  }
  void fixed32_field(std::uint32_t field, std::uint32_t value) {
    if (value != 0) put_fixed_field(field, WireType::kFixed32, value, 4);
  }
  // Omitted for +0.0 only: like libprotobuf, -0.0 is written (its bits are not zero).
  void double_field(std::uint32_t field, double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    if (bits != 0) put_fixed_field(field, WireType::kFixed64, bits, 8);
  }
  void string_field(std::uint32_t field, std::string_view text) {
    if (!text.empty()) put_string_field(field, text);
  }
  void bytes_field(std::uint32_t field, std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) put_bytes_field(field, bytes.data(), bytes.size());
  }

  // Oneof members: written even when zero or empty.
  void oneof_bool(std::uint32_t field, bool value) { put_varint_field(field, value ? 1 : 0); }
  void oneof_int64(std::uint32_t field, std::int64_t value) {
    put_varint_field(field, static_cast<std::uint64_t>(value));
  }
  void oneof_double(std::uint32_t field, double value) {
    put_fixed_field(field, WireType::kFixed64, std::bit_cast<std::uint64_t>(value), 8);
  }
  void oneof_string(std::uint32_t field, std::string_view text) { put_string_field(field, text); }

  // Packed repeated fields (histogram buckets and bounds), omitted when empty.
  void packed_fixed64(std::uint32_t field, std::span<const std::uint64_t> values);
  void packed_double(std::uint32_t field, std::span<const double> values);
  void packed_uint64(std::uint32_t field, std::span<const std::uint64_t> values);

  // A nested message field, written even when its body is empty. expected_length_bytes is the
  // size the body's length is expected to take as a varint (1 below 128 bytes, 2 below 16 KiB,
  // 3 below 2 MiB): a right guess saves a move of the body in end_message().
  [[nodiscard]] Message begin_message(std::uint32_t field, std::size_t expected_length_bytes = 1) {
    char* at = reserve(kMaxTagSize + expected_length_bytes);
    at = put_varint(at, tag(field, WireType::kLengthDelimited));
    size_ = static_cast<std::size_t>(at - data_) + expected_length_bytes;
    return Message{size_, expected_length_bytes};
  }
  void end_message(const Message& message) {
    const std::size_t length = size_ - message.body;
    const std::size_t needed = varint_size(length);
    const std::size_t slot_start = message.body - message.slot;
    if (needed != message.slot) move_body(message, needed);
    put_varint(data_ + slot_start, length);
  }

 private:
  static constexpr std::size_t kMaxTagSize = 5;
  static constexpr std::size_t kMaxVarintSize = 10;

  static constexpr std::uint64_t tag(std::uint32_t field, WireType type) noexcept {
    return (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(type);
  }
  static constexpr std::uint64_t zigzag(std::int64_t value) noexcept {
    return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
  }
  static char* put_varint(char* at, std::uint64_t value) noexcept {
    while (value >= 0x80) {
      *at++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *at++ = static_cast<char>(value);
    return at;
  }
  static char* put_little_endian(char* at, std::uint64_t value, std::size_t size) noexcept {
    if constexpr (std::endian::native == std::endian::big) value = __builtin_bswap64(value);
    // The low `size` bytes of a little-endian value are its first bytes in memory.
    std::memcpy(at, &value, size);
    return at + size;
  }

  // Room for n more bytes at data_ + size_.
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_ + size_;
  }
  void grow(std::size_t n);
  void commit(const char* end) noexcept { size_ = static_cast<std::size_t>(end - data_); }
  void move_body(const Message& message, std::size_t needed);

  void put_varint_field(std::uint32_t field, std::uint64_t value) {
    char* at = reserve(kMaxTagSize + kMaxVarintSize);
    at = put_varint(at, tag(field, WireType::kVarint));
    commit(put_varint(at, value));
  }
  void put_fixed_field(std::uint32_t field, WireType type, std::uint64_t value, std::size_t size) {
    char* at = reserve(kMaxTagSize + 8);
    at = put_varint(at, tag(field, type));
    commit(put_little_endian(at, value, size));
  }
  void put_bytes_field(std::uint32_t field, const void* bytes, std::size_t size) {
    char* at = reserve(kMaxTagSize + kMaxVarintSize + size);
    at = put_varint(at, tag(field, WireType::kLengthDelimited));
    at = put_varint(at, size);
    if (size != 0) std::memcpy(at, bytes, size);
    commit(at + size);
  }
  void put_string_field(std::uint32_t field, std::string_view text) {
    if (is_valid_utf8(text)) {
      put_bytes_field(field, text.data(), text.size());
    } else {
      put_repaired_string_field(field, text);
    }
  }
  void put_repaired_string_field(std::uint32_t field, std::string_view text);

  std::string& out_;
  char* data_;  // out_.data(), valid until the next grow()
  std::size_t size_;
  std::size_t capacity_;  // out_.size(): the bytes usable before growing
};

}  // namespace mmf::detail
