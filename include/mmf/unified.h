// UnifiedObservability: one object, one configuration, for traces, metrics and logs.
//
//   mmf::ObservabilityConfig config = mmf::ObservabilityConfig::from_env();
//   config.service_name = "payment-service";
//   mmf::UnifiedObservability observability(config);
//   observability.initialize();    // exporters, /metrics (+ /healthz, /readyz), logging
//   auto payments = observability.create_counter("payments_processed_total", "Payments.",
//                                                {"status", "method"});
//   auto duration = observability.create_histogram("payment_processing_duration_seconds",
//                                                  "Payment processing duration");
//   {
//     auto timer = observability.timer(duration);
//     auto span = observability.start_span("validate_payment_data");
//     MMF_LOG_INFO("Payment processed", {{"amount", 12.5}});
//   }
//   observability.shutdown();      // or destruction
//
// initialize() validates the configuration (throwing ConfigurationError that lists every
// problem with its source: print it and exit non-zero) and starts what the configuration asks
// for: the Tracer and its exporters (OTLP, console), the logging pipeline (stdout JSON or console
// text, OTLP), the metrics endpoint with /healthz and /readyz on prometheus_port, OTLP metrics
// push, and the library's own mmf_telemetry_* and mmf_plugin_* metrics. It makes this instance
// the global one: the MMF_LOG_* macros, PluginScope(name) and UnifiedObservability::global()
// use it. shutdown() flushes every signal within the timeout and stops every thread and port it
// started. Both are idempotent.
//
// With sdk_disabled (OTEL_SDK_DISABLED=true) nothing is started: spans do not record (they still
// carry the incoming trace context on), logs are off, no port is opened, the instruments
// create_*() makes and PluginScope record nothing. Code needs no branches, and the calls cost
// a few nanoseconds (bench/unified_bench.cc).
//
// Thread-safety: initialize() and shutdown() from one thread; everything else from any thread,
// between them.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/config.h"
#include "mmf/log.h"
#include "mmf/metrics.h"
#include "mmf/plugins.h"
#include "mmf/propagation.h"
#include "mmf/tracer.h"

namespace mmf {

class UnifiedObservability {
 public:
  explicit UnifiedObservability(ObservabilityConfig config = ObservabilityConfig::from_env());
  ~UnifiedObservability();  // shutdown()
  UnifiedObservability(const UnifiedObservability&) = delete;
  UnifiedObservability& operator=(const UnifiedObservability&) = delete;

  // Throws ConfigurationError (bad configuration) or std::system_error (the metrics port cannot
  // be bound); nothing is left running then.
  void initialize();
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(10)) noexcept;
  bool ready() const noexcept;

  // The initialized instance made last, or null (for libraries that cannot take it as a
  // parameter).
  static UnifiedObservability* global() noexcept;

  Counter create_counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {}, std::string_view unit = {});
  UpDownCounter create_up_down_counter(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names = {},
                                       std::string_view unit = {});
  Gauge create_gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {}, std::string_view unit = {});
  Histogram create_histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> bounds = default_seconds_buckets(),
                             std::string_view unit = {});
  Timer timer(const Histogram& histogram, LabelValues labels = {}) noexcept {
    return Timer(histogram, labels);
  }
  // A span of this instance's tracer (a non-recording one before initialize()).
  Span start_span(std::string_view name, const SpanOptions& options) noexcept;
  Span start_span(std::string_view name) noexcept;  // default options
  // A logger of this instance's pipeline (the default logger before initialize()).
  Logger& logger(std::string_view name = {});

  const ObservabilityConfig& config() const noexcept;
  // The Propagator of this configuration (propagators, allowed business fields), for the
  // integrations and for code that injects headers itself.
  const Propagator& propagator() const noexcept;
  MetricRegistry& metrics() noexcept;
  PluginMetrics& plugins() noexcept;
  // Null before initialize().
  Tracer* tracer() noexcept;
  LoggingPipeline* logging() noexcept;
  // The port /metrics is served on (the chosen one when prometheus_port is 0); 0 when none.
  int metrics_port() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mmf
