// The trivial server of httplib_throughput_bench alone (GET /ok answers "ok"), in a process of
// its own, for tools that load or profile a server from outside (bench/server_instructions.sh
// runs it under callgrind):
//
//   httplib_server plain|mmf
//
// mmf instruments it with CorrelationMiddleware; spans are sampled and go through the default
// batch pipeline to an exporter that counts them. The pool has 16 threads (httplib serves a
// keep-alive connection on one thread until it closes). The program prints the port it listens
// on (127.0.0.1) and serves until its standard input closes; then it prints the spans exported
// to standard error.
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "bench/discard_exporter.h"
#include "bench/standalone_server.h"
#include "bench/trivial_server.h"
#include "mmf/metrics.h"
#include "mmf/tracer.h"

namespace {

constexpr int kThreads = 16;

int usage(std::string_view problem) {
  std::cerr << "httplib_server: " << problem << "\nusage: httplib_server plain|mmf\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return usage("expected one setup");
  const std::string_view setup = argv[1];
  if (setup != "plain" && setup != "mmf") {
    return usage("unknown setup '" + std::string(setup) + "'");
  }

  const auto exporter = std::make_shared<mmf::bench::DiscardExporter>();
  mmf::Tracer tracer({.sampler = mmf::always_on_sampler(), .exporter = exporter});
  mmf::MetricRegistry registry;
  mmf::HttpServerInstrumentation instrumentation(tracer, registry, mmf::Propagator());
  const mmf::bench::TrivialServer server(setup == "mmf" ? &instrumentation : nullptr, kThreads);
  if (!server.ok()) {
    std::cerr << "httplib_server: cannot listen on a loopback port\n";
    return 1;
  }
  return mmf::bench::serve_until_stdin_closes(server.port(), tracer, *exporter);
}
