// How the demo sets up its observability: one UnifiedObservability from an ObservabilityConfig,
// exactly as a service would, with the demo's own defaults in code.
#pragma once

#include <memory>

#include "demo.h"
#include "mmf/unified.h"

namespace marty {

// The demo's configuration, sources in order (later ones win):
//   code: service marty-demo, spans to the console (to OTLP when an OTLP endpoint is set by a
//         later source), logs on stdout, metrics on 127.0.0.1:9464 while serving traffic (none
//         for the walk-through alone); with --duration, debug logs held per request and
//         written only for failed ones, and 1 new trace in 1000 sampled unless a sample rate or
//         an environment (with its preset) is stated;
//   the file of --config, else MMF_CONFIG_FILE;
//   the OTEL_* and MMF_* variables;
//   --metrics-port.
// Returns the initialized instance, or null after printing every problem on stderr. When the
// port was not chosen by any source and 9464 is taken, a free port is used instead.
std::unique_ptr<mmf::UnifiedObservability> start_observability(const DemoOptions& options);

// One line each on stderr: where the metrics, the spans and the logs go.
void report_destinations(const mmf::UnifiedObservability& observability);

}  // namespace marty
