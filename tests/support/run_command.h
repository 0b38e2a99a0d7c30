// Running a command through sh and reading what it printed: for the tests that hand output to
// real tools (promtool, Python's OpenMetrics parser) and for the benchmarks that drive servers
// with load generators of their own (wrk, h2load). Free of GoogleTest, so benchmarks can use it.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace mmf::testing_support {

// Runs command with sh; returns its exit status (-1 when it could not run or did not exit), and
// appends its stdout and stderr to output.
inline int run_command(const std::string& command, std::string& output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace mmf::testing_support
