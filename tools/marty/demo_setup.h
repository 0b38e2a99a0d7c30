// How the demo sets up its observability: one UnifiedObservability from an ObservabilityConfig,
// exactly as a service would, with the demo's own defaults in code.
#pragma once

#include <memory>
#include <string>

#include "demo.h"
#include "mmf/unified.h"

namespace marty {

// Which process of the demo is being set up: the demo itself (the driver), or one of its
// services.
struct DemoProcess {
  std::string service_name;
  bool serves_traffic = false;  // debug logs held per request, 1 new trace in 1000 sampled
  bool serves_metrics = false;  // /metrics (with /healthz, /readyz) on a port of its own
  bool honours_port = false;    // on the configured port (or --metrics-port), else a free one
};

// The demo's configuration for process, sources in order (later ones win):
//   code: the service name, spans to the console (to OTLP when an OTLP endpoint is set by a
//         later source) with a 200 ms batch delay, logs on stdout, metrics on 127.0.0.1 when
//         the process serves them; for services, debug logs held per request and written
//         only for failed or sampled ones, and 1 new trace in 1000 sampled unless a sample rate
//         or an environment (with its preset) is stated;
//   the file of --config, else MMF_CONFIG_FILE;
//   the OTEL_* and MMF_* variables;
//   --metrics-port, for the process that honours it (the others take a free port).
// Returns the initialized instance, or null after printing every problem on stderr. When the
// port was not chosen by any source and 9464 is taken, a free port is used instead.
std::unique_ptr<mmf::UnifiedObservability> start_observability(const DemoOptions& options,
                                                               const DemoProcess& process);

// The URL of its /metrics, or "" when it serves none.
std::string metrics_url(const mmf::UnifiedObservability& observability);

// One line each on stderr: where the spans and the logs go (and metrics pushed over OTLP).
void report_destinations(const mmf::UnifiedObservability& observability);

}  // namespace marty
