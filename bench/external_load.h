// Load from a generator in a process of its own (wrk for HTTP/1.1, h2load for gRPC), for the
// throughput benchmarks: the generator's CPU is not this process's, so the CPU figures of a
// phase are the server's alone (with its middleware and export thread).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "bench/closed_loop.h"
#include "tests/support/run_command.h"

namespace mmf::bench {

// What a generator printed (stdout and stderr), its exit status, and the CPU time this process
// spent while it ran.
struct GeneratorRun {
  int status = -1;
  std::string output;
  double cpu_seconds = 0;
};

inline GeneratorRun run_generator(const std::string& command) {
  GeneratorRun run;
  const double cpu_start = process_cpu_seconds();
  run.status = testing_support::run_command(command, run.output);
  run.cpu_seconds = process_cpu_seconds() - cpu_start;
  return run;
}

// Whether a program of that name is on the PATH.
inline bool have_program(const std::string& name) {
  return std::system(("command -v " + name + " > /dev/null 2>&1").c_str()) == 0;
}

// A file in the temporary directory holding contents (a script, a request body) for the life
// of the object; path() is empty when it could not be written.
class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    // mkstemp() replaces the six X's with a unique name and creates the file.
    std::string path = (std::filesystem::temp_directory_path() / "mmf-bench-XXXXXX").string();
    const int fd = ::mkstemp(path.data());
    if (fd < 0) return;
    ::close(fd);
    std::ofstream out(path, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) {
      std::filesystem::remove(path);
      return;
    }
    path_ = path;
  }
  ~TempFile() {
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A failed phase: the benchmark reports it (report() skips with an error) after printing what
// the generator said.
inline Load failed_phase(const GeneratorRun& run, const char* generator) {
  std::fprintf(stderr, "%s failed (exit status %d):\n%s\n", generator, run.status,
               run.output.c_str());
  Load load;
  load.failures = 1;
  return load;
}

}  // namespace mmf::bench
