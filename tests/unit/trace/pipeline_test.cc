// The export pipeline: queues, the background thread, flush and shutdown, drops and counts.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mmf/testing.h"
#include "mmf/tracer.h"

namespace mmf {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// An exporter that blocks in export_spans() until released or shut down.
class GateExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanView> spans, const Resource&,
                            const InstrumentationScope&, Clock::time_point) noexcept override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++calls_;
    entered_cv_.notify_all();
    open_cv_.wait(lock, [&] { return open_ || shut_down_; });
    if (shut_down_) return ExportResult::kFailure;
    exported_ += spans.size();
    // Read only now, after the wait: the spans must still be what they were when lent.
    for (const SpanView& span : spans) names_.emplace_back(span.name());
    return ExportResult::kSuccess;
  }
  void shutdown() noexcept override {
    std::lock_guard<std::mutex> lock(mutex_);
    shut_down_ = true;
    open_cv_.notify_all();
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    open_cv_.notify_all();
  }
  void wait_for_call() {
    std::unique_lock<std::mutex> lock(mutex_);
    entered_cv_.wait(lock, [&] { return calls_ > 0; });
  }
  std::size_t exported() {
    std::lock_guard<std::mutex> lock(mutex_);
    return exported_;
  }
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> lock(mutex_);
    return names_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable open_cv_;
  std::condition_variable entered_cv_;
  bool open_ = false;
  bool shut_down_ = false;
  int calls_ = 0;
  std::size_t exported_ = 0;
  std::vector<std::string> names_;
};

TEST(PipelineTest, SpansFromManyThreadsAreAllExportedOnceAndCounted) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  Tracer tracer({.exporter = exporter,
                 .batch = {.schedule_delay = milliseconds(5),
                           .max_queue_size = 1 << 16,
                           .max_export_batch_size = 100}});
  constexpr int kThreads = 4;
  constexpr int kSpansPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&tracer, t] {
      for (int i = 0; i < kSpansPerThread; ++i) {
        Span span = tracer.start_span("work");
        span.set_attribute("thread", t).set_attribute("index", i);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(tracer.force_flush(seconds(30)));
  const std::vector<SpanData> spans = exporter->spans();
  ASSERT_EQ(spans.size(), static_cast<std::size_t>(kThreads * kSpansPerThread));
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (const SpanData& span : spans) {
    seen.emplace(std::get<std::int64_t>(*span.attribute("thread")),
                 std::get<std::int64_t>(*span.attribute("index")));
  }
  EXPECT_EQ(seen.size(), spans.size()) << "no span was exported twice";
  const TracerStats stats = tracer.stats();
  EXPECT_EQ(stats.spans_started, spans.size());
  EXPECT_EQ(stats.spans_ended, spans.size());
  EXPECT_EQ(stats.spans_exported, spans.size());
  EXPECT_EQ(stats.queue_depth, 0u);
  EXPECT_EQ(stats.dropped_queue_full, 0u);
}

TEST(PipelineTest, AFullQueueDropsAndCountsInsteadOfBlocking) {
  auto exporter = std::make_shared<GateExporter>();
  Tracer tracer(
      {.exporter = exporter,
       .batch = {
           .schedule_delay = milliseconds(1), .max_queue_size = 16, .max_export_batch_size = 4}});
  // The first batch goes to the exporter, which holds it: the queue then fills up.
  for (int i = 0; i < 4; ++i) tracer.start_span("first").end();
  exporter->wait_for_call();
  const auto started = Clock::now();
  for (int i = 0; i < 100; ++i) tracer.start_span("more").end();
  EXPECT_LT(Clock::now() - started, seconds(2)) << "ending spans never waits for the exporter";
  const TracerStats stats = tracer.stats();
  EXPECT_EQ(stats.dropped_queue_full, 100u - 16u);
  EXPECT_EQ(stats.spans_ended, 104u);
  exporter->open();
  ASSERT_TRUE(tracer.force_flush(seconds(10)));
  EXPECT_EQ(exporter->exported(), 4u + 16u);
  EXPECT_EQ(tracer.stats().spans_exported, 20u);
}

// While the exporter holds a batch, the thread keeps ending spans: they must not change the
// spans lent to the exporter, and the queue keeps its room for max_queue_size spans waiting.
TEST(PipelineTest, SpansLentToTheExporterAreNotOverwrittenWhileItHoldsThem) {
  auto exporter = std::make_shared<GateExporter>();
  Tracer tracer({.exporter = exporter,
                 .batch = {.schedule_delay = std::chrono::hours(1),
                           .max_queue_size = 8,
                           .max_export_batch_size = 4}});
  for (int i = 0; i < 4; ++i) tracer.start_span("first-" + std::to_string(i)).end();
  exporter->wait_for_call();
  for (int i = 0; i < 9; ++i) tracer.start_span("second-" + std::to_string(i)).end();
  EXPECT_EQ(tracer.stats().dropped_queue_full, 1u) << "8 wait beside the 4 lent, the ninth drops";
  exporter->open();
  ASSERT_TRUE(tracer.force_flush(seconds(10)));
  const std::vector<std::string> names = exporter->names();
  ASSERT_EQ(names.size(), 12u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(names[i], "first-" + std::to_string(i));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(names[4 + i], "second-" + std::to_string(i));
}

// The same for the queue's bytes (64 KiB at least): spans of about 6 KB each, ten of which
// fill it. The exporter reads the spans where they lie in the queue: were the lent spans' bytes
// given back before it is done, the later spans would all fit, wrapping round over them.
TEST(PipelineTest, TheBytesOfLentSpansAreNotReusedWhileTheExporterHoldsThem) {
  auto exporter = std::make_shared<GateExporter>();
  Tracer tracer({.exporter = exporter,
                 .batch = {.schedule_delay = std::chrono::hours(1),
                           .max_queue_size = 64,
                           .max_export_batch_size = 4}});
  const auto name = [](const std::string& prefix, int i) {
    return prefix + std::to_string(i) + std::string(6000, static_cast<char>('a' + i));
  };
  for (int i = 0; i < 4; ++i) tracer.start_span(name("first-", i)).end();
  exporter->wait_for_call();
  for (int i = 0; i < 8; ++i) tracer.start_span(name("second-", i)).end();
  EXPECT_EQ(tracer.stats().dropped_queue_full, 2u) << "six fit beside the four lent";
  exporter->open();
  ASSERT_TRUE(tracer.force_flush(seconds(10)));
  const std::vector<std::string> names = exporter->names();
  ASSERT_EQ(names.size(), 10u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(names[i], name("first-", i));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(names[4 + i], name("second-", i));
}

TEST(PipelineTest, FailedExportsAreCountedAsDrops) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  exporter->set_failing(true);
  Tracer tracer({.exporter = exporter});
  for (int i = 0; i < 3; ++i) tracer.start_span("lost").end();
  // The flush is done (it returns at once), but nothing went out: false.
  const auto started = Clock::now();
  EXPECT_FALSE(tracer.force_flush(seconds(10)));
  EXPECT_LT(Clock::now() - started, seconds(5));
  const TracerStats stats = tracer.stats();
  EXPECT_EQ(stats.dropped_export_failed, 3u);
  EXPECT_EQ(stats.export_failures, 1u);
  EXPECT_EQ(stats.spans_exported, 0u);
  EXPECT_EQ(exporter->size(), 0u);
}

// Each span fills a batch and must wake the export thread, which the schedule delay never
// would. The next span ends the moment the previous one is exported, while the export thread
// goes back to its wait: a wake-up that lands between its check for work and the start of its
// wait must not be lost (it was, within a few thousand spans, before the wake-up passed through
// the thread's mutex; the export then stopped for the whole delay).
TEST(PipelineTest, AWakeUpThatRacesTheExportThreadBackToItsWaitIsNotLost) {
  auto exporter = std::make_shared<test::RecordingSpanExporter>();
  Tracer tracer({.exporter = exporter,
                 .batch = {.schedule_delay = std::chrono::hours(1),
                           .max_queue_size = 16,
                           .max_export_batch_size = 1}});
  constexpr std::size_t kSpans = 20000;
  for (std::size_t i = 1; i <= kSpans; ++i) {
    tracer.start_span("work");  // ends at once
    const Clock::time_point deadline = Clock::now() + seconds(10);
    // Polled, not waited for: the next span must end as soon as this one is out.
    while (exporter->size() < i && Clock::now() < deadline) std::this_thread::yield();
    ASSERT_EQ(exporter->size(), i) << "span " << i << " waits for the schedule delay";
  }
  EXPECT_EQ(tracer.stats().dropped_queue_full, 0u);
}

// How many of this process's threads carry the given name (/proc/self/task/*/comm).
int threads_named(const std::string& name) {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++count;
  }
  return count;
}

// Spans may end as soon as the Tracer exists: its export thread must already be running, not
// merely created (a new thread can wait milliseconds for its first turn on a busy CPU, time in
// which a fast request thread fills its queue).
TEST(PipelineTest, TheExportThreadIsRunningWhenTheTracerIsMadeAndGoneAfterIt) {
  const int before = threads_named("mmf-span-export");
  for (int round = 0; round < 20; ++round) {
    {
      Tracer tracer({.exporter = std::make_shared<InMemorySpanExporter>()});
      ASSERT_EQ(threads_named("mmf-span-export"), before + 1) << "round " << round;
    }
    // Joined, the thread has exited; the kernel drops its /proc entry a moment after it wakes
    // the joiner, so a thread just joined may still be listed: give it that moment.
    const auto give_up = Clock::now() + seconds(2);
    while (threads_named("mmf-span-export") != before && Clock::now() < give_up) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(threads_named("mmf-span-export"), before) << "round " << round;
  }
}

TEST(PipelineTest, ShutdownReturnsInTimeWhenTheExporterHangs) {
  auto exporter = std::make_shared<GateExporter>();
  Tracer tracer({.exporter = exporter});
  tracer.start_span("stuck").end();
  EXPECT_FALSE(tracer.force_flush(milliseconds(200)));
  const auto started = Clock::now();
  tracer.shutdown(milliseconds(300));
  EXPECT_LT(Clock::now() - started, seconds(3));
  EXPECT_TRUE(tracer.shutdown(milliseconds(1))) << "a second shutdown is a no-op";
  tracer.start_span("late").end();
  EXPECT_EQ(tracer.stats().dropped_after_shutdown, 1u);
  EXPECT_FALSE(tracer.force_flush(milliseconds(10)));
}

TEST(PipelineTest, ShutdownExportsWhatIsQueued) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  Tracer tracer({.exporter = exporter, .batch = {.schedule_delay = seconds(60)}});
  for (int i = 0; i < 10; ++i) tracer.start_span("queued").end();
  EXPECT_TRUE(tracer.shutdown(seconds(10)));
  EXPECT_EQ(exporter->size(), 10u);
}

TEST(PipelineTest, SpansOfThreadsThatEndedAreStillExportedAndTheirQueuesReused) {
  auto exporter = std::make_shared<InMemorySpanExporter>();
  Tracer tracer({.exporter = exporter, .batch = {.schedule_delay = seconds(60)}});
  for (int round = 0; round < 20; ++round) {
    std::thread([&tracer] {
      for (int i = 0; i < 10; ++i) tracer.start_span("short-lived thread").end();
    }).join();
  }
  // A span started on one thread and ended on another.
  Span moved = tracer.start_span("moved");
  std::thread([span = std::move(moved)]() mutable { span.end(); }).join();
  ASSERT_TRUE(tracer.force_flush(seconds(10)));
  EXPECT_EQ(exporter->size(), 201u);
  EXPECT_EQ(tracer.stats().spans_exported, 201u);
}

TEST(PipelineTest, WithoutAnExporterSpansAreRecordedAndFreed) {
  Tracer tracer;
  for (int i = 0; i < 1000; ++i) tracer.start_span("nowhere").set_attribute("i", i);
  ASSERT_TRUE(tracer.force_flush(seconds(10)));
  EXPECT_EQ(tracer.stats().spans_ended, 1000u);
  EXPECT_EQ(tracer.stats().spans_exported, 0u);
}

TEST(PipelineTest, WhenSpanMemoryRunsOutSpansStopRecordingAndAreCounted) {
  Tracer tracer;
  std::thread([&tracer] {
    std::vector<Span> open;
    open.reserve(20000);
    for (int i = 0; i < 20000; ++i) open.push_back(tracer.start_span("held open"));
    std::size_t recording = 0;
    for (const Span& span : open) recording += span.is_recording() ? 1 : 0;
    EXPECT_LT(recording, open.size());
    EXPECT_GT(recording, 1000u);
    EXPECT_TRUE(open.back().context().is_valid()) << "a span that is not recorded still has IDs";
  }).join();
  const TracerStats stats = tracer.stats();
  EXPECT_GT(stats.dropped_memory, 0u);
  EXPECT_EQ(stats.spans_started + stats.dropped_memory, 20000u);
}

}  // namespace
}  // namespace mmf
