// The cost of logging on the calling thread, side by side with spdlog (Debian's libspdlog-dev) in
// one binary. docs/performance.md lists the targets: a call at a disabled level <= 2 ns; an
// enabled info record with 3 fields, formatted and queued, <= 250 ns on the calling thread.
//
// mmf: the record is encoded and queued on the calling thread; the pipeline's writer formats it
// as a JSON line (on its own thread) into a sink that discards the bytes, so that the figure is
// the caller's cost while the writer keeps up (the drops counter shows it does).
// spdlog: its async logger (a thread pool of one, 8,192 slots, overrun_oldest: never blocks)
// with the same message formatted by fmt on the calling thread, into a null sink.
//
// Pairs are BM_<Operation>/mmf and BM_<Operation>/spdlog; after the run a line per pair prints
// spdlog's time over ours.
#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>
#include <string>

#include "bench/ratio_reporter.h"
#include "log/log_format.h"
#include "mmf/context.h"
#include "mmf/log.h"

namespace {

// Formats every record as the JSON sink would, then discards the bytes.
class DiscardingJsonSink final : public mmf::LogSink {
 public:
  void write(std::span<const mmf::LogRecord> records,
             const mmf::Resource& resource) noexcept override {
    buffer_.clear();
    for (const mmf::LogRecord& record : records)
      mmf::detail::format_json_line(record, resource, buffer_);
    benchmark::DoNotOptimize(buffer_.data());
  }

 private:
  std::string buffer_;
};

mmf::LoggingPipeline& pipeline() {
  static mmf::LoggingPipeline instance(
      {.sinks = {std::make_shared<DiscardingJsonSink>()},
       .resource = mmf::Resource({{"service.name", std::string("bench")}}),
       .queue_bytes = 64 << 20});
  return instance;
}

std::shared_ptr<spdlog::logger> spdlog_async() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    spdlog::init_thread_pool(8192, 1);
    auto made = std::make_shared<spdlog::async_logger>(
        "bench", std::make_shared<spdlog::sinks::null_sink_mt>(), spdlog::thread_pool(),
        spdlog::async_overflow_policy::overrun_oldest);
    made->set_pattern(R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","message":"%v"})",
                      spdlog::pattern_time_type::utc);
    made->set_level(spdlog::level::info);
    return made;
  }();
  return logger;
}

void BM_DisabledLevel_mmf(benchmark::State& state) {
  mmf::Logger& logger = pipeline().logger("disabled");
  pipeline().set_level("disabled", mmf::LogLevel::kWarn);
  for (auto _ : state) MMF_LOG(logger, mmf::LogLevel::kInfo, "not written", {{"n", 1}});
}
void BM_DisabledLevel_spdlog(benchmark::State& state) {
  const auto logger = spdlog_async();
  for (auto _ : state) logger->debug("not written {}", 1);
}

void BM_Info3Fields_mmf(benchmark::State& state) {
  mmf::Logger& logger = pipeline().logger("enabled");
  mmf::CorrelationScope request({.correlation_id = "req_12345", .user_id = "user_67890"});
  const std::string id = "res-0042";
  const std::uint64_t dropped_before = pipeline().stats().dropped_queue_full;
  for (auto _ : state) {
    MMF_LOG(logger, mmf::LogLevel::kInfo, "Payment processed",
            {{"amount", 12.5}, {"result_id", id}, {"attempt", 1}});
  }
  pipeline().flush();
  state.counters["dropped"] =
      static_cast<double>(pipeline().stats().dropped_queue_full - dropped_before);
}
void BM_Info3Fields_spdlog(benchmark::State& state) {
  const auto logger = spdlog_async();
  const std::string id = "res-0042";
  for (auto _ : state) {
    logger->info("Payment processed amount={} result_id={} attempt={}", 12.5, id, 1);
  }
}

// Sustained: 8,000 records (under the queue size) and a flush per iteration, so that the figure per
// record is the slower of the two threads (the caller encoding, the writer decoding and formatting
// JSON): the rate the pipeline keeps up with without dropping.
void BM_Info3FieldsSustained_mmf(benchmark::State& state) {
  mmf::Logger& logger = pipeline().logger("sustained");
  mmf::CorrelationScope request({.correlation_id = "req_12345", .user_id = "user_67890"});
  const std::string id = "res-0042";
  const std::uint64_t dropped_before = pipeline().stats().dropped_queue_full;
  for (auto _ : state) {
    for (int i = 0; i < 8000; ++i) {
      MMF_LOG(logger, mmf::LogLevel::kInfo, "Payment processed",
              {{"amount", 12.5}, {"result_id", id}, {"attempt", 1}});
    }
    pipeline().flush();
  }
  state.SetItemsProcessed(state.iterations() * 8000);
  state.counters["dropped"] =
      static_cast<double>(pipeline().stats().dropped_queue_full - dropped_before);
}
BENCHMARK(BM_Info3FieldsSustained_mmf)->Name("BM_Info3FieldsSustained/mmf");

BENCHMARK(BM_DisabledLevel_mmf)->Name("BM_DisabledLevel/mmf");
BENCHMARK(BM_DisabledLevel_spdlog)->Name("BM_DisabledLevel/spdlog");
BENCHMARK(BM_Info3Fields_mmf)->Name("BM_Info3Fields/mmf");
BENCHMARK(BM_Info3Fields_spdlog)->Name("BM_Info3Fields/spdlog");

}  // namespace

int main(int argc, char** argv) {
  mmf::bench::RatioReporter reporter("spdlog", "spdlog");
  const int status = mmf::bench::run_side_by_side(argc, argv, reporter);
  spdlog::shutdown();
  return status;
}
