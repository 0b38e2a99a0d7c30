// What instrumented code costs when telemetry is off (OTEL_SDK_DISABLED=true): the issue's "a
// disabled SDK costs nothing". The same calls as an instrumented request handler makes, through
// a UnifiedObservability made with sdk_disabled: a span with three attributes (not recording:
// the span still carries the trace context on, which is what it costs), a log line with two
// fields (a level check), a counter with labels and a histogram through a Timer (no-op
// instruments; the Timer still reads the clock twice, since stop() returns the duration), and a
// PluginScope (the Context with the plugin; no clocks, no metrics). allocs/op is 0 for all but
// the PluginScope, whose Context is one allocation.
#include <benchmark/benchmark.h>

#include "bench/alloc_counter.h"
#include "mmf/unified.h"

namespace {

using mmf::bench::AllocationMeter;

mmf::UnifiedObservability& disabled() {
  static mmf::UnifiedObservability* observability = [] {
    auto* made = new mmf::UnifiedObservability({.service_name = "bench", .sdk_disabled = true});
    made->initialize();
    return made;
  }();
  return *observability;
}

struct Instruments {
  explicit Instruments(mmf::UnifiedObservability& o)
      : payments(o.create_counter("bench_payments_total", "Payments.", {"status", "method"})),
        duration(o.create_histogram("bench_duration_seconds", "Duration.", {"route"})) {}
  mmf::Counter payments;
  mmf::Histogram duration;
};

Instruments& disabled_instruments() {
  static Instruments instruments(disabled());
  return instruments;
}

void BM_Disabled_Span(benchmark::State& state) {
  mmf::UnifiedObservability& o = disabled();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Span span = o.start_span("charge_card");
    span.set_attribute("payment.amount", 12.5)
        .set_attribute("payment.currency", "EUR")
        .set_attribute("payment.method", "card");
    benchmark::DoNotOptimize(span.is_recording());
  }
  meter.report(state);
}
BENCHMARK(BM_Disabled_Span);

void BM_Disabled_Log(benchmark::State& state) {
  disabled();
  AllocationMeter meter;
  for (auto _ : state) {
    MMF_LOG_INFO("Payment processed", {{"amount", 12.5}, {"currency", "EUR"}});
  }
  meter.report(state);
}
BENCHMARK(BM_Disabled_Log);

void BM_Disabled_Metrics(benchmark::State& state) {
  Instruments& instruments = disabled_instruments();
  AllocationMeter meter;
  for (auto _ : state) {
    instruments.payments.inc({{"status", "success"}, {"method", "card"}});
    mmf::Timer timer(instruments.duration, {{"route", "/payments"}});
  }
  meter.report(state);
}
BENCHMARK(BM_Disabled_Metrics);

void BM_Disabled_PluginScope(benchmark::State& state) {
  disabled();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::PluginScope plugin("fraud-plugin", "score");
    benchmark::DoNotOptimize(&plugin);
  }
  meter.report(state);
}
BENCHMARK(BM_Disabled_PluginScope);

}  // namespace
