// The trivial cpp-httplib server the HTTP benchmarks load (GET /ok answers "ok"), on a loopback
// port of its own, plain or instrumented with CorrelationMiddleware; and the headers of a
// request arriving from a gateway. Shared by httplib_throughput_bench and httplib_server (the
// server alone, for profilers).
#pragma once

#include <httplib.h>

#include <chrono>
#include <optional>
#include <thread>

#include "mmf/httplib_middleware.h"

namespace mmf::bench {

inline void answer_ok(const httplib::Request&, httplib::Response& response) {
  response.set_content("ok", "text/plain");
}

// A server on a free loopback port with GET /ok, instrumented when given an instrumentation.
class TrivialServer {
 public:
  TrivialServer(mmf::HttpServerInstrumentation* instrumentation, int threads) {
    server_.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<std::size_t>(threads));
    };
    // httplib closes a keep-alive connection after 5 requests by default: the benchmark would
    // measure connection setup instead of requests.
    server_.set_keep_alive_max_count(1'000'000'000);
    // Without it, a response written in two parts waits for the client's delayed ACK.
    server_.set_tcp_nodelay(true);
    if (instrumentation != nullptr) {
      middleware_.emplace(server_, *instrumentation);
      middleware_->Get("/ok", answer_ok);
    } else {
      server_.Get("/ok", answer_ok);
    }
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() does nothing to a server not yet running, and the destructor would then wait
    // forever (httplib 0.11 has no wait_until_ready()).
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TrivialServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  TrivialServer(const TrivialServer&) = delete;
  TrivialServer& operator=(const TrivialServer&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::optional<mmf::CorrelationMiddleware> middleware_;
  int port_ = 0;
  std::thread thread_;
};

// The headers of every request, from either load generator.
inline const httplib::Headers kHeaders = {
    {"Accept", "text/plain"},
    {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
    {"baggage", "tenant_id=acme-corp,feature_flag=checkout-v2"},
    {"X-Correlation-ID", "0190b6f2-4c1d-7a3e-9b5f-2d8e6a1c4f70"}};

}  // namespace mmf::bench
