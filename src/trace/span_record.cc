#include "trace/span_record.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>

#include "mmf/span_limits.h"

namespace mmf::detail {
namespace {

// One of 64 bits for a key: its length and first and last eight bytes, mixed. Good enough to
// tell most new keys from the ones already set, and a handful of instructions.
std::uint64_t key_bit(std::string_view key) noexcept {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (key.size() >= 8) {
    std::memcpy(&first, key.data(), 8);
    std::memcpy(&last, key.data() + key.size() - 8, 8);
  } else {
    for (std::size_t i = 0; i < key.size(); ++i) {
      first |= static_cast<std::uint64_t>(static_cast<unsigned char>(key[i])) << (8 * i);
    }
  }
  std::uint64_t hash = (first ^ (key.size() * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
  hash = (hash ^ last ^ (hash >> 31)) * 0x94d049bb133111ebULL;
  return 1ULL << (hash >> 58);
}

// An entry header as one word (the layout of EntryHeader on a little-endian machine), so that it
// is stored with one instruction: building it field by field on the stack and copying it as a
// word would make the copy wait for the separate stores.
std::uint64_t packed_header(EntryKind kind, AttributeType type, std::size_t key_size,
                            std::size_t value_size) noexcept {
  static_assert(std::endian::native == std::endian::little, "EntryHeader is written as a word");
  return static_cast<std::uint64_t>(kind) | static_cast<std::uint64_t>(type) << 8 |
         static_cast<std::uint64_t>(key_size) << 16 | static_cast<std::uint64_t>(value_size) << 32;
}

// memcpy for the short pieces entries are made of (headers, keys, small values), inlined: a
// call to the library's memcpy costs more than the copy itself. Up to 32 bytes are copied as two
// loads and two stores that overlap in the middle (attribute keys such as
// "http.request.method" are 17 to 32 bytes long), never a loop.
inline void copy_bytes(unsigned char* out, const unsigned char* in, std::size_t size) noexcept {
  const auto copy_ends = [&]<class Word>(Word) noexcept {
    Word first;
    Word last;
    std::memcpy(&first, in, sizeof(Word));
    std::memcpy(&last, in + size - sizeof(Word), sizeof(Word));
    std::memcpy(out, &first, sizeof(Word));
    std::memcpy(out + size - sizeof(Word), &last, sizeof(Word));
  };
  struct Bytes16 {
    unsigned char bytes[16];
  };
  if (size > 32) {
    std::memcpy(out, in, size);
  } else if (size > 16) {
    copy_ends(Bytes16{});
  } else if (size >= 8) {
    copy_ends(std::uint64_t{});
  } else if (size >= 4) {
    copy_ends(std::uint32_t{});
  } else if (size >= 2) {
    copy_ends(std::uint16_t{});
  } else if (size == 1) {
    *out = *in;
  }
}

// Appends bytes to a record, block after block, and undoes a partly written entry.
class Writer {
 public:
  explicit Writer(SpanRecord& record) noexcept
      : record_(record),
        mark_last_(record.last),
        mark_used_(record.last->used),
        mark_bytes_(record.bytes) {}

  bool write(const void* data, std::size_t size) noexcept {
    const auto* bytes = static_cast<const unsigned char*>(data);
    while (size > 0) {
      Block* last = record_.last;
      if (last->used == Block::kDataSize) {
        Block* block = BlockPool::local().allocate();
        if (block == nullptr) return false;
        last->next = block;
        record_.last = block;
        last = block;
      }
      const std::size_t chunk = std::min(size, Block::kDataSize - last->used);
      copy_bytes(last->data + last->used, bytes, chunk);
      last->used += static_cast<std::uint32_t>(chunk);
      record_.bytes += static_cast<std::uint32_t>(chunk);
      bytes += chunk;
      size -= chunk;
    }
    return true;
  }
  bool write(std::string_view text) noexcept { return write(text.data(), text.size()); }

  // Forgets everything written since construction.
  void undo() noexcept {
    BlockPool::free_chain(mark_last_->next);
    mark_last_->next = nullptr;
    mark_last_->used = mark_used_;
    record_.last = mark_last_;
    record_.bytes = mark_bytes_;
  }

 private:
  SpanRecord& record_;
  Block* mark_last_;
  std::uint32_t mark_used_;
  std::uint32_t mark_bytes_;
};

// Room for size bytes at the end of the record, claimed, or nullptr. Most entries fit where the
// record ends, and are then written with straight copies and no block walk. An entry that does
// not fit there, when less than a quarter of the block is left, starts a new block instead of
// continuing in one: that costs at most a quarter of a block, and it keeps the entry in one
// piece for the writes here and every read later (an entry cut in two is read through a
// scratch copy). The first attributes of a span usually land exactly there, right after the
// record and its name.
unsigned char* claim_contiguous(SpanRecord& record, std::size_t size) noexcept {
  constexpr std::size_t kMaxTailLeftUnused = Block::kDataSize / 4;
  Block* last = record.last;
  const std::size_t room = Block::kDataSize - last->used;
  if (room < size) {
    if (room >= kMaxTailLeftUnused || size > Block::kDataSize) return nullptr;
    Block* block = BlockPool::local().allocate();
    if (block == nullptr) return nullptr;
    last->next = block;
    record.last = block;
    last = block;
  }
  unsigned char* at = last->data + last->used;
  last->used += static_cast<std::uint32_t>(size);
  record.bytes += static_cast<std::uint32_t>(size);
  return at;
}

// The header, key and value of an entry, into room claimed with claim_contiguous().
[[gnu::always_inline]] inline void put_entry(unsigned char* at, std::uint64_t header,
                                             std::string_view key, const void* value,
                                             std::size_t value_size) noexcept {
  std::memcpy(at, &header, sizeof header);
  copy_bytes(at + sizeof header, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  copy_bytes(at + sizeof header + key.size(), static_cast<const unsigned char*>(value), value_size);
}

// truncate_utf8 with the common case (no limit, or a short value) inline.
std::string_view cut_to(std::string_view text, std::size_t max_length) noexcept {
  return text.size() <= max_length ? text : truncate_utf8(text, max_length);
}

bool fits(const SpanRecord& record, std::size_t key_size, std::size_t value_size) noexcept {
  return key_size <= 0xffff && value_size <= SpanRecord::kMaxRecordBytes &&
         record.bytes + sizeof(EntryHeader) + key_size + value_size <= SpanRecord::kMaxRecordBytes;
}

// Writes value over entry's value when it has exactly the same size. False otherwise.
bool overwrite(const Entry& entry, const AttributeValue& value, std::size_t max_length) noexcept {
  auto* target = const_cast<char*>(entry.value.data());
  switch (value.type()) {
    case AttributeType::kString: {
      const std::string_view text = truncate_utf8(value.as_string(), max_length);
      if (text.size() != entry.value.size()) return false;
      std::memcpy(target, text.data(), text.size());
      return true;
    }
    case AttributeType::kBool:
      *target = value.as_bool() ? 1 : 0;
      return true;
    case AttributeType::kInt: {
      const std::int64_t number = value.as_int();
      std::memcpy(target, &number, 8);
      return true;
    }
    case AttributeType::kDouble: {
      const double number = value.as_double();
      std::memcpy(target, &number, 8);
      return true;
    }
    default:
      return false;  // arrays: appended anew
  }
}

// The rest of append_entry: an entry written block after block. Out of line, to keep the
// usual path short.
[[gnu::noinline]] bool append_entry_across(SpanRecord& record, std::uint64_t header,
                                           std::string_view key, std::string_view value) noexcept {
  Writer writer(record);
  const bool ok = writer.write(&header, sizeof header) && writer.write(key) && writer.write(value);
  if (!ok) writer.undo();
  return ok;
}

// Appends an entry whose value is one piece: where the record ends when it fits (nearly
// always), block after block otherwise.
inline bool append_entry(SpanRecord& record, EntryKind entry_kind, AttributeType type,
                         std::string_view key, std::string_view value) noexcept {
  if (!fits(record, key.size(), value.size())) return false;
  const std::uint64_t header = packed_header(entry_kind, type, key.size(), value.size());
  if (unsigned char* at = claim_contiguous(record, sizeof header + key.size() + value.size())) {
    put_entry(at, header, key, value.data(), value.size());
    return true;
  }
  return append_entry_across(record, header, key, value);
}

// A scalar attribute-like entry (everything but arrays), inline into both callers: the
// attribute writes are most of a server span's cost.
[[gnu::always_inline]] inline bool append_scalar(SpanRecord& record, EntryKind entry_kind,
                                                 std::string_view key, const AttributeValue& value,
                                                 std::size_t max_length) noexcept {
  // A scalar's encoded bytes: a string cut to the length limit, or the value itself.
  unsigned char scalar[8];
  std::string_view encoded;
  switch (value.type()) {
    case AttributeType::kString:
      encoded = cut_to(value.as_string(), max_length);
      break;
    case AttributeType::kBool:
      scalar[0] = value.as_bool() ? 1 : 0;
      encoded = std::string_view(reinterpret_cast<const char*>(scalar), 1);
      break;
    case AttributeType::kInt: {
      const std::int64_t number = value.as_int();
      std::memcpy(scalar, &number, 8);
      encoded = std::string_view(reinterpret_cast<const char*>(scalar), 8);
      break;
    }
    default: {
      const double number = value.as_double();
      std::memcpy(scalar, &number, 8);
      encoded = std::string_view(reinterpret_cast<const char*>(scalar), 8);
      break;
    }
  }
  return append_entry(record, entry_kind, value.type(), key, encoded);
}

// Any attribute-like entry: scalars inline, arrays out of line.
[[gnu::always_inline]] inline bool append_value(SpanRecord& record, EntryKind entry_kind,
                                                std::string_view key, const AttributeValue& value,
                                                std::size_t max_length) noexcept {
  return value.is_array() ? record.append_array(entry_kind, key, value, max_length)
                          : append_scalar(record, entry_kind, key, value, max_length);
}

}  // namespace

SpanRecord* SpanRecord::create(TracerCore* core) noexcept {
  Block* block = BlockPool::local().allocate();
  if (block == nullptr) return nullptr;
  auto* record = new (block->data) SpanRecord();
  record->core = core;
  record->first = block;
  record->last = block;
  block->used = kRecordSize;
  return record;
}

void SpanRecord::destroy(SpanRecord* record) noexcept {
  Block* first = record->first;
  record->~SpanRecord();
  BlockPool::free_chain(first);
}

bool SpanRecord::append(EntryKind entry_kind, AttributeType type, std::string_view key,
                        std::initializer_list<std::string_view> value_parts) noexcept {
  if (value_parts.size() <= 1) {
    return append_entry(*this, entry_kind, type, key,
                        value_parts.size() != 0 ? *value_parts.begin() : std::string_view());
  }
  std::size_t value_size = 0;
  for (std::string_view part : value_parts) value_size += part.size();
  if (!fits(*this, key.size(), value_size)) return false;
  const std::uint64_t header = packed_header(entry_kind, type, key.size(), value_size);
  Writer writer(*this);
  bool ok = writer.write(&header, sizeof header) && writer.write(key);
  for (std::string_view part : value_parts) ok = ok && writer.write(part);
  if (!ok) writer.undo();
  return ok;
}

bool SpanRecord::append_attribute(EntryKind entry_kind, std::string_view key,
                                  const AttributeValue& value, std::size_t max_length) noexcept {
  return append_value(*this, entry_kind, key, value, max_length);
}

bool SpanRecord::append_array(EntryKind entry_kind, std::string_view key,
                              const AttributeValue& value, std::size_t max_length) noexcept {
  std::size_t value_size = 0;
  switch (value.type()) {
    case AttributeType::kStringArray:
      for (std::string_view item : value.as_strings()) {
        value_size += 4 + cut_to(item, max_length).size();
      }
      break;
    case AttributeType::kBoolArray:
      value_size = value.as_bools().size();
      break;
    case AttributeType::kIntArray:
      value_size = 8 * value.as_ints().size();
      break;
    case AttributeType::kDoubleArray:
      value_size = 8 * value.as_doubles().size();
      break;
    default:
      return false;  // not an array
  }
  if (!fits(*this, key.size(), value_size)) return false;
  const std::uint64_t header = packed_header(entry_kind, value.type(), key.size(), value_size);
  Writer writer(*this);
  bool ok = writer.write(&header, sizeof header) && writer.write(key);
  switch (value.type()) {
    case AttributeType::kStringArray:
      for (std::string_view item : value.as_strings()) {
        const std::string_view cut = cut_to(item, max_length);
        const auto size = static_cast<std::uint32_t>(cut.size());
        ok = ok && writer.write(&size, 4) && writer.write(cut);
      }
      break;
    case AttributeType::kBoolArray:
      for (bool flag : value.as_bools()) {
        const unsigned char byte = flag ? 1 : 0;
        ok = ok && writer.write(&byte, 1);
      }
      break;
    case AttributeType::kIntArray:
      ok = ok && writer.write(value.as_ints().data(), value_size);
      break;
    default:  // kDoubleArray
      ok = ok && writer.write(value.as_doubles().data(), value_size);
      break;
  }
  if (!ok) writer.undo();
  return ok;
}

bool SpanRecord::set_attribute(std::string_view key, const AttributeValue& value,
                               std::size_t max_count, std::size_t max_length) noexcept {
  const std::uint64_t bit = key_bit(key);
  if ((key_filter & bit) != 0) {  // maybe set before: find it
    EntryReader reader(*this);
    Entry entry;
    while (reader.next(entry)) {
      if (entry.kind != EntryKind::kAttribute || entry.key != key) continue;
      // A scalar of the same type (or a string of the same length) is overwritten in place.
      if (entry.type == value.type() && reader.value_is_contiguous() &&
          overwrite(entry, value, max_length)) {
        return true;
      }
      *entry.kind_byte = static_cast<unsigned char>(EntryKind::kDead);
      --attribute_count;
      break;
    }
  }
  if (attribute_count >= max_count ||
      !append_value(*this, EntryKind::kAttribute, key, value, max_length)) {
    ++dropped_attributes;
    return false;
  }
  key_filter |= bit;
  ++attribute_count;
  return true;
}

std::size_t SpanRecord::serialized_size() const noexcept { return kRecordSize + bytes; }

void SpanRecord::serialize(unsigned char* out) const noexcept {
  unsigned char* at = out;
  for (const Block* block = first; block != nullptr; block = block->next) {
    std::memcpy(at, block->data, block->used);
    at += block->used;
  }
  // The copy has no blocks of its own, and its size says so. Patched field by field in place:
  // copying the whole header through a local would make the CPU wait on store forwarding.
  static_assert(std::is_standard_layout_v<SpanRecord>);
  const Block* no_block = nullptr;
  const SpanRecord* no_record = nullptr;
  const auto size = static_cast<std::uint32_t>(at - out);
  std::memcpy(out + offsetof(SpanRecord, first), &no_block, sizeof no_block);
  std::memcpy(out + offsetof(SpanRecord, last), &no_block, sizeof no_block);
  std::memcpy(out + offsetof(SpanRecord, next_held), &no_record, sizeof no_record);
  std::memcpy(out + offsetof(SpanRecord, contiguous_size), &size, sizeof size);
}

EntryReader::EntryReader(const SpanRecord& record) noexcept : offset_(kRecordSize) {
  if (record.contiguous_size != 0) {
    block_ = nullptr;
    data_ = reinterpret_cast<const unsigned char*>(&record);
    used_ = record.contiguous_size;
  } else {
    block_ = record.first;
    data_ = block_->data;
    used_ = block_->used;
  }
}

bool EntryReader::next_segment() noexcept {
  if (block_ == nullptr || block_->next == nullptr) return false;
  block_ = block_->next;
  data_ = block_->data;
  used_ = block_->used;
  offset_ = 0;
  return true;
}

bool EntryReader::read(std::size_t size, std::string_view& out, std::string& scratch) {
  if (offset_ == used_ && size > 0 && !next_segment()) return false;
  if (offset_ + size <= used_) {  // the usual case: all in this block
    out = std::string_view(reinterpret_cast<const char*>(data_) + offset_, size);
    offset_ += size;
    contiguous_ = true;
    return true;
  }
  scratch.clear();
  while (size > 0) {
    if (offset_ == used_ && !next_segment()) return false;
    const std::size_t chunk = std::min(size, used_ - offset_);
    scratch.append(reinterpret_cast<const char*>(data_) + offset_, chunk);
    offset_ += chunk;
    size -= chunk;
  }
  out = scratch;
  contiguous_ = false;
  return true;
}

bool EntryReader::next(Entry& entry) {
  if (block_ == nullptr) {
    // A serialized copy (what exporters read): every entry lies in one piece, so the views
    // point straight into it.
    if (used_ - offset_ < sizeof(EntryHeader)) return false;
    const unsigned char* at = data_ + offset_;
    EntryHeader header;
    std::memcpy(&header, at, sizeof header);
    const std::size_t size = sizeof header + header.key_size + header.value_size;
    if (used_ - offset_ < size) return false;
    const auto* text = reinterpret_cast<const char*>(at + sizeof header);
    entry.key = std::string_view(text, header.key_size);
    entry.value = std::string_view(text + header.key_size, header.value_size);
    entry.kind = header.kind;
    entry.type = header.type;
    entry.kind_byte = const_cast<unsigned char*>(at);
    offset_ += size;
    contiguous_ = true;
    return true;
  }
  if (offset_ == used_ && !next_segment()) return false;
  auto* kind_byte = const_cast<unsigned char*>(data_ + offset_);
  std::string_view header_bytes;
  if (!read(sizeof(EntryHeader), header_bytes, header_scratch_)) return false;
  EntryHeader header;
  std::memcpy(&header, header_bytes.data(), sizeof header);
  if (!read(header.key_size, entry.key, key_scratch_) ||
      !read(header.value_size, entry.value, value_scratch_)) {
    return false;
  }
  entry.kind = header.kind;
  entry.type = header.type;
  entry.kind_byte = kind_byte;
  return true;
}

AttributeValue decode_value(const Entry& entry, ValueScratch& scratch) {
  const std::string_view bytes = entry.value;
  switch (entry.type) {
    case AttributeType::kString:
      return bytes;
    case AttributeType::kBool:
      return !bytes.empty() && bytes[0] != 0;
    case AttributeType::kInt: {
      std::int64_t number = 0;
      if (bytes.size() == 8) std::memcpy(&number, bytes.data(), 8);
      return number;
    }
    case AttributeType::kDouble: {
      double number = 0;
      if (bytes.size() == 8) std::memcpy(&number, bytes.data(), 8);
      return number;
    }
    case AttributeType::kStringArray: {
      scratch.strings.clear();
      std::string_view rest = bytes;
      while (rest.size() >= 4) {
        std::uint32_t size = 0;
        std::memcpy(&size, rest.data(), 4);
        rest.remove_prefix(4);
        size = static_cast<std::uint32_t>(std::min<std::size_t>(size, rest.size()));
        scratch.strings.push_back(rest.substr(0, size));
        rest.remove_prefix(size);
      }
      return std::span<const std::string_view>(scratch.strings);
    }
    case AttributeType::kBoolArray: {
      scratch.bools = std::make_unique<bool[]>(bytes.size());
      for (std::size_t i = 0; i < bytes.size(); ++i) scratch.bools[i] = bytes[i] != 0;
      return std::span<const bool>(scratch.bools.get(), bytes.size());
    }
    case AttributeType::kIntArray:
      scratch.ints.resize(bytes.size() / 8);
      std::memcpy(scratch.ints.data(), bytes.data(), scratch.ints.size() * 8);
      return std::span<const std::int64_t>(scratch.ints);
    case AttributeType::kDoubleArray:
      scratch.doubles.resize(bytes.size() / 8);
      std::memcpy(scratch.doubles.data(), bytes.data(), scratch.doubles.size() * 8);
      return std::span<const double>(scratch.doubles);
  }
  return std::string_view();
}

}  // namespace mmf::detail
