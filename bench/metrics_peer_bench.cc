// mmf metrics side by side with prometheus-cpp (Debian's prometheus-cpp-dev, the most used C++
// Prometheus client) in one binary: the same operations, then the ratio for each pair.
//
// Pairs are named BM_<Operation>/mmf and BM_<Operation>/prometheus_cpp; after the run, a line
// per pair gives prometheus-cpp's time divided by ours (above 1: mmf is faster).
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cstdio>
#include <map>
#include <string>

#include "bench/ratio_reporter.h"
#include "mmf/metrics.h"
#include "mmf/metrics_scrape.h"

namespace {

mmf::MetricRegistry& ours() {
  static mmf::MetricRegistry registry;
  return registry;
}
prometheus::Registry& theirs() {
  static prometheus::Registry registry;
  return registry;
}

void BM_CounterIncrement_mmf(benchmark::State& state) {
  static const mmf::BoundCounter counter = ours().create_counter("peer_bound_total", "c").bind();
  for (auto _ : state) counter.inc();
}
void BM_CounterIncrement_prometheus_cpp(benchmark::State& state) {
  static prometheus::Counter& counter =
      prometheus::BuildCounter().Name("peer_bound_total").Help("c").Register(theirs()).Add({});
  for (auto _ : state) counter.Increment();
}
BENCHMARK(BM_CounterIncrement_mmf)->Name("BM_CounterIncrement/mmf");
BENCHMARK(BM_CounterIncrement_prometheus_cpp)->Name("BM_CounterIncrement/prometheus_cpp");
BENCHMARK(BM_CounterIncrement_mmf)
    ->Name("BM_CounterIncrementTwoThreads/mmf")
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_CounterIncrement_prometheus_cpp)
    ->Name("BM_CounterIncrementTwoThreads/prometheus_cpp")
    ->Threads(2)
    ->UseRealTime();

void BM_CounterWithLabels_mmf(benchmark::State& state) {
  static const mmf::Counter counter =
      ours().create_counter("peer_labels_total", "c", {"status", "method"});
  for (auto _ : state) counter.inc({{"status", "success"}, {"method", "card"}});
}
void BM_CounterWithLabels_prometheus_cpp(benchmark::State& state) {
  static prometheus::Family<prometheus::Counter>& family =
      prometheus::BuildCounter().Name("peer_labels_total").Help("c").Register(theirs());
  for (auto _ : state) family.Add({{"status", "success"}, {"method", "card"}}).Increment();
}
BENCHMARK(BM_CounterWithLabels_mmf)->Name("BM_CounterWithLabels/mmf");
BENCHMARK(BM_CounterWithLabels_prometheus_cpp)->Name("BM_CounterWithLabels/prometheus_cpp");

void BM_HistogramObserve_mmf(benchmark::State& state) {
  static const mmf::BoundHistogram histogram = ours().create_histogram("peer_seconds", "h").bind();
  double value = 0.0001;
  for (auto _ : state) {
    histogram.observe(value);
    value = value < 8 ? value * 1.7 : 0.0001;
  }
}
void BM_HistogramObserve_prometheus_cpp(benchmark::State& state) {
  static prometheus::Histogram& histogram =
      prometheus::BuildHistogram()
          .Name("peer_seconds")
          .Help("h")
          .Register(theirs())
          .Add({}, prometheus::Histogram::BucketBoundaries(mmf::default_seconds_buckets()));
  double value = 0.0001;
  for (auto _ : state) {
    histogram.Observe(value);
    value = value < 8 ? value * 1.7 : 0.0001;
  }
}
BENCHMARK(BM_HistogramObserve_mmf)->Name("BM_HistogramObserve/mmf");
BENCHMARK(BM_HistogramObserve_prometheus_cpp)->Name("BM_HistogramObserve/prometheus_cpp");

// Collecting and writing 1,000 counter series (10 metrics x 100 label values) as text.
void BM_Expose1000Series_mmf(benchmark::State& state) {
  mmf::MetricRegistry registry;
  for (int m = 0; m < 10; ++m) {
    mmf::Counter counter =
        registry.create_counter("expose_" + std::to_string(m) + "_total", "Series", {"path"});
    for (int i = 0; i < 100; ++i) counter.inc({{"path", "/p/" + std::to_string(i)}}, i);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        mmf::scrape_metrics(registry, "", "", {.process_metrics = false}).body.size());
  }
}
void BM_Expose1000Series_prometheus_cpp(benchmark::State& state) {
  prometheus::Registry registry;
  for (int m = 0; m < 10; ++m) {
    auto& family = prometheus::BuildCounter()
                       .Name("expose_" + std::to_string(m) + "_total")
                       .Help("Series")
                       .Register(registry);
    for (int i = 0; i < 100; ++i) family.Add({{"path", "/p/" + std::to_string(i)}}).Increment(i);
  }
  const prometheus::TextSerializer serializer;
  for (auto _ : state) benchmark::DoNotOptimize(serializer.Serialize(registry.Collect()).size());
}
BENCHMARK(BM_Expose1000Series_mmf)->Name("BM_Expose1000Series/mmf")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Expose1000Series_prometheus_cpp)
    ->Name("BM_Expose1000Series/prometheus_cpp")
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  mmf::bench::RatioReporter reporter("prometheus_cpp", "prometheus-cpp");
  const int status = mmf::bench::run_side_by_side(argc, argv, reporter);
  return status;
}
