// The logging pipeline: what a record carries, levels, ordering, bounded queues that never drop
// an error for an info, concurrency, shutdown, and trace-aware debug records.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/log.h"

namespace mmf {
namespace {

// Keeps every record it is given; optionally holds the writer until released.
class CapturingSink final : public LogSink {
 public:
  void write(std::span<const LogRecord> records, const Resource&) noexcept override {
    std::unique_lock lock(mutex_);
    gate_.wait(lock, [&] { return open_; });
    for (const LogRecord& record : records) records_.push_back(record);
    ++batches_;
  }
  void flush() noexcept override {
    std::lock_guard lock(mutex_);
    ++flushes_;
  }
  void close_gate() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open_gate() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    gate_.notify_all();
  }
  std::vector<LogRecord> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const LogRecord& record : records()) out.push_back(record.message);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable gate_;
  bool open_ = true;
  std::vector<LogRecord> records_;
  int batches_ = 0;
  int flushes_ = 0;
};

struct Fixture {
  explicit Fixture(LoggingOptions options = {}) {
    options.sinks = {sink};
    pipeline = std::make_unique<LoggingPipeline>(std::move(options));
  }
  std::shared_ptr<CapturingSink> sink = std::make_shared<CapturingSink>();
  std::unique_ptr<LoggingPipeline> pipeline;
};

TEST(LoggingPipeline, ARecordCarriesTheCallersFieldsAndTheCurrentContext) {
  Fixture f;
  Logger& logger = f.pipeline->logger("payment");
  const SpanContext span{.trace_id = new_trace_id(),
                         .span_id = new_span_id(),
                         .flags = TraceFlags(TraceFlags::kSampled)};
  const std::vector<std::string_view> tags = {"a", "b"};
  int line = 0;
  {
    ContextScope traced(Context::current().with_span_context(span));
    CorrelationScope request({.operation_name = "charge",
                              .correlation_id = "req_12345",
                              .user_id = "user_1",
                              .session_id = "sess_1",
                              .business_context = {{"cart_id", "c-9"}}});
    CorrelationScope inner({.request_id = "r-2", .plugin = "fraud"});
    line = __LINE__ + 1;
    MMF_LOG(logger, LogLevel::kWarn, "Payment processed",
            {{"amount", 12.5},
             {"count", 3},
             {"ok", true},
             {"result_id", "x\n\"y"},
             {"tags", std::span<const std::string_view>(tags)}});
  }
  ASSERT_TRUE(f.pipeline->flush());
  const auto records = f.sink->records();
  ASSERT_EQ(records.size(), 1U);
  const LogRecord& r = records[0];
  EXPECT_EQ(r.level, LogLevel::kWarn);
  EXPECT_EQ(r.logger, "payment");
  EXPECT_EQ(r.message, "Payment processed");
  ASSERT_EQ(r.fields.size(), 5U);
  EXPECT_EQ(r.fields[0].key, "amount");
  EXPECT_EQ(std::get<double>(r.fields[0].value), 12.5);
  EXPECT_EQ(std::get<std::int64_t>(r.fields[1].value), 3);
  EXPECT_EQ(std::get<bool>(r.fields[2].value), true);
  EXPECT_EQ(std::get<std::string>(r.fields[3].value), "x\n\"y");
  EXPECT_EQ(std::get<std::vector<std::string>>(r.fields[4].value),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.trace_id, span.trace_id);
  EXPECT_EQ(r.span_id, span.span_id);
  EXPECT_TRUE(r.trace_flags.sampled());
  EXPECT_EQ(r.correlation_id, "req_12345");
  EXPECT_EQ(r.request_id, "r-2");
  EXPECT_EQ(r.user_id, "user_1");
  EXPECT_EQ(r.session_id, "sess_1");
  EXPECT_EQ(r.operation, "charge");
  EXPECT_EQ(r.plugin, "fraud");
  ASSERT_EQ(r.business.size(), 1U);
  EXPECT_EQ(r.business[0], (std::pair<std::string, std::string>{"cart_id", "c-9"}));
  // The line of the call: GCC gives the line the macro starts on, clang the line it ends on.
  EXPECT_GE(r.line, static_cast<std::uint32_t>(line));
  EXPECT_LE(r.line, static_cast<std::uint32_t>(line + 5));
  EXPECT_TRUE(r.file.ends_with("logging_pipeline_test.cc"));
  EXPECT_GT(r.time_unix_nano, 1'700'000'000'000'000'000);
}

TEST(LoggingPipeline, OutsideAnyScopeTheContextFieldsAreEmpty) {
  Fixture f;
  f.pipeline->logger().log(LogLevel::kInfo, "plain");
  ASSERT_TRUE(f.pipeline->flush());
  const LogRecord r = f.sink->records().at(0);
  EXPECT_FALSE(r.trace_id.is_valid());
  EXPECT_EQ(r.correlation_id, "");
  EXPECT_TRUE(r.fields.empty());
}

TEST(LoggingPipeline, DisabledLevelsCostNothingAndEvaluateNothing) {
  Fixture f({.level = LogLevel::kWarn});
  Logger& logger = f.pipeline->logger();
  int evaluated = 0;
  const auto expensive = [&] {
    ++evaluated;
    return std::string("value");
  };
  MMF_LOG(logger, LogLevel::kInfo, "hidden", {{"v", expensive()}});
  MMF_LOG(logger, LogLevel::kDebug, "hidden");
  MMF_LOG(logger, LogLevel::kError, "shown", {{"v", expensive()}});
  ASSERT_TRUE(f.pipeline->flush());
  EXPECT_EQ(evaluated, 1);
  EXPECT_EQ(f.sink->messages(), (std::vector<std::string>{"shown"}));
  EXPECT_EQ(f.pipeline->stats().records, 1U);
}

TEST(LoggingPipeline, LevelsChangeAtRunTimePerLoggerName) {
  Fixture f;
  Logger& db = f.pipeline->logger("db");
  Logger& http = f.pipeline->logger("http");
  EXPECT_FALSE(db.enabled(LogLevel::kDebug));
  f.pipeline->set_level("db", LogLevel::kDebug);
  EXPECT_TRUE(db.enabled(LogLevel::kDebug));
  EXPECT_FALSE(http.enabled(LogLevel::kDebug));
  f.pipeline->set_default_level(LogLevel::kError);  // db keeps its own level
  EXPECT_TRUE(db.enabled(LogLevel::kDebug));
  EXPECT_FALSE(http.enabled(LogLevel::kWarn));
  EXPECT_FALSE(f.pipeline->logger("new").enabled(LogLevel::kWarn));  // made after: the default
  f.pipeline->set_level("db", LogLevel::kOff);
  EXPECT_FALSE(db.enabled(LogLevel::kCritical));
  EXPECT_EQ(&f.pipeline->logger("db"), &db);  // the same logger for the same name
}

TEST(LoggingPipeline, RecordsOfBothQueuesComeOutInTheOrderTheyWereMade) {
  Fixture f;
  f.sink->close_gate();  // so that both queues fill before the writer takes them
  Logger& logger = f.pipeline->logger();
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    const LogLevel level = i % 3 == 0 ? LogLevel::kError : LogLevel::kInfo;
    logger.log(level, std::to_string(i));
    expected.push_back(std::to_string(i));
  }
  f.sink->open_gate();
  ASSERT_TRUE(f.pipeline->flush());
  EXPECT_EQ(f.sink->messages(), expected);
}

TEST(LoggingPipeline, AFullQueueDropsAndCountsButNeverCostsAnErrorItsPlace) {
  Fixture f({.queue_bytes = 4096, .priority_queue_bytes = 64 << 10});
  f.sink->close_gate();
  Logger& logger = f.pipeline->logger();
  logger.log(LogLevel::kInfo, "first");
  ASSERT_TRUE(f.pipeline->flush(std::chrono::milliseconds(200)) == false);  // writer is held
  for (int i = 0; i < 2000; ++i) logger.log(LogLevel::kInfo, "flood " + std::to_string(i));
  for (int i = 0; i < 20; ++i) logger.log(LogLevel::kError, "error " + std::to_string(i));
  f.sink->open_gate();
  ASSERT_TRUE(f.pipeline->flush());
  const LoggingStats stats = f.pipeline->stats();
  EXPECT_GT(stats.dropped_queue_full, 0U);
  EXPECT_EQ(stats.dropped_priority_queue_full, 0U);
  EXPECT_EQ(stats.records, 2021U);
  EXPECT_EQ(stats.written + stats.dropped_queue_full, stats.records);
  int errors = 0;
  for (const auto& message : f.sink->messages()) errors += message.starts_with("error ") ? 1 : 0;
  EXPECT_EQ(errors, 20);
}

TEST(LoggingPipeline, ConcurrentLoggingLosesNothingButCountedDrops) {
  Fixture f({.queue_bytes = 256 << 10});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CorrelationScope scope({.correlation_id = "thread-" + std::to_string(t)});
      Logger& logger = f.pipeline->logger("t" + std::to_string(t));
      for (int i = 0; i < kPerThread; ++i) {
        logger.log(i % 100 == 0 ? LogLevel::kError : LogLevel::kInfo, "m", {{"i", i}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(f.pipeline->flush(std::chrono::seconds(30)));
  const LoggingStats stats = f.pipeline->stats();
  EXPECT_EQ(stats.records, std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(stats.written + stats.dropped_queue_full + stats.dropped_priority_queue_full,
            stats.records);
  EXPECT_EQ(stats.dropped_priority_queue_full, 0U);
  // Every record kept its own thread's correlation ID, and each thread's records are in order.
  std::vector<int> last(kThreads, -1);
  for (const LogRecord& record : f.sink->records()) {
    const int t = record.logger.back() - '0';
    EXPECT_EQ(record.correlation_id, "thread-" + std::to_string(t));
    const auto i = static_cast<int>(std::get<std::int64_t>(record.fields.at(0).value));
    EXPECT_GT(i, last[t]);
    last[t] = i;
  }
}

TEST(LoggingPipeline, BindCarriesTheContextToAnotherThread) {
  Fixture f;
  Logger& logger = f.pipeline->logger();
  std::function<void()> task;
  {
    CorrelationScope scope({.correlation_id = "handed-off", .user_id = "u-7"});
    task = mmf::bind([&logger] { logger.log(LogLevel::kInfo, "in the pool"); });
  }
  std::thread(task).join();
  ASSERT_TRUE(f.pipeline->flush());
  const LogRecord r = f.sink->records().at(0);
  EXPECT_EQ(r.correlation_id, "handed-off");
  EXPECT_EQ(r.user_id, "u-7");
}

TEST(LoggingPipeline, ShutdownFlushesAndLaterRecordsAreCounted) {
  Fixture f;
  Logger& logger = f.pipeline->logger();
  logger.log(LogLevel::kInfo, "before");
  EXPECT_TRUE(f.pipeline->shutdown());
  EXPECT_FALSE(f.pipeline->shutdown());  // idempotent
  logger.log(LogLevel::kError, "after");
  EXPECT_EQ(f.sink->messages(), (std::vector<std::string>{"before"}));
  EXPECT_EQ(f.pipeline->stats().dropped_after_shutdown, 1U);
  EXPECT_FALSE(f.pipeline->flush(std::chrono::milliseconds(100)));
}

TEST(LoggingPipeline, MakeDefaultRoutesTheMacrosAndDestructionUndoesIt) {
  {
    Fixture f;
    f.pipeline->make_default();
    MMF_LOG_INFO("through the macro", {{"k", "v"}});
    MMF_LOG_DEBUG("below the level");
    ASSERT_TRUE(f.pipeline->flush());
    EXPECT_EQ(f.sink->messages(), (std::vector<std::string>{"through the macro"}));
    EXPECT_EQ(&default_logger(), &f.pipeline->logger());
  }
  EXPECT_EQ(detail::default_logger.load(), nullptr);
}

LoggingOptions trace_aware() { return {.trace_aware_debug = true}; }

TEST(TraceAwareDebug, DebugRecordsOfAFineUnsampledRequestAreDiscarded) {
  Fixture f(trace_aware());
  f.pipeline->set_default_level(LogLevel::kDebug);
  Logger& logger = f.pipeline->logger();
  {
    DebugLogScope request(*f.pipeline);
    logger.log(LogLevel::kDebug, "detail 1");
    logger.log(LogLevel::kInfo, "served");
    logger.log(LogLevel::kDebug, "detail 2");
  }
  ASSERT_TRUE(f.pipeline->flush());
  EXPECT_EQ(f.sink->messages(), (std::vector<std::string>{"served"}));
  const LoggingStats stats = f.pipeline->stats();
  EXPECT_EQ(stats.debug_held, 2U);
  EXPECT_EQ(stats.debug_discarded, 2U);
}

TEST(TraceAwareDebug, AnErrorReleasesTheHeldRecordsInOrder) {
  Fixture f(trace_aware());
  f.pipeline->set_default_level(LogLevel::kDebug);
  Logger& logger = f.pipeline->logger();
  {
    DebugLogScope request(*f.pipeline);
    logger.log(LogLevel::kDebug, "detail 1");
    logger.log(LogLevel::kDebug, "detail 2");
    logger.log(LogLevel::kError, "failed");
  }
  {
    DebugLogScope request(*f.pipeline);
    logger.log(LogLevel::kDebug, "detail 3");
    request.mark_error();
  }
  ASSERT_TRUE(f.pipeline->flush());
  // The held records come out in the order they were made. (The error record may come out
  // before or after them: the writer may take it before the scope ends and releases them.)
  std::vector<std::string> held;
  bool failed_written = false;
  for (const auto& message : f.sink->messages()) {
    if (message == "failed") {
      failed_written = true;
    } else {
      held.push_back(message);
    }
  }
  EXPECT_TRUE(failed_written);
  EXPECT_EQ(held, (std::vector<std::string>{"detail 1", "detail 2", "detail 3"}));
  EXPECT_EQ(f.pipeline->stats().debug_released, 3U);
}

TEST(TraceAwareDebug, SampledTracesAreWrittenAtOnceAndTheBudgetHolds) {
  Fixture f({.trace_aware_debug = true, .debug_scope_bytes = 1024});
  f.pipeline->set_default_level(LogLevel::kDebug);
  Logger& logger = f.pipeline->logger();
  {
    ContextScope sampled(
        Context::current().with_span_context({.trace_id = new_trace_id(),
                                              .span_id = new_span_id(),
                                              .flags = TraceFlags(TraceFlags::kSampled)}));
    DebugLogScope request(*f.pipeline);
    logger.log(LogLevel::kDebug, "sampled detail");
  }
  {
    DebugLogScope request(*f.pipeline);
    for (int i = 0; i < 100; ++i) logger.log(LogLevel::kDebug, "bulky detail " + std::to_string(i));
    request.mark_error();
  }
  ASSERT_TRUE(f.pipeline->flush());
  const auto messages = f.sink->messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages[0], "sampled detail");
  const LoggingStats stats = f.pipeline->stats();
  EXPECT_GT(stats.debug_discarded, 0U);  // over the 1 KiB budget
  EXPECT_EQ(stats.debug_released + stats.debug_discarded, 100U);
  EXPECT_EQ(messages.size(), 1 + stats.debug_released);
}

TEST(TraceAwareDebug, WithoutTheOptionDebugRecordsAreWrittenAsUsual) {
  Fixture f;
  f.pipeline->set_default_level(LogLevel::kDebug);
  {
    DebugLogScope request(*f.pipeline);
    f.pipeline->logger().log(LogLevel::kDebug, "plain debug");
  }
  ASSERT_TRUE(f.pipeline->flush());
  EXPECT_EQ(f.sink->messages(), (std::vector<std::string>{"plain debug"}));
}

TEST(LogLevels, NamesParseAndMapToOtlpSeverities) {
  EXPECT_EQ(log_level_name(LogLevel::kWarn), "warn");
  EXPECT_EQ(parse_log_level("WARNING"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("Fatal"), LogLevel::kCritical);
  EXPECT_EQ(parse_log_level("debug"), LogLevel::kDebug);
  EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
  EXPECT_EQ(parse_log_level(std::string(100, 'x')), std::nullopt);
  EXPECT_EQ(otlp_severity_number(LogLevel::kInfo), 9);
  EXPECT_EQ(otlp_severity_number(LogLevel::kCritical), 21);
}

}  // namespace
}  // namespace mmf
