// What the standalone benchmark servers (httplib_server, grpc_echo_server) do once listening:
// print the port, serve until standard input closes, then flush the spans and say how many went
// out. One place, so that bench/server_instructions.sh can drive either the same way.
#pragma once

#include <chrono>
#include <iostream>
#include <string>

#include "bench/discard_exporter.h"
#include "mmf/tracer.h"

namespace mmf::bench {

inline int serve_until_stdin_closes(int port, mmf::Tracer& tracer,
                                    const DiscardExporter& exporter) {
  std::cout << port << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  tracer.force_flush(std::chrono::seconds(5));
  std::cerr << "spans exported: " << exporter.count() << "\n";
  return 0;
}

}  // namespace mmf::bench
