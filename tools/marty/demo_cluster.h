// The multi-service part of `marty demo`: starts the gateway, order and payment services
// (demo_services.h) as separate processes on loopback ports they choose, sends one request
// through them, shows its trace across the three processes with one correlation ID, then,
// with --duration, drives traffic through them.
#pragma once

#include "demo.h"
#include "mmf/config.h"

namespace marty {

// Returns 0 when every check held (the services started and stopped, one correlation ID and
// one trace across the three, no correlation ID lost under traffic), 1 when one failed, 2 when
// a service could not start.
// config is the demo's (the services load theirs from the same sources): it tells where the
// services' spans go.
int run_cluster(const DemoOptions& options, const mmf::ObservabilityConfig& config);

}  // namespace marty
