#include <gtest/gtest.h>

#include "mmf/batch_options.h"
#include "mmf/span_limits.h"

namespace mmf {
namespace {

TEST(TruncateUtf8, KeepsShortTextAndCutsAtCharacterBoundaries) {
  EXPECT_EQ(truncate_utf8("hello", 10), "hello");
  EXPECT_EQ(truncate_utf8("hello", 5), "hello");
  EXPECT_EQ(truncate_utf8("hello", 3), "hel");
  EXPECT_EQ(truncate_utf8("hello", 0), "");
  const std::string euro =
      "a\xE2\x82\xAC"
      "b";  // a € b: the euro sign is 3 bytes
  EXPECT_EQ(truncate_utf8(euro, 1), "a");
  EXPECT_EQ(truncate_utf8(euro, 2), "a");
  EXPECT_EQ(truncate_utf8(euro, 3), "a");
  EXPECT_EQ(truncate_utf8(euro, 4), "a\xE2\x82\xAC");
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  for (std::size_t n = 0; n < 4; ++n) EXPECT_EQ(truncate_utf8(emoji, n), "") << n;
}

TEST(TruncateUtf8, InvalidBytesCountSingly) {
  // A lone continuation byte, and a lead byte whose character is incomplete.
  EXPECT_EQ(truncate_utf8("ab\x80\x80\x80\x80z", 4), "ab\x80\x80");
  EXPECT_EQ(truncate_utf8("ab\xE2"
                          "cd",
                          3),
            "ab\xE2");
  EXPECT_EQ(truncate_utf8("\xFF\xFF\xFF", 2), "\xFF\xFF");
}

TEST(SpanLimits, DefaultsAreTheSpecifications) {
  const SpanLimits limits;
  EXPECT_EQ(limits.attribute_count, 128u);
  EXPECT_EQ(limits.attribute_value_length, SpanLimits::kUnlimited);
  EXPECT_EQ(limits.event_count, 128u);
  EXPECT_EQ(limits.link_count, 128u);
}

TEST(SpanLimits, FromEnvironmentPrefersTheSpanVariables) {
  ConfigErrors errors;
  const SpanLimits limits =
      span_limits_from_env(environment_from({{"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
                                             {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "20"},
                                             {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"},
                                             {"OTEL_SPAN_EVENT_COUNT_LIMIT", "3"},
                                             {"OTEL_SPAN_LINK_COUNT_LIMIT", "4"},
                                             {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "5"},
                                             {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "6"}}),
                           errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(limits.attribute_count, 20u);
  EXPECT_EQ(limits.attribute_value_length, 64u);
  EXPECT_EQ(limits.event_count, 3u);
  EXPECT_EQ(limits.link_count, 4u);
  EXPECT_EQ(limits.event_attribute_count, 5u);
  EXPECT_EQ(limits.link_attribute_count, 6u);
}

TEST(SpanLimits, BadValuesKeepTheDefaultAndAreReported) {
  ConfigErrors errors;
  const SpanLimits limits =
      span_limits_from_env(environment_from({{"OTEL_SPAN_EVENT_COUNT_LIMIT", "-1"},
                                             {"OTEL_SPAN_LINK_COUNT_LIMIT", "x"}}),
                           errors, {.event_count = 7});
  EXPECT_EQ(limits.event_count, 7u);
  EXPECT_EQ(limits.link_count, 128u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_SPAN_EVENT_COUNT_LIMIT");
}

TEST(BatchOptions, DefaultsAndEnvironment) {
  const BatchOptions defaults;
  EXPECT_EQ(defaults.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(defaults.export_timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(defaults.max_queue_size, 2048u);
  EXPECT_EQ(defaults.max_export_batch_size, 512u);
  ConfigErrors errors;
  const BatchOptions options =
      batch_options_from_env(environment_from({{"OTEL_BSP_SCHEDULE_DELAY", "200"},
                                               {"OTEL_BSP_EXPORT_TIMEOUT", "1000"},
                                               {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                                               {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"}}),
                             errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.schedule_delay, std::chrono::milliseconds(200));
  EXPECT_EQ(options.export_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(options.max_queue_size, 100u);
  EXPECT_EQ(options.max_export_batch_size, 10u);
}

TEST(BatchOptions, BadValuesAreReported) {
  ConfigErrors errors;
  const BatchOptions options = batch_options_from_env(
      environment_from({{"OTEL_BSP_MAX_QUEUE_SIZE", "0"}, {"OTEL_BSP_SCHEDULE_DELAY", "soon"}}),
      errors);
  EXPECT_EQ(options.max_queue_size, 2048u);
  EXPECT_EQ(options.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(errors.size(), 2u);

  ConfigErrors invalid;
  validate({.export_timeout = std::chrono::milliseconds(0),
            .max_queue_size = 10,
            .max_export_batch_size = 20},
           "TracerOptions.batch", invalid);
  ASSERT_EQ(invalid.size(), 2u);
  EXPECT_EQ(invalid[0].source, "TracerOptions.batch.max_export_batch_size");
  EXPECT_EQ(invalid[1].source, "TracerOptions.batch.export_timeout");
  ConfigErrors fine;
  validate(BatchOptions{}, "b", fine);
  EXPECT_TRUE(fine.empty());
}

}  // namespace
}  // namespace mmf
