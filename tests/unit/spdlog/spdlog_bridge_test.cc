#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <vector>

#include "mmf/context.h"
#include "mmf/log_spdlog.h"
#include "mmf/testing.h"

namespace mmf {
namespace {

struct Bridge {
  Bridge() {
    pipeline = std::make_unique<LoggingPipeline>(
        LoggingOptions{.sinks = {sink}, .level = LogLevel::kTrace});
    spd = std::make_shared<spdlog::logger>("app");
    spd->set_level(spdlog::level::trace);
    route_spdlog_to(*spd, pipeline->logger("app"));
  }
  std::shared_ptr<test::RecordingLogSink> sink = std::make_shared<test::RecordingLogSink>();
  std::unique_ptr<LoggingPipeline> pipeline;
  std::shared_ptr<spdlog::logger> spd;
};

TEST(SpdlogBridge, UnchangedCallSitesGetTheContext) {
  Bridge b;
  int line = 0;
  {
    CorrelationScope scope(
        {.operation_name = "checkout", .correlation_id = "req_12345", .user_id = "user_67890"});
    b.spd->info("order {} placed for {:.2f}", 42, 12.5);
    line = __LINE__ + 1;
    SPDLOG_LOGGER_WARN(b.spd, "stock low: {}", "sku-1");
  }
  ASSERT_TRUE(b.pipeline->flush());
  const auto records = b.sink->records();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].message, "order 42 placed for 12.50");
  EXPECT_EQ(records[0].level, LogLevel::kInfo);
  EXPECT_EQ(records[0].logger, "app");
  EXPECT_EQ(records[0].correlation_id, "req_12345");
  EXPECT_EQ(records[0].user_id, "user_67890");
  EXPECT_EQ(records[0].operation, "checkout");
  EXPECT_EQ(records[1].level, LogLevel::kWarn);
  EXPECT_EQ(records[1].line, static_cast<std::uint32_t>(line));
  EXPECT_TRUE(records[1].file.ends_with("spdlog_bridge_test.cc"));
  // spdlog's own time is kept: within a minute of now.
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LT(std::abs(now - records[0].time_unix_nano), 60'000'000'000LL);
}

TEST(SpdlogBridge, LevelsMapAndBothLoggersLevelsApply) {
  Bridge b;
  b.spd->trace("t");
  b.spd->debug("d");
  b.spd->error("e");
  b.spd->critical("c");
  b.pipeline->set_level("app", LogLevel::kError);  // mmf's level applies too
  b.spd->warn("dropped by mmf's level");
  b.spd->set_level(spdlog::level::critical);
  b.spd->error("dropped by spdlog's level");
  ASSERT_TRUE(b.pipeline->flush());
  std::vector<LogLevel> levels;
  for (const auto& record : b.sink->records()) levels.push_back(record.level);
  EXPECT_EQ(levels, (std::vector<LogLevel>{LogLevel::kTrace, LogLevel::kDebug, LogLevel::kError,
                                           LogLevel::kCritical}));
  EXPECT_EQ(from_spdlog_level(spdlog::level::off), LogLevel::kOff);
}

TEST(SpdlogBridge, FlushReachesThePipeline) {
  Bridge b;
  b.spd->info("before flush");
  b.spd->flush();  // the sink's flush_ waits for the pipeline's writer
  EXPECT_EQ(b.sink->records().size(), 1U);
}

}  // namespace
}  // namespace mmf
