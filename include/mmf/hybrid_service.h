// HybridService: an HTTP server (cpp-httplib with CorrelationMiddleware) and a gRPC server
// (with CorrelationInterceptor and the health service) in one process, sharing one
// UnifiedObservability: the "hybrid service" of the MMF guide. Component
// mmf::observability_hybrid (find_package(mmf_observability COMPONENTS hybrid)), which links
// the httplib and grpc components.
//
//   mmf::HybridService service(observability, {.http_port = 8080, .grpc_port = 50051});
//   service.http().Get("/orders/{id}", get_order);          // HTTP routes, by template
//   service.add_grpc_service(&order_service);                 // gRPC services
//   service.start();     // binds both ports; throws naming the one that failed
//   service.wait();      // until stop() (from a signal-handling thread, say)
//
// Both servers put one Context per request in place, so a log line, a span or an outgoing call
// made by an HTTP handler or a gRPC method carries the same correlation fields, and their
// spans and metrics go through the same pipelines. The HTTP server excludes /healthz, /readyz
// and /metrics from instrumentation; the gRPC server's health service reports SERVING once
// start() returns, and NOT_SERVING from stop() on.
//
// Thread-safety: register routes and services, then start(), from one thread; stop() and wait()
// may be called from any thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mmf/grpc_interceptor.h"
#include "mmf/httplib_middleware.h"

namespace mmf {

class UnifiedObservability;

struct HybridServiceOptions {
  // The address both servers listen on.
  std::string bind_address = "0.0.0.0";
  // 0: a free port chosen by the system (read it with http_port() / grpc_port() after start()).
  int http_port = 8080;
  int grpc_port = 50051;
  HttpServerOptions http{};
  GrpcServerOptions grpc{};
  // The gRPC server's credentials; null means plaintext (grpc::InsecureServerCredentials()).
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials = nullptr;
};

class HybridService {
 public:
  // observability must be initialized and outlive the service. Throws std::logic_error
  // otherwise.
  explicit HybridService(UnifiedObservability& observability, HybridServiceOptions options = {});
  // Stops both servers (stop() with its default grace period).
  ~HybridService();
  HybridService(const HybridService&) = delete;
  HybridService& operator=(const HybridService&) = delete;

  // The HTTP routes (by template) and the underlying server, for settings (timeouts,
  // thread pool) before start().
  CorrelationMiddleware& http() noexcept { return *middleware_; }
  httplib::Server& http_server() noexcept { return *http_server_; }
  // Registers a gRPC service (which must outlive the service) before start(). A gRPC server
  // needs at least one.
  HybridService& add_grpc_service(grpc::Service* service);
  // The gRPC server's builder, for other settings before start(). The interceptor and the
  // listening port are already in place.
  grpc::ServerBuilder& grpc_builder() noexcept { return grpc_builder_; }

  // Starts both servers. Throws std::runtime_error naming the address that could not be bound
  // (or a second start()); nothing is left running then.
  void start();
  // The ports in use (after start()).
  int http_port() const noexcept { return http_port_; }
  int grpc_port() const noexcept { return grpc_port_; }
  grpc::Server* grpc_server() noexcept { return grpc_server_.get(); }

  // Stops both: the health service says NOT_SERVING, the HTTP server stops taking connections
  // and finishes the requests in progress, and the gRPC server gives its calls in progress
  // until grace to finish, then cancels them. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Blocks until stop() has finished (returns at once when the service never started).
  void wait();

 private:
  HybridServiceOptions options_;
  std::unique_ptr<httplib::Server> http_server_;
  std::unique_ptr<CorrelationMiddleware> middleware_;
  grpc::ServerBuilder grpc_builder_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::thread http_thread_;
  int http_port_ = 0;
  int grpc_port_ = 0;  // written by BuildAndStart()
  int grpc_services_ = 0;

  std::mutex mutex_;
  std::condition_variable stopped_changed_;
  bool started_ = false;
  bool stopped_ = false;   // stop() began
  bool finished_ = false;  // stop() ended
};

}  // namespace mmf
