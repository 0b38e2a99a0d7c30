// The echo service of grpc_throughput_bench alone, in a process of its own, for tools that load
// or profile a server from outside (bench/server_instructions.sh runs it under callgrind):
//
//   grpc_echo_server SETUP [--callback]
//
// SETUP is plain (no interceptor), noop (an interceptor that only proceeds: gRPC's interceptor
// machinery), mmf (CorrelationInterceptor::install, as a service sets it up) or mmf-no-entries
// (the same interceptor without the x-correlation-id and x-request-id response entries).
// --callback serves the callback API instead of the synchronous one. Every setup has gRPC's
// health service (install() turns it on, so the others do too): only the interceptor differs.
// Spans are sampled and go through the default batch pipeline to an exporter that counts them.
//
// The program prints the port it listens on (127.0.0.1) and serves until its standard input
// closes; then it prints the spans exported to standard error.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/discard_exporter.h"
#include "bench/echo_server.h"
#include "bench/standalone_server.h"
#include "mmf/grpc_interceptor.h"
#include "mmf/metrics.h"
#include "mmf/tracer.h"

namespace {

int usage(std::string_view problem) {
  std::cerr << "grpc_echo_server: " << problem
            << "\nusage: grpc_echo_server plain|noop|mmf|mmf-no-entries [--callback]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) return usage("expected a setup and at most one option");
  const std::string_view setup = argv[1];
  if (setup != "plain" && setup != "noop" && setup != "mmf" && setup != "mmf-no-entries") {
    return usage("unknown setup '" + std::string(setup) + "'");
  }
  const bool callback = argc == 3 && std::string_view(argv[2]) == "--callback";
  if (argc == 3 && !callback) return usage("unknown option '" + std::string(argv[2]) + "'");

  const auto exporter = std::make_shared<mmf::bench::DiscardExporter>();
  mmf::Tracer tracer({.sampler = mmf::always_on_sampler(), .exporter = exporter});
  mmf::MetricRegistry registry;
  grpc::EnableDefaultHealthCheckService(true);
  const mmf::bench::EchoServer server(callback, [&](grpc::ServerBuilder& builder) {
    if (setup == "noop") {
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> noop;
      noop.push_back(std::make_unique<mmf::bench::NoOpInterceptorFactory>());
      builder.experimental().SetInterceptorCreators(std::move(noop));
    } else if (setup != "plain") {
      mmf::CorrelationInterceptor::install(
          builder, std::make_unique<mmf::CorrelationServerInterceptorFactory>(
                       tracer, registry, mmf::Propagator(),
                       mmf::GrpcServerOptions{.correlation_metadata = setup == "mmf"}));
    }
  });
  if (!server.ok()) {
    std::cerr << "grpc_echo_server: cannot listen on a loopback port\n";
    return 1;
  }
  const std::string target = server.target();
  return mmf::bench::serve_until_stdin_closes(std::stoi(target.substr(target.rfind(':') + 1)),
                                              tracer, *exporter);
}
