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

}  // namespace
}  // namespace mmf::detail
