// Environment-based sampling: the environment picks the default sample rate (development 1.0,
// staging 0.3, production 0.05, others 0.1), and a rate set explicitly wins. The rate is really
// applied: of 20,000 new traces, about that share is recorded.
#include <cstdio>
#include <string>

#include "example_support.h"
#include "mmf/unified.h"

double sampled_share(mmf::ObservabilityConfig config) {
  mmf::UnifiedObservability observability(config);
  observability.initialize();
  int recorded = 0;
  for (int i = 0; i < 20000; ++i) recorded += observability.start_span("request").is_recording();
  observability.shutdown();
  return recorded / 20000.0;
}

int main() {
  for (const char* environment : {"development", "staging", "production", "qa"}) {
    mmf::ObservabilityConfig config = examples::local_config("payment-service");
    config.environment = environment;
    config.metrics_exporter = {"none"};
    const double expected = config.effective_trace_sample_rate();
    const double share = sampled_share(config);
    std::printf("%-12s preset rate %.2f, sampled %.3f of 20000 traces\n", environment, expected,
                share);
    examples::check(share > expected - 0.02 && share < expected + 0.02, "the rate is applied");
  }
  mmf::ObservabilityConfig config = examples::local_config("payment-service");
  config.environment = "production";
  config.trace_sample_rate = 0.5;  // set explicitly: wins over the preset's 0.05
  config.metrics_exporter = {"none"};
  const double share = sampled_share(config);
  std::printf("production with trace_sample_rate 0.5: sampled %.3f\n", share);
  examples::check(share > 0.48 && share < 0.52, "an explicit rate wins over the preset");
  return 0;
}
