// The cost of tracing on the request thread: starting and ending spans, sampled and not, alone
// and under an active parent, on one and two threads. docs/performance.md lists the targets.
//
// The sampled benchmarks run the real batch path: each ended span goes into the thread's queue
// and the pipeline's background thread takes it and frees it (there is no exporter, so nothing
// is encoded or sent: bench/otlp_encode_bench.cc measures that part). The queue is made large
// enough that nothing is dropped while the export thread gets a core; each benchmark reports
// the share of spans it dropped (counter "dropped", normally 0).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include "bench/alloc_counter.h"
#include "mmf/tracer.h"

namespace {

using mmf::bench::AllocationMeter;

mmf::TracerOptions options(std::shared_ptr<mmf::Sampler> sampler) {
  return {.sampler = std::move(sampler),
          .batch = {.schedule_delay = std::chrono::milliseconds(10),
                    .max_queue_size = 1 << 16,
                    .max_export_batch_size = 4096}};
}

mmf::Tracer& sampled_tracer() {
  static mmf::Tracer tracer(options(mmf::always_on_sampler()));
  return tracer;
}

mmf::Tracer& unsampled_tracer() {
  static mmf::Tracer tracer(options(mmf::always_off_sampler()));
  return tracer;
}

// Spans dropped because a queue was full, counted from the start of one benchmark run: a
// dropped span costs less than one that reaches the queue, so a run that drops is reported
// with the share it dropped (the "dropped" counter) instead of a figure that looks better than
// the batch path. It happens when the request threads leave the export thread no CPU (two
// benchmark threads on a two-core machine).
class DropMeter {
 public:
  explicit DropMeter(const mmf::Tracer& tracer)
      : tracer_(tracer), at_start_(tracer.stats().dropped_queue_full) {}
  void report(benchmark::State& state) const {
    if (state.thread_index() != 0) return;
    const auto dropped = static_cast<double>(tracer_.stats().dropped_queue_full - at_start_);
    state.counters["dropped"] =
        benchmark::Counter(dropped / static_cast<double>(state.iterations() * state.threads()));
  }

 private:
  const mmf::Tracer& tracer_;
  std::uint64_t at_start_;
};

// The headline: a sampled span with three string attributes, started and ended.
void BM_Span_Sampled_3Attributes(benchmark::State& state) {
  mmf::Tracer& tracer = sampled_tracer();
  const DropMeter drops(tracer);
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("GET /users/{id}");
    span.set_attribute("http.request.method", "GET");
    span.set_attribute("http.route", "/users/{id}");
    span.set_attribute("user_agent.original", "curl/7.88.1");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
  drops.report(state);
}
BENCHMARK(BM_Span_Sampled_3Attributes);
BENCHMARK(BM_Span_Sampled_3Attributes)->Threads(2)->UseRealTime();

void BM_Span_Sampled_NoAttributes(benchmark::State& state) {
  mmf::Tracer& tracer = sampled_tracer();
  const DropMeter drops(tracer);
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("internal work");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
  drops.report(state);
}
BENCHMARK(BM_Span_Sampled_NoAttributes);

// A span the sampler drops: what most requests pay at a low sample rate.
void BM_Span_Unsampled(benchmark::State& state) {
  mmf::Tracer& tracer = unsampled_tracer();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("GET /users/{id}");
    span.set_attribute("http.request.method", "GET");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
}
BENCHMARK(BM_Span_Unsampled);
BENCHMARK(BM_Span_Unsampled)->Threads(2)->UseRealTime();

// A child span under an active (current) parent, with its correlation fields.
void BM_Span_ChildOfActiveParent(benchmark::State& state) {
  mmf::Tracer& tracer = sampled_tracer();
  const DropMeter drops(tracer);
  mmf::CorrelationScope correlation({.correlation_id = "req_12345", .user_id = "user_67890"});
  mmf::Span parent = tracer.start_span("parent");
  auto scope = parent.activate();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("child");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
  drops.report(state);
}
BENCHMARK(BM_Span_ChildOfActiveParent);

// Making a span current (a new Context with the span's trace context) and restoring.
void BM_Span_Activate(benchmark::State& state) {
  mmf::Tracer& tracer = sampled_tracer();
  mmf::CorrelationScope correlation({.correlation_id = "req_12345", .user_id = "user_67890"});
  mmf::Span span = tracer.start_span("parent");
  AllocationMeter meter;
  for (auto _ : state) {
    auto scope = span.activate();
    benchmark::DoNotOptimize(scope);
  }
  meter.report(state);
}
BENCHMARK(BM_Span_Activate);

// An exporter that keeps up with anything: it counts the spans and returns.
class CountingExporter final : public mmf::SpanExporter {
 public:
  mmf::ExportResult export_spans(std::span<const mmf::SpanView> spans, const mmf::Resource&,
                                 const mmf::InstrumentationScope&,
                                 std::chrono::steady_clock::time_point) noexcept override {
    count.fetch_add(spans.size(), std::memory_order_relaxed);
    return mmf::ExportResult::kSuccess;
  }
  std::atomic<std::uint64_t> count{0};
};

// One million spans (three attributes each) ended as fast as one thread can go, with the
// default batch settings and the export thread running alongside: the time per span on the
// request thread, and how many were dropped because a queue was full (the target is none).
void BM_Pipeline_MillionSpans(benchmark::State& state) {
  constexpr int kSpans = 1'000'000;
  std::uint64_t dropped = 0;
  std::uint64_t exported = 0;
  mmf::BatchOptions batch;
  if (state.range(0) != 0) batch.max_queue_size = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto exporter = std::make_shared<CountingExporter>();
    mmf::Tracer tracer({.exporter = exporter, .batch = batch});
    for (int i = 0; i < kSpans; ++i) {
      mmf::Span span = tracer.start_span("GET /users/{id}");
      span.set_attribute("http.request.method", "GET");
      span.set_attribute("http.route", "/users/{id}");
      span.set_attribute("user_agent.original", "curl/7.88.1");
    }
    state.PauseTiming();
    tracer.force_flush();
    const mmf::TracerStats stats = tracer.stats();
    dropped += stats.dropped_queue_full;
    exported += stats.spans_exported;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kSpans);
  state.counters["dropped"] =
      benchmark::Counter(static_cast<double>(dropped), benchmark::Counter::kAvgIterations);
  state.counters["exported"] =
      benchmark::Counter(static_cast<double>(exported), benchmark::Counter::kAvgIterations);
}
// The default queue (2,048 spans a thread), and larger ones (OTEL_BSP_MAX_QUEUE_SIZE): what a
// queue must hold to ride out the export thread's late turns on a virtual machine.
BENCHMARK(BM_Pipeline_MillionSpans)
    ->ArgName("max_queue_size")
    ->Arg(0)
    ->Arg(8192)
    ->Arg(32768)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
