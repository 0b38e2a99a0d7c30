// The cost of recording metrics on the request thread. docs/performance.md lists the targets:
// a bound counter increment <= 2 ns (and two threads on one series >= 1.8x one thread), an
// increment with two label values looked up <= 25 ns, a bound histogram observation <= 5 ns.
#include <benchmark/benchmark.h>

#include "bench/alloc_counter.h"
#include "mmf/metrics.h"

namespace {

using mmf::bench::AllocationMeter;

mmf::MetricRegistry& registry() {
  static mmf::MetricRegistry instance;
  return instance;
}

void BM_Counter_Bound(benchmark::State& state) {
  static const mmf::BoundCounter counter =
      registry().create_counter("bench_bound_total", "Bound counter").bind();
  AllocationMeter meter;
  for (auto _ : state) counter.inc();
  meter.report(state);
}
BENCHMARK(BM_Counter_Bound);
BENCHMARK(BM_Counter_Bound)->Threads(2)->UseRealTime();

void BM_Counter_TwoLabelsLookedUp(benchmark::State& state) {
  static const mmf::Counter counter =
      registry().create_counter("bench_labels_total", "Counter", {"status", "method"});
  counter.inc({{"status", "success"}, {"method", "card"}});
  AllocationMeter meter;
  for (auto _ : state) counter.inc({{"status", "success"}, {"method", "card"}});
  meter.report(state);
}
BENCHMARK(BM_Counter_TwoLabelsLookedUp);
BENCHMARK(BM_Counter_TwoLabelsLookedUp)->Threads(2)->UseRealTime();

void BM_Histogram_Bound(benchmark::State& state) {
  static const mmf::BoundHistogram histogram =
      registry().create_histogram("bench_seconds", "Histogram").bind();
  double value = 0.0001;
  AllocationMeter meter;
  for (auto _ : state) {
    histogram.observe(value);
    value = value < 8 ? value * 1.7 : 0.0001;  // walks through the buckets
  }
  meter.report(state);
}
BENCHMARK(BM_Histogram_Bound);

}  // namespace
