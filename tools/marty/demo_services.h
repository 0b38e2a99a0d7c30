// The demo's services, each a process of its own: a gateway, an order service and a payment
// service (with the fraud-plugin), instrumented with CorrelationMiddleware and calling the
// next one with CorrelationHttpClient:
//
//   POST /payments (gateway) -> POST /orders (order) -> POST /payments/{order_id}/charge (payment)
//
// `marty demo` starts them (demo_cluster.h) with the hidden command
//   marty demo-service --role gateway|order|payment [--next URL] [--metrics-port P] [--config F]
// A service prints "ready port=<http port> metrics=<metrics URL>" on stdout when it serves,
// then its spans and logs (JSON lines), and stops on SIGTERM or SIGINT (or when its parent
// dies), printing a summary on stderr.
#pragma once

#include <string>

#include "demo.h"

namespace marty {

struct DemoServiceOptions {
  std::string role;      // gateway, order or payment
  std::string next_url;  // the service it calls (not for payment)
  DemoOptions demo;      // metrics_port (gateway only) and config_file
};

// Runs one service until it is told to stop. Returns the process exit code.
int run_demo_service(const DemoServiceOptions& options);

}  // namespace marty
