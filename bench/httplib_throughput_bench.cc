// Requests per second of a cpp-httplib server with a trivial handler, plain and instrumented
// with CorrelationMiddleware (full sampling, spans through the default batch pipeline to an
// exporter that only counts them). The issue's target: the instrumented server keeps at least
// 97% of the plain server's throughput; the latency it adds per request is reported.
//
// Two load generators, each a benchmark:
//   BM_TrivialGet      in this program: N keep-alive connections on loopback, each a thread
//                      with its own httplib::Client sending GET /ok back to back for a fixed
//                      time (a closed loop, so the mean latency is about N over the rate). The
//                      client threads share the process (and its CPU figures) with the server.
//   BM_TrivialGet_Wrk  wrk (Debian's package, scripts/install-deps.sh installs it), the tool the
//                      issue names, as a separate process with enough connections to keep the
//                      server busy: the server's throughput rather than a closed loop's latency,
//                      and the CPU figures are the server's alone (this process without wrk).
// Requests carry the headers a service behind a gateway sees (traceparent, tracestate, baggage,
// X-Correlation-ID), to both servers alike.
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
#include <cstdio>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/closed_loop.h"
#include "bench/discard_exporter.h"
#include "bench/external_load.h"
#include "bench/trivial_server.h"
#include "mmf/httplib_middleware.h"
#include "mmf/metrics.h"
#include "mmf/span_exporter.h"
#include "mmf/tracer.h"

namespace {

using mmf::bench::DiscardExporter;
using mmf::bench::kHeaders;
using mmf::bench::TrivialServer;

using mmf::bench::Clock;
using mmf::bench::Load;

constexpr auto kPhase = std::chrono::milliseconds(300);
constexpr auto kWarmUp = std::chrono::milliseconds(200);
constexpr int kRounds = 10;
// httplib serves a keep-alive connection on one pool thread until it closes, so the pool has a
// thread for every connection the benchmarks open (more would only sleep).
constexpr int kMaxConnections = 4;
constexpr int kWrkConnections = 16;

// connections threads, each with its own keep-alive connection, send GET /ok back to back
// for duration.
Load drive(int port, int connections, Clock::duration duration) {
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

// The plain server against the instrumented one (full sampling, spans to a counting exporter),
// each with a pool of `threads`: both warmed up, then the ABBA rounds and the counters.
// drive_phase(port, warm_up) loads one server for one phase.
template <class DrivePhase>
void compare_servers(benchmark::State& state, int threads, DrivePhase drive_phase) {
  mmf::Tracer tracer(
      {.sampler = mmf::always_on_sampler(), .exporter = std::make_shared<DiscardExporter>()});
  mmf::MetricRegistry registry;
  mmf::HttpServerInstrumentation instrumentation(tracer, registry, mmf::Propagator());
  const TrivialServer plain(nullptr, threads);
  const TrivialServer instrumented(&instrumentation, threads);
  if (!plain.ok() || !instrumented.ok()) {
    state.SkipWithError("cannot listen on a loopback port");
    return;
  }
  drive_phase(plain.port(), true);
  drive_phase(instrumented.port(), true);
  const std::uint64_t dropped_at_start = tracer.stats().dropped_queue_full;

  const mmf::bench::Comparison comparison = mmf::bench::compare_in_rounds(
      state, [&] { return drive_phase(plain.port(), false); },
      [&] { return drive_phase(instrumented.port(), false); });
  if (!mmf::bench::report(state, comparison, "rps")) return;
  const auto dropped = static_cast<double>(tracer.stats().dropped_queue_full - dropped_at_start);
  const Load& mmf_load = comparison.instrumented;
  state.counters["dropped"] =
      mmf_load.requests > 0 ? dropped / static_cast<double>(mmf_load.requests) : 0;
}

void BM_TrivialGet(benchmark::State& state) {
  const int connections = static_cast<int>(state.range(0));
  compare_servers(state, kMaxConnections, [connections](int port, bool warm_up) {
    return drive(port, connections, warm_up ? kWarmUp : kPhase);
  });
}
BENCHMARK(BM_TrivialGet)
    ->ArgName("connections")
    ->Arg(2)
    ->Arg(kMaxConnections)
    ->Iterations(kRounds)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// --- wrk ------------------------------------------------------------------------------------

constexpr int kWrkPhaseSeconds = 2;  // wrk takes whole seconds
constexpr int kWrkRounds = 8;

// A wrk script that sends kHeaders and, when done, prints one line this program reads.
// summary.duration and latency.mean are in microseconds.
std::string wrk_script() {
  std::ostringstream script;
  for (const auto& [name, value] : kHeaders) {
    script << "wrk.headers[\"" << name << "\"] = \"" << value << "\"\n";
  }
  script << R"lua(
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("mmf-wrk requests=%d duration_us=%d latency_mean_us=%f errors=%d\n",
      summary.requests, summary.duration, latency.mean,
      e.connect + e.read + e.write + e.status + e.timeout))
end
)lua";
  return script.str();
}

// One phase of load from wrk (one thread, `connections` keep-alive connections). The CPU time
// is this process's alone: the server, its middleware and the export thread, without wrk.
Load drive_with_wrk(const std::string& script, int port, int connections, int seconds) {
  const mmf::bench::GeneratorRun run = mmf::bench::run_generator(
      "wrk -t1 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
      "s --timeout 5s -s " + script + " http://127.0.0.1:" + std::to_string(port) + "/ok");
  unsigned long long requests = 0;
  unsigned long long duration_us = 0;
  double latency_mean_us = 0;
  unsigned long long errors = 0;
  const std::size_t line = run.output.find("mmf-wrk ");
  if (run.status != 0 || line == std::string::npos ||
      std::sscanf(run.output.c_str() + line,
                  "mmf-wrk requests=%llu duration_us=%llu latency_mean_us=%lf errors=%llu",
                  &requests, &duration_us, &latency_mean_us, &errors) != 4) {
    return mmf::bench::failed_phase(run, "wrk");
  }
  Load load;
  load.requests = requests;
  load.failures = errors;
  load.seconds = static_cast<double>(duration_us) * 1e-6;
  load.latency_seconds = latency_mean_us * 1e-6 * static_cast<double>(requests);
  load.cpu_seconds = run.cpu_seconds;
  return load;
}

void BM_TrivialGet_Wrk(benchmark::State& state) {
  const int connections = static_cast<int>(state.range(0));
  if (!mmf::bench::have_program("wrk")) {
    state.SkipWithError("wrk is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  const mmf::bench::TempFile script(wrk_script());
  if (script.path().empty()) {
    state.SkipWithError("cannot write the wrk script to the temporary directory");
    return;
  }
  compare_servers(state, connections, [&script, connections](int port, bool warm_up) {
    return drive_with_wrk(script.path(), port, connections, warm_up ? 1 : kWrkPhaseSeconds);
  });
}
BENCHMARK(BM_TrivialGet_Wrk)
    ->ArgName("connections")
    ->Arg(kWrkConnections)
    ->Iterations(kWrkRounds)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
