// SpanRecord: the block chain behind a recording span.
#include "trace/span_record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mmf::detail {
namespace {

std::vector<std::pair<std::string, std::string>> entries_of(const SpanRecord& record) {
  std::vector<std::pair<std::string, std::string>> entries;
  EntryReader reader(record);
  Entry entry;
  while (reader.next(entry)) {
    if (entry.kind != EntryKind::kDead) entries.emplace_back(entry.key, entry.value);
  }
  return entries;
}

TEST(SpanRecordTest, ASpanWithoutAttributesHoldsOneBlockOfAtMost200Bytes) {
  SpanRecord* record = SpanRecord::create(nullptr);
  ASSERT_NE(record, nullptr);
  ASSERT_TRUE(record->append(EntryKind::kName, AttributeType::kString, "GET /users/{id}", {}));
  EXPECT_EQ(record->first, record->last);
  EXPECT_EQ(record->first->next, nullptr);
  EXPECT_LE(kBlockSize, 200u);
  SpanRecord::destroy(record);
}

TEST(SpanRecordTest, EntriesThatCrossBlocksReadBackWhole) {
  SpanRecord* record = SpanRecord::create(nullptr);
  ASSERT_NE(record, nullptr);
  std::vector<std::pair<std::string, std::string>> written;
  for (int i = 0; i < 50; ++i) {
    std::string key = "key" + std::to_string(i);
    std::string value(static_cast<std::size_t>((i * 53) % 400), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(record->append(EntryKind::kAttribute, AttributeType::kString, key, {value}));
    written.emplace_back(std::move(key), std::move(value));
  }
  EXPECT_NE(record->first, record->last);
  EXPECT_EQ(entries_of(*record), written);
  SpanRecord::destroy(record);
}

TEST(SpanRecordTest, ARecordNeverGrowsPastItsLimitAndAFailedAppendLeavesNoTrace) {
  SpanRecord* record = SpanRecord::create(nullptr);
  ASSERT_NE(record, nullptr);
  const std::string big(1000, 'x');
  int appended = 0;
  while (record->append(EntryKind::kAttribute, AttributeType::kString, "k", {big})) ++appended;
  EXPECT_EQ(appended, static_cast<int>(SpanRecord::kMaxRecordBytes / (1000 + 9)));
  EXPECT_LE(record->bytes, SpanRecord::kMaxRecordBytes);
  const auto before = entries_of(*record);
  EXPECT_FALSE(record->append(EntryKind::kAttribute, AttributeType::kString, "k", {big}));
  EXPECT_EQ(entries_of(*record), before);
  EXPECT_TRUE(record->append(EntryKind::kAttribute, AttributeType::kString, "small", {"v"}));
  SpanRecord::destroy(record);
}

// Keys and values are copied with overlapping word loads and stores for each range of sizes
// up to 32 bytes; every size on both sides of each range's edges must come back byte for byte.
TEST(SpanRecordTest, KeysAndValuesOfEveryShortLengthReadBackByteForByte) {
  for (std::size_t key_size = 1; key_size <= 40; ++key_size) {
    SpanRecord* record = SpanRecord::create(nullptr);
    ASSERT_NE(record, nullptr);
    std::vector<std::pair<std::string, std::string>> written;
    for (std::size_t value_size = 0; value_size <= 40; ++value_size) {
      std::string key(key_size, 'k');
      for (std::size_t i = 0; i < key_size; ++i)
        key[i] = static_cast<char>('A' + (i + value_size) % 26);
      key[0] = static_cast<char>('a' + value_size % 26);  // a key of its own for each value
      key += std::to_string(value_size);
      std::string value(value_size, ' ');
      for (std::size_t i = 0; i < value_size; ++i) value[i] = static_cast<char>('0' + (i * 7) % 75);
      ASSERT_TRUE(record->set_attribute(key, value, 1000, 1000)) << key_size << "/" << value_size;
      written.emplace_back(std::move(key), std::move(value));
    }
    EXPECT_EQ(entries_of(*record), written) << "key size " << key_size;
    SpanRecord::destroy(record);
  }
  SpanRecord* record = SpanRecord::create(nullptr);
  ASSERT_NE(record, nullptr);
  ASSERT_TRUE(record->set_attribute("flag", true, 10, 10));
  ASSERT_TRUE(record->set_attribute("count", std::int64_t{-1234567890123}, 10, 10));
  ASSERT_TRUE(record->set_attribute("ratio", 0.25, 10, 10));
  EntryReader reader(*record);
  Entry entry;
  ValueScratch scratch;
  std::vector<std::string> decoded;
  while (reader.next(entry)) {
    const AttributeValue value = decode_value(entry, scratch);
    if (value.type() == AttributeType::kBool) decoded.push_back(value.as_bool() ? "true" : "false");
    if (value.type() == AttributeType::kInt) decoded.push_back(std::to_string(value.as_int()));
    if (value.type() == AttributeType::kDouble)
      decoded.push_back(std::to_string(value.as_double()));
  }
  EXPECT_EQ(decoded, (std::vector<std::string>{"true", "-1234567890123", "0.250000"}));
  SpanRecord::destroy(record);
}

// An entry that does not fit in what is left of a block goes whole into a new block when less
// than a quarter of the block is left (so it is written and read in one piece), and continues
// across the two blocks otherwise (so no block is left more than a quarter empty).
TEST(SpanRecordTest, AnEntryStartsANewBlockOnlyWhenLittleOfTheLastIsLeft) {
  const auto fill_leaving = [](SpanRecord& record, std::size_t room) {
    const std::size_t value_size =
        Block::kDataSize - record.last->used - room - sizeof(EntryHeader) - 1;
    ASSERT_TRUE(record.append(EntryKind::kAttribute, AttributeType::kString, "f",
                              {std::string(value_size, 'f')}));
    ASSERT_EQ(Block::kDataSize - record.last->used, room);
  };
  const std::string value(30, 'v');  // an entry of 8 + 1 + 30 bytes

  SpanRecord* little_left = SpanRecord::create(nullptr);
  ASSERT_NE(little_left, nullptr);
  fill_leaving(*little_left, 20);
  ASSERT_TRUE(little_left->append(EntryKind::kAttribute, AttributeType::kString, "k", {value}));
  EXPECT_NE(little_left->first, little_left->last);
  EXPECT_EQ(Block::kDataSize - little_left->first->used, 20u);  // left unused
  EXPECT_EQ(little_left->last->used, sizeof(EntryHeader) + 1 + value.size());
  {
    EntryReader reader(*little_left);
    Entry entry;
    ASSERT_TRUE(reader.next(entry));
    ASSERT_TRUE(reader.next(entry));
    EXPECT_EQ(entry.value, value);
    EXPECT_TRUE(reader.value_is_contiguous());
  }
  SpanRecord::destroy(little_left);

  SpanRecord* room_left = SpanRecord::create(nullptr);
  ASSERT_NE(room_left, nullptr);
  fill_leaving(*room_left, 20);
  ASSERT_TRUE(room_left->append(EntryKind::kAttribute, AttributeType::kString, "k", {value}));
  Block* second = room_left->last;  // the record's first block has no room for a quarter
  fill_leaving(*room_left, Block::kDataSize / 4);
  ASSERT_TRUE(room_left->append(EntryKind::kAttribute, AttributeType::kString, "k",
                                {std::string(Block::kDataSize / 4 + 10, 'v')}));
  EXPECT_EQ(second->used, Block::kDataSize);  // the entry continues in the next block
  EXPECT_NE(room_left->last, second);
  EXPECT_EQ(entries_of(*room_left).back().second, std::string(Block::kDataSize / 4 + 10, 'v'));
  SpanRecord::destroy(room_left);

  // Many entries of mixed sizes: no block but the last is more than a quarter empty.
  SpanRecord* mixed = SpanRecord::create(nullptr);
  ASSERT_NE(mixed, nullptr);
  std::vector<std::pair<std::string, std::string>> written;
  for (int i = 0; i < 300; ++i) {
    std::string key = "key" + std::to_string(i);
    std::string text(static_cast<std::size_t>((i * 37) % 150), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(mixed->append(EntryKind::kAttribute, AttributeType::kString, key, {text}));
    written.emplace_back(std::move(key), std::move(text));
  }
  for (const Block* block = mixed->first; block != mixed->last; block = block->next) {
    EXPECT_GT(block->used, Block::kDataSize - Block::kDataSize / 4);
  }
  EXPECT_EQ(entries_of(*mixed), written);
  SpanRecord::destroy(mixed);
}

}  // namespace
}  // namespace mmf::detail
