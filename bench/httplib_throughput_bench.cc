// Requests per second of a cpp-httplib server with a trivial handler, plain and instrumented
// with CorrelationMiddleware (full sampling, spans through the default batch pipeline to an
// exporter that only counts them). The target: the instrumented server keeps at least
// 97% of the plain server's throughput; the latency it adds per request is reported.
//
// The load generator is in this program: N keep-alive connections on loopback, each a thread
// with its own httplib::Client sending GET /ok back to back for a fixed time (a closed loop, so
// the mean latency is about N over the rate). Requests carry the headers a service behind a
// gateway sees (traceparent, tracestate, baggage, X-Correlation-ID), to both servers alike.
//
// Client and servers share the machine, so the figures are what one box does with both, and a
// noisy one (a 2-vCPU VM) drifts by more than the difference measured. Each benchmark iteration
// is therefore one round that drives both servers for the same time, one after the other, in
// alternating order (ABBA, which cancels a steady drift), and the counters compare the sums:
//   plain_rps, mmf_rps          requests per second of each server
//   ratio                       mmf_rps / plain_rps over all rounds (the target: >= 0.97)
//   round_ratio                 the median of the rounds' ratios: a burst of load from another
//                               process that hits one phase moves it less
//   cpu_ratio                   plain_cpu_us / mmf_cpu_us: what the ratio would be if this
//                               process had the cores to itself and used them all
//   plain_us, mmf_us, added_us  mean latency per request, and the difference
//   plain_cpu_us, mmf_cpu_us    CPU time of the whole process (client, server, export thread)
//   added_cpu_us                per request, and the difference: the middleware's full cost
//   dropped                     share of the spans dropped because a queue was full (0 expected)
// The iteration's time is the round's duration (two phases); the counters are the result.
// Run with --benchmark_repetitions=3 (or more) and read the medians.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/closed_loop.h"
#include "bench/discard_exporter.h"
#include "mmf/httplib_middleware.h"
#include "mmf/metrics.h"
#include "mmf/span_exporter.h"
#include "mmf/tracer.h"

namespace {

using mmf::bench::DiscardExporter;

using mmf::bench::Clock;
using mmf::bench::Load;

constexpr auto kPhase = std::chrono::milliseconds(300);
constexpr auto kWarmUp = std::chrono::milliseconds(200);
constexpr int kRounds = 10;
// httplib serves a keep-alive connection on one pool thread until it closes, so the pool has a
// thread for every connection the benchmarks open (more would only sleep).
constexpr int kMaxConnections = 4;

void answer_ok(const httplib::Request&, httplib::Response& response) {
  response.set_content("ok", "text/plain");
}

// A server on a free loopback port with GET /ok, instrumented when given an instrumentation.
class TrivialServer {
 public:
  explicit TrivialServer(mmf::HttpServerInstrumentation* instrumentation) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(kMaxConnections); };
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

// connections threads, each with its own keep-alive connection, send GET /ok back to back
// for duration.
Load drive(int port, int connections, Clock::duration duration) {
  static const httplib::Headers kHeaders = {
      {"Accept", "text/plain"},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
      {"baggage", "tenant_id=acme-corp,feature_flag=checkout-v2"},
      {"X-Correlation-ID", "0190b6f2-4c1d-7a3e-9b5f-2d8e6a1c4f70"}};
  return mmf::bench::drive(connections, duration, [port] {
    auto client = std::make_shared<httplib::Client>("127.0.0.1", port);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_decompress(false);  // no Accept-Encoding: the server must not compress "ok"
    return [client] {
      const httplib::Result result = client->Get("/ok", kHeaders);
      return result && result->status == 200 && result->body == "ok";
    };
  });
}

void BM_TrivialGet(benchmark::State& state) {
  const int connections = static_cast<int>(state.range(0));
  mmf::Tracer tracer(
      {.sampler = mmf::always_on_sampler(), .exporter = std::make_shared<DiscardExporter>()});
  mmf::MetricRegistry registry;
  mmf::HttpServerInstrumentation instrumentation(tracer, registry, mmf::Propagator());
  const TrivialServer plain(nullptr);
  const TrivialServer instrumented(&instrumentation);
  if (!plain.ok() || !instrumented.ok()) {
    state.SkipWithError("cannot listen on a loopback port");
    return;
  }
  drive(plain.port(), connections, kWarmUp);
  drive(instrumented.port(), connections, kWarmUp);
  const std::uint64_t dropped_at_start = tracer.stats().dropped_queue_full;

  const mmf::bench::Comparison comparison = mmf::bench::compare_in_rounds(
      state, [&] { return drive(plain.port(), connections, kPhase); },
      [&] { return drive(instrumented.port(), connections, kPhase); });
  if (!mmf::bench::report(state, comparison, "rps")) return;
  const auto dropped = static_cast<double>(tracer.stats().dropped_queue_full - dropped_at_start);
  const Load& mmf_load = comparison.instrumented;
  state.counters["dropped"] =
      mmf_load.requests > 0 ? dropped / static_cast<double>(mmf_load.requests) : 0;
}
BENCHMARK(BM_TrivialGet)
    ->ArgName("connections")
    ->Arg(2)
    ->Arg(kMaxConnections)
    ->Iterations(kRounds)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
