// The cost of writing a /metrics response: 1,000 series in Prometheus text 0.0.4 and in
// OpenMetrics 1.0, the budget being 75 µs per 1,000 series.
//
//   Counters: 10 counter families x 100 label combinations (3 labels: method, route, status),
//             1,000 series, each with a start time (OpenMetrics also writes _created) and every
//             tenth with an exemplar.
//   Mixed:    8 counter families x 100 series, plus 2 histograms x 100 series with the 15
//             OpenTelemetry default buckets (each histogram series is 18 sample lines).
//   Gzip:     gzip of the Mixed OpenMetrics output, what a scrape with Accept-Encoding costs more.
//
// Each iteration writes 1,000 series, so the Time column is the figure to read against the
// budget. Counters: ns/series, bytes/series of output and allocs/op (bench/alloc_counter.h; the
// output string is reused, as a server would). With --benchmark_repetitions, the "min" line is the
// run least disturbed by other work on the machine.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/alloc_counter.h"
#include "metrics/exposition.h"

namespace {

using mmf::bench::AllocationMeter;
using mmf::detail::ExpositionFormat;
using mmf::detail::MetricFamilyData;
using mmf::detail::MetricKind;
using mmf::detail::PointData;

constexpr std::int64_t kStart = 1'700'000'000'123'456'789;

mmf::detail::Exemplar bench_exemplar(double value) {
  return {value, kStart + 5'000'000'000,
          *mmf::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
          *mmf::SpanId::from_hex("00f067aa0ba902b7")};
}

MetricFamilyData family(std::string name, MetricKind kind, std::string help) {
  MetricFamilyData result;
  result.name = std::move(name);
  result.kind = kind;
  result.help = std::move(help);
  result.label_names = {"http_request_method", "http_route", "http_response_status_code"};
  return result;
}

// Label values for series i: 4 methods x 25 routes, with a status that depends on both.
std::vector<std::string> labels(int i) {
  static const char* const kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  return {kMethods[i % 4], "/api/v1/resource" + std::to_string(i / 4) + "/{id}",
          i % 7 == 0 ? "500" : "200"};
}

MetricFamilyData counter(int index) {
  MetricFamilyData result = family("mmf_bench_requests_" + std::to_string(index),
                                   MetricKind::kCounter, "Requests handled by the bench service.");
  for (int i = 0; i < 100; ++i) {
    PointData point;
    point.label_values = labels(i);
    point.value = 1000.0 * i + index;
    point.start_time_unix_nano = kStart;
    if (i % 10 == 0) point.exemplars = {bench_exemplar(1)};
    result.points.push_back(std::move(point));
  }
  return result;
}

MetricFamilyData histogram(int index) {
  MetricFamilyData result = family("mmf_bench_duration_seconds_" + std::to_string(index),
                                   MetricKind::kHistogram, "Request duration.");
  result.bounds = {0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};
  for (int i = 0; i < 100; ++i) {
    PointData point;
    point.label_values = labels(i);
    point.bucket_counts.assign(result.bounds.size() + 1, 0);
    for (std::size_t b = 0; b < point.bucket_counts.size(); ++b) {
      point.bucket_counts[b] = static_cast<std::uint64_t>(i) * b % 97;
      point.count += point.bucket_counts[b];
    }
    point.sum = 12.5 * static_cast<double>(point.count);
    point.start_time_unix_nano = kStart;
    point.exemplars.resize(point.bucket_counts.size());
    point.exemplars[3] = bench_exemplar(20);
    result.points.push_back(std::move(point));
  }
  return result;
}

std::vector<MetricFamilyData> counters_only() {
  std::vector<MetricFamilyData> families;
  for (int f = 0; f < 10; ++f) families.push_back(counter(f));
  return families;
}

std::vector<MetricFamilyData> mixed() {
  std::vector<MetricFamilyData> families;
  for (int f = 0; f < 8; ++f) families.push_back(counter(f));
  for (int f = 0; f < 2; ++f) families.push_back(histogram(f));
  return families;
}

mmf::Resource bench_resource() {
  return mmf::Resource(
      {{"service.name", std::string("payment-service")},
       {"service.version", std::string("1.2.0")},
       {"service.instance.id", std::string("0f8fad5b-d9cb-469f-a165-70867728950e")},
       {"telemetry.sdk.language", std::string("cpp")}});
}

double min_of(const std::vector<double>& values) {
  return *std::min_element(values.begin(), values.end());
}

void run(benchmark::State& state, ExpositionFormat format,
         const std::vector<MetricFamilyData>& families) {
  constexpr double kSeries = 1000;
  const mmf::Resource resource = bench_resource();
  std::string out;
  mmf::detail::write_exposition(format, families, &resource, out);  // warm: out's capacity
  const double bytes = static_cast<double>(out.size());
  AllocationMeter meter;
  for (auto _ : state) {
    out.clear();
    mmf::detail::write_exposition(format, families, &resource, out);
    benchmark::DoNotOptimize(out.data());
  }
  meter.report(state);
  state.counters["ns/series"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kSeries,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes/series"] = bytes / kSeries;
}

void BM_Exposition_Counters_Text(benchmark::State& state) {
  run(state, ExpositionFormat::kPrometheusText, counters_only());
}
BENCHMARK(BM_Exposition_Counters_Text)->ComputeStatistics("min", min_of);

void BM_Exposition_Counters_OpenMetrics(benchmark::State& state) {
  run(state, ExpositionFormat::kOpenMetrics, counters_only());
}
BENCHMARK(BM_Exposition_Counters_OpenMetrics)->ComputeStatistics("min", min_of);

void BM_Exposition_Mixed_Text(benchmark::State& state) {
  run(state, ExpositionFormat::kPrometheusText, mixed());
}
BENCHMARK(BM_Exposition_Mixed_Text)->ComputeStatistics("min", min_of);

void BM_Exposition_Mixed_OpenMetrics(benchmark::State& state) {
  run(state, ExpositionFormat::kOpenMetrics, mixed());
}
BENCHMARK(BM_Exposition_Mixed_OpenMetrics)->ComputeStatistics("min", min_of);

void BM_Exposition_Mixed_OpenMetrics_Gzip(benchmark::State& state) {
  std::string text;
  mmf::detail::write_exposition(ExpositionFormat::kOpenMetrics, mixed(), nullptr, text);
  std::string compressed;
  for (auto _ : state) {
    compressed.clear();
    mmf::detail::gzip(text, compressed);
    benchmark::DoNotOptimize(compressed.data());
  }
  state.counters["ratio"] =
      static_cast<double>(text.size()) / static_cast<double>(compressed.size());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_Exposition_Mixed_OpenMetrics_Gzip)->ComputeStatistics("min", min_of);

}  // namespace
