// Heap allocations seen by the calling thread, for benchmarks that report allocations per
// iteration. Programs that include this link bench/alloc_counter.cc, which replaces the global
// operator new and delete with versions that count before calling malloc and free.
//
// The counts are per thread, so a multi-threaded benchmark (->Threads(n)) counts exactly what
// each of its threads allocates; Google Benchmark sums the counters of the threads and divides
// by the total number of iterations.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace mmf::bench {

// Calls of any global operator new on this thread since it started.
std::uint64_t allocation_count() noexcept;
// Bytes requested by those calls.
std::uint64_t allocated_bytes() noexcept;

// Counts the allocations between its construction and report(), which publishes them as the
// counters "allocs/op" and "bytes/op". Construct it just before the timed loop and report just
// after, so that setup outside the loop is not counted.
class AllocationMeter {
 public:
  AllocationMeter() noexcept : count_(allocation_count()), bytes_(allocated_bytes()) {}

  void report(benchmark::State& state) const {
    // Both snapshots first: adding the counters to the state allocates map nodes.
    const auto allocations = static_cast<double>(allocation_count() - count_);
    const auto bytes = static_cast<double>(allocated_bytes() - bytes_);
    state.counters["allocs/op"] =
        benchmark::Counter(allocations, benchmark::Counter::kAvgIterations);
    state.counters["bytes/op"] = benchmark::Counter(bytes, benchmark::Counter::kAvgIterations);
  }

 private:
  std::uint64_t count_;
  std::uint64_t bytes_;
};

}  // namespace mmf::bench
