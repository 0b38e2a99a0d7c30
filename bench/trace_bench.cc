// The cost of tracing on the request thread: starting and ending spans, sampled and not, alone
// and under an active parent, on one and two threads. docs/performance.md lists the targets.
//
// The sampled benchmarks run the real batch path: each ended span goes into the thread's queue
// and the pipeline's background thread takes it and frees it (there is no exporter, so nothing
// is encoded or sent: bench/otlp_*_bench.cc measure that part). The queue is made large enough
// that nothing is dropped at this rate; each benchmark checks that, and fails loudly otherwise.
#include <benchmark/benchmark.h>

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

void check_nothing_dropped(benchmark::State& state, const mmf::Tracer& tracer) {
  const mmf::TracerStats stats = tracer.stats();
  if (stats.dropped_queue_full != 0 || stats.dropped_memory != 0) {
    state.SkipWithError("spans were dropped: the figure would not be the batch path's");
  }
}

// The headline: a sampled span with three string attributes, started and ended.
void BM_Span_Sampled_3Attributes(benchmark::State& state) {
  mmf::Tracer& tracer = sampled_tracer();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("GET /users/{id}");
    span.set_attribute("http.request.method", "GET");
    span.set_attribute("http.route", "/users/{id}");
    span.set_attribute("user_agent.original", "curl/7.88.1");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
  if (state.thread_index() == 0) check_nothing_dropped(state, tracer);
}
BENCHMARK(BM_Span_Sampled_3Attributes);
BENCHMARK(BM_Span_Sampled_3Attributes)->Threads(2)->UseRealTime();

void BM_Span_Sampled_NoAttributes(benchmark::State& state) {
  mmf::Tracer& tracer = sampled_tracer();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("internal work");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
  if (state.thread_index() == 0) check_nothing_dropped(state, tracer);
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
  mmf::CorrelationScope correlation({.correlation_id = "req_12345", .user_id = "user_67890"});
  mmf::Span parent = tracer.start_span("parent");
  auto scope = parent.activate();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = tracer.start_span("child");
    benchmark::DoNotOptimize(span);
  }
  meter.report(state);
  check_nothing_dropped(state, tracer);
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

}  // namespace
