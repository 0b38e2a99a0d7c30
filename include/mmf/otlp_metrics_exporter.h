// OtlpMetricsExporter: pushes the metrics of a registry to an OpenTelemetry collector over
// OTLP/HTTP (/v1/metrics) at a fixed interval, for services that are not scraped by Prometheus
// (or that are, and also feed a collector).
//
//   mmf::ConfigErrors errors;
//   auto options = mmf::otlp_metrics_exporter_options_from_env(mmf::process_environment(), errors);
//   options.resource = resource;
//   mmf::OtlpMetricsExporter push(registry, options);  // pushes every interval until shutdown
//
// Each push collects the registry (and the process metrics unless turned off) and sends one
// ExportMetricsServiceRequest with cumulative temporality: every value is the total since the
// series began, so a lost push loses no data, and the next one carries it. The transport's
// retry rules apply (mmf/otlp_transport.h); a push that fails is reported on stderr
// (rate-limited) and counted in stats().
//
// Configuration (otlp_metrics_exporter_options_from_env): the transport's variables for the
// METRICS signal (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, ..._HEADERS, ...), the protocol
// (OTEL_EXPORTER_OTLP_METRICS_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL), the interval
// (OTEL_METRIC_EXPORT_INTERVAL, milliseconds, default 60000) and the time limit of one push
// (OTEL_METRIC_EXPORT_TIMEOUT, milliseconds, default 30000).
//
// Thread-safety: pushes run on a thread of the exporter's own; force_flush(), shutdown() and
// stats() may be called from any thread. Recording never waits for a push.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "mmf/environment.h"
#include "mmf/metrics.h"
#include "mmf/otlp_exporter.h"
#include "mmf/resource.h"

namespace mmf {

struct OtlpMetricsExporterOptions {
  OtlpExporterOptions otlp{};                 // endpoint, headers, protocol, transport
  std::chrono::milliseconds interval{60000};  // between the starts of two pushes; > 0
  std::chrono::milliseconds timeout{30000};   // for one push, retries included; > 0
  Resource resource{};
  std::string scope_name = "mmf-observability";
  std::string scope_version{};
  bool process_metrics = true;  // push process_cpu_seconds_total... too
};

struct OtlpMetricsExporterStats {
  std::uint64_t pushes = 0;           // requests sent (retries of one request not counted)
  std::uint64_t failed_pushes = 0;    // requests that failed in the end
  std::uint64_t points_sent = 0;      // data points in requests the collector accepted
  std::uint64_t points_rejected = 0;  // of those, rejected by a partial-success answer
};

class OtlpMetricsExporter {
 public:
  // Starts the push thread; the first push is one interval after construction. Throws
  // std::invalid_argument for an interval or timeout that is not positive, or transport options
  // that are invalid. registry must outlive the exporter.
  OtlpMetricsExporter(const MetricRegistry& registry, OtlpMetricsExporterOptions options);
  ~OtlpMetricsExporter();  // shutdown(options.timeout)
  OtlpMetricsExporter(const OtlpMetricsExporter&) = delete;
  OtlpMetricsExporter& operator=(const OtlpMetricsExporter&) = delete;

  // Pushes now and waits for the outcome; true when the collector accepted it within timeout.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept;
  // Makes a last push within timeout, then stops the thread (a push that hangs past timeout is
  // cancelled). Idempotent; true when the last push went out.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30)) noexcept;

  OtlpMetricsExporterStats stats() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// options with the variables above applied; bad values keep the default and add an error
// naming the variable.
OtlpMetricsExporterOptions otlp_metrics_exporter_options_from_env(
    const EnvLookup& env, ConfigErrors& errors, OtlpMetricsExporterOptions defaults = {});

}  // namespace mmf
