// For the side-by-side benchmarks (mmf against a peer library in one binary): Google Benchmark's
// console output, then one line per pair with the peer's time over ours. Pairs are named
// BM_<Operation>/mmf and BM_<Operation>/<peer>[/threads:N]; repetitions' aggregates are skipped,
// so the ratio is that of the last run of each side.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mmf::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // peer: the second part of the peer's benchmark names ("prometheus_cpp"); label: how the
  // ratio line names it ("prometheus-cpp").
  RatioReporter(std::string peer, std::string label)
      : peer_(std::move(peer)), label_(std::move(label)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const std::string name = run.benchmark_name();
      const std::size_t slash = name.find('/');
      if (slash == std::string::npos) continue;
      const std::string side = name.substr(slash + 1, name.find('/', slash + 1) - slash - 1);
      std::string pair = name.substr(0, slash);
      if (const std::size_t threads = name.find("/threads:"); threads != std::string::npos) {
        pair += name.substr(threads);
      }
      times_[pair][side] = run.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const auto& [pair, sides] : times_) {
      const auto mine = sides.find("mmf");
      const auto peer = sides.find(peer_);
      if (mine == sides.end() || peer == sides.end() || mine->second <= 0) continue;
      std::printf("ratio %-40s %s / mmf = %.1fx\n", pair.c_str(), label_.c_str(),
                  peer->second / mine->second);
    }
  }

 private:
  std::string peer_;
  std::string label_;
  std::map<std::string, std::map<std::string, double>> times_;
};

// main() of a side-by-side benchmark program.
inline int run_side_by_side(int argc, char** argv, RatioReporter& reporter) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace mmf::bench
