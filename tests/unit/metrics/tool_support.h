// For tests that hand output to real tools (promtool, Debian's Python OpenMetrics parser):
// running a command, writing a temporary file, and skipping or failing when a tool is missing.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "support/run_command.h"

namespace mmf::testing_support {

// Debian's interpreter: the python3 first on PATH may not see Debian's Python packages.
inline constexpr const char* kPython = "/usr/bin/python3";

// Skips the test when a tool is missing, or fails it when MMF_REQUIRE_TOOLS=1 (as in CI).
#define MMF_SKIP_OR_FAIL_WITHOUT(tool_present, message)                              \
  if (!(tool_present)) {                                                             \
    const char* required = std::getenv("MMF_REQUIRE_TOOLS");                         \
    if (required != nullptr && std::string_view(required) == "1") FAIL() << message; \
    GTEST_SKIP() << message << "; MMF_REQUIRE_TOOLS=1 makes this a failure";         \
  }

// Writes contents to a new file in the test's temporary directory; returns its path.
inline std::string temp_file(std::string_view contents) {
  std::string path = ::testing::TempDir() + "mmf_metrics_XXXXXX";
  const int fd = ::mkstemp(path.data());
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
  ::close(fd);
  return path;
}

// Whether kPython can import the OpenMetrics parser.
inline bool python_client_available() {
  std::string output;
  return run_command(std::string(kPython) + " -c 'import prometheus_client.openmetrics.parser'",
                     output) == 0;
}

}  // namespace mmf::testing_support
