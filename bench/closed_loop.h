// A closed-loop load generator for the throughput benchmarks (HTTP, gRPC): N client threads,
// each making one request after another for a fixed time, and what they did. Each thread makes
// its own client (its own connection) and one first request before the clock starts, so that
// connection set-up is not measured.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace mmf::bench {

using Clock = std::chrono::steady_clock;

inline double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// What one phase of load did.
struct Load {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  double seconds = 0;          // from the start signal to the last response
  double latency_seconds = 0;  // summed over the requests
  double cpu_seconds = 0;      // of the whole process

  Load& operator+=(const Load& other) {
    requests += other.requests;
    failures += other.failures;
    seconds += other.seconds;
    latency_seconds += other.latency_seconds;
    cpu_seconds += other.cpu_seconds;
    return *this;
  }
  double rate() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
  double mean_latency_us() const { return per_request(latency_seconds); }
  double cpu_us_per_request() const { return per_request(cpu_seconds); }

 private:
  double per_request(double total) const {
    return requests > 0 ? total * 1e6 / static_cast<double>(requests) : 0;
  }
};

// clients threads call make_client() once each (on their own thread) and then the callable it
// returns, which makes one request and says whether it succeeded, back to back for duration.
// A thread stops at its first failure.
template <class MakeClient>
Load drive(int clients, Clock::duration duration, MakeClient make_client) {
  std::latch ready(clients);
  std::latch go(1);
  std::atomic<bool> stop{false};
  std::vector<Load> loads(static_cast<std::size_t>(clients));
  std::vector<Clock::time_point> finished(loads.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < loads.size(); ++i) {
    threads.emplace_back([&, i] {
      auto request = make_client();
      const bool connected = request();
      ready.count_down();
      go.wait();
      Load& load = loads[i];
      if (!connected) ++load.failures;
      while (!stop.load(std::memory_order_relaxed) && load.failures == 0) {
        const Clock::time_point sent = Clock::now();
        if (!request()) {
          ++load.failures;
          break;
        }
        ++load.requests;
        load.latency_seconds += std::chrono::duration<double>(Clock::now() - sent).count();
      }
      finished[i] = Clock::now();
    });
  }
  ready.wait();
  const double cpu_start = process_cpu_seconds();
  const Clock::time_point start = Clock::now();
  go.count_down();
  std::this_thread::sleep_for(duration);
  stop.store(true, std::memory_order_relaxed);
  for (std::thread& thread : threads) thread.join();
  Load total;
  for (const Load& load : loads) total += load;
  total.seconds =
      std::chrono::duration<double>(*std::max_element(finished.begin(), finished.end()) - start)
          .count();
  total.cpu_seconds = process_cpu_seconds() - cpu_start;
  return total;
}

inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

// A plain server against an instrumented one: each benchmark iteration is one round that
// drives both for the same time, one after the other, in alternating order (ABBA, which cancels
// a steady drift of a noisy machine). plain() and instrumented() each drive one phase.
struct Comparison {
  Load plain;
  Load instrumented;
  std::vector<double> round_ratios;  // instrumented over plain rate, per round
};
template <class Plain, class Instrumented>
Comparison compare_in_rounds(benchmark::State& state, Plain plain, Instrumented instrumented) {
  Comparison result;
  bool plain_first = true;
  for (auto _ : state) {
    Load plain_round;
    Load instrumented_round;
    if (plain_first) plain_round = plain();
    instrumented_round = instrumented();
    if (!plain_first) plain_round = plain();
    plain_first = !plain_first;
    if (plain_round.rate() > 0) {
      result.round_ratios.push_back(instrumented_round.rate() / plain_round.rate());
    }
    result.plain += plain_round;
    result.instrumented += instrumented_round;
  }
  return result;
}

// The counters both throughput benchmarks report (rate_unit: "rps" or "cps"):
//   plain_<unit>, mmf_<unit>    requests (calls) per second of each server
//   ratio                       mmf over plain over all rounds
//   round_ratio                 the median of the rounds' ratios
//   cpu_ratio                   plain_cpu_us / mmf_cpu_us
//   plain_us, mmf_us, added_us  mean latency per request, and the difference
//   plain_cpu_us, mmf_cpu_us    CPU time of the whole process per request
//   added_cpu_us                the difference
// False (and the benchmark skipped with an error) when a request failed.
inline bool report(benchmark::State& state, const Comparison& comparison,
                   const std::string& rate_unit) {
  const Load& plain = comparison.plain;
  const Load& mmf = comparison.instrumented;
  if (plain.failures > 0 || mmf.failures > 0) {
    state.SkipWithError("a request failed");
    return false;
  }
  state.counters["plain_" + rate_unit] = plain.rate();
  state.counters["mmf_" + rate_unit] = mmf.rate();
  state.counters["ratio"] = plain.rate() > 0 ? mmf.rate() / plain.rate() : 0;
  state.counters["round_ratio"] = median(comparison.round_ratios);
  state.counters["cpu_ratio"] =
      mmf.cpu_us_per_request() > 0 ? plain.cpu_us_per_request() / mmf.cpu_us_per_request() : 0;
  state.counters["plain_us"] = plain.mean_latency_us();
  state.counters["mmf_us"] = mmf.mean_latency_us();
  state.counters["added_us"] = mmf.mean_latency_us() - plain.mean_latency_us();
  state.counters["plain_cpu_us"] = plain.cpu_us_per_request();
  state.counters["mmf_cpu_us"] = mmf.cpu_us_per_request();
  state.counters["added_cpu_us"] = mmf.cpu_us_per_request() - plain.cpu_us_per_request();
  return true;
}

}  // namespace mmf::bench
