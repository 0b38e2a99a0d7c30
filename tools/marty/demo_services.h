// The demo's services, each a process of its own: a gateway (HTTP, CorrelationMiddleware), an
// order service (a HybridService: gRPC with CorrelationInterceptor, and HTTP) and a payment
// service (HTTP, with the fraud-plugin); the gateway calls the order service through
// CorrelationInterceptor's channel, the order service calls the payment service with
// CorrelationHttpClient:
//
//   POST /payments (gateway) -> OrderService/PlaceOrder (order, gRPC)
//     -> POST /payments/{order_id}/charge (payment)
//
// `marty demo` starts them (demo_cluster.h) with the hidden command
//   marty demo-service --role gateway|order|payment [--next URL] [--metrics-port P] [--config F]
// A service prints "ready port=<port> metrics=<metrics URL>" on stdout when it serves (the
// order service: its gRPC port, and http=<its HTTP port>),
// then its spans and logs (JSON lines), and stops on SIGTERM or SIGINT (or when its parent
// dies), printing a summary on stderr.
#pragma once

#include <string>

#include "demo.h"

namespace marty {

struct DemoServiceOptions {
  std::string role;      // gateway, order or payment
  std::string next_url;  // the service it calls: a URL, or the order service's gRPC target
  DemoOptions demo;      // metrics_port (gateway only) and config_file
};

// Runs one service until it is told to stop. Returns the process exit code.
int run_demo_service(const DemoServiceOptions& options);

}  // namespace marty
