// What every example shares: a configuration that opens only a loopback port, sends nothing
// anywhere and keeps stdout for the example's own lines, and a check that ends the program with
// a message when something is not as the guide says (CI runs every example).
#pragma once

#include <cstdio>
#include <cstdlib>

#include "mmf/config.h"

namespace examples {

inline mmf::ObservabilityConfig local_config(const char* service) {
  return {.service_name = service,
          .environment = "development",
          .traces_exporter = {"none"},
          .prometheus_port = 0,
          .metrics_bind_address = "127.0.0.1",
          .logs_exporter = {"none"}};
}

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "example failed: %s\n", what);
    std::exit(1);
  }
}

}  // namespace examples
