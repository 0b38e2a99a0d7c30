// Unary calls per second of a gRPC echo service (the synchronous API, and with callback:1 the
// callback API), plain and instrumented with
// CorrelationInterceptor on both sides: the server's interceptor and the client channel's
// (full sampling, spans through the default batch pipeline to an exporter that only counts
// them). The target: the instrumented service keeps at least 95% of the plain
// throughput.
//
// The load is made here: N client threads, each with its own channel (so its own HTTP/2
// connection), calling Unary back to back for a fixed time. The calls carry the metadata a
// service behind a gateway sees (traceparent, tracestate, baggage, x-correlation-id) through a
// current Context, so the plain client sends the same metadata, injected by hand.
//
// Client and servers share the machine, and a 2-vCPU VM drifts by more than the difference
// measured: each iteration is one round that drives both servers for the same time, in
// alternating order (ABBA), and the counters compare the sums:
//   plain_cps, mmf_cps          calls per second of each
//   ratio                       mmf_cps / plain_cps over all rounds (the target: >= 0.95)
//   round_ratio                 the median of the rounds' ratios
//   cpu_ratio                   plain_cpu_us / mmf_cpu_us
//   plain_us, mmf_us, added_us  mean latency per call, and the difference
//   plain_cpu_us, mmf_cpu_us    CPU time of the whole process per call (client, server, export)
//   added_cpu_us                the difference
//   dropped                     share of the spans dropped because a queue was full
// Run with --benchmark_repetitions=3 (or more) and read the medians.
//
// BM_UnaryEcho_H2load measures the service alone: the same unary call sent by h2load (Debian's
// nghttp2-client) from a process of its own, so that the CPU figures are the servers' (and the
// export thread's) only, with the server interceptor alone on the instrumented side, at 16
// connections with 1 or 4 calls in flight on each (4 keeps either API's server busy).
// BM_UnaryEcho_H2load_NoOpInterceptor is its floor.
#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/closed_loop.h"
#include "bench/discard_exporter.h"
#include "bench/echo_server.h"
#include "bench/external_load.h"
#include "mmf/context.h"
#include "mmf/grpc_interceptor.h"
#include "mmf/metrics.h"
#include "mmf/span_exporter.h"
#include "mmf/test/echo.grpc.pb.h"
#include "mmf/tracer.h"

namespace {

using mmf::bench::DiscardExporter;
using mmf::bench::EchoServer;
using mmf::bench::kGatewayMetadata;
using mmf::bench::NoOpInterceptorFactory;

using mmf::bench::Clock;
using mmf::bench::Load;

constexpr auto kPhase = std::chrono::milliseconds(400);
constexpr auto kWarmUp = std::chrono::milliseconds(300);
constexpr int kRounds = 10;

// The Context that metadata makes.
mmf::Context gateway_context() {
  const mmf::Propagator propagator;
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : kGatewayMetadata) headers.emplace_back(name, value);
  return propagator.extract(headers);
}

// One client thread per channel calls Unary back to back for duration. make_channel() makes a
// thread's channel; inject says whether the plain client must add the metadata itself.
template <class MakeChannel>
Load drive(MakeChannel make_channel, bool inject, int clients, Clock::duration duration) {
  const mmf::Context context = gateway_context();
  return mmf::bench::drive(clients, duration, [&] {
    struct Client {
      mmf::ContextScope scope;  // the calls run in the gateway's Context
      std::unique_ptr<mmf::test::Echo::Stub> stub;
      mmf::test::EchoRequest request;
    };
    // Made on the client's thread, and destroyed there when the thread's loop ends.
    std::shared_ptr<Client> client(
        new Client{mmf::ContextScope(context), mmf::test::Echo::NewStub(make_channel()), {}});
    client->request.set_text("ok");
    return [client, inject, &context] {
      grpc::ClientContext client_context;
      if (inject) {
        mmf::Propagator().inject_to(context, [&](std::string_view name, std::string_view value) {
          std::string key(name);
          std::transform(key.begin(), key.end(), key.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          client_context.AddMetadata(key, std::string(value));
        });
      }
      mmf::test::EchoReply reply;
      return client->stub->Unary(&client_context, client->request, &reply).ok() &&
             reply.text() == "ok";
    };
  });
}

// Arguments that give a channel a connection of its own: channels with equal arguments would
// share one, and the plain channels must not share with each other either.
grpc::ChannelArguments own_connection() {
  static std::atomic<int> next_channel{0};
  grpc::ChannelArguments arguments;
  arguments.SetInt("mmf.bench.channel", ++next_channel);
  return arguments;
}

// The plain echo server against one set up by configure(), reached through channels from
// make_channel(target): both warmed up, then after_warm_up(), then the ABBA rounds. inject:
// whether the second side's clients add the metadata by hand (as the plain side's always do).
template <class MakeChannel, class AfterWarmUp>
std::optional<mmf::bench::Comparison> compare_with_plain(
    benchmark::State& state, const std::function<void(grpc::ServerBuilder&)>& configure,
    MakeChannel make_channel, bool inject, AfterWarmUp after_warm_up) {
  const int clients = static_cast<int>(state.range(0));
  const bool callback = state.range(1) != 0;
  const EchoServer plain(callback, {});
  const EchoServer other(callback, configure);
  if (!plain.ok() || !other.ok()) {
    state.SkipWithError("cannot listen on a loopback port");
    return std::nullopt;
  }
  const auto plain_channel = [&] {
    return grpc::CreateCustomChannel(plain.target(), grpc::InsecureChannelCredentials(),
                                     own_connection());
  };
  const auto other_channel = [&] { return make_channel(other.target()); };
  drive(plain_channel, true, clients, kWarmUp);
  drive(other_channel, inject, clients, kWarmUp);
  after_warm_up();
  return mmf::bench::compare_in_rounds(
      state, [&] { return drive(plain_channel, true, clients, kPhase); },
      [&] { return drive(other_channel, inject, clients, kPhase); });
}

void BM_UnaryEcho(benchmark::State& state) {
  mmf::Tracer tracer(
      {.sampler = mmf::always_on_sampler(), .exporter = std::make_shared<DiscardExporter>()});
  mmf::MetricRegistry registry;
  std::uint64_t dropped_at_start = 0;
  const std::optional<mmf::bench::Comparison> comparison = compare_with_plain(
      state,
      [&](grpc::ServerBuilder& builder) {
        mmf::CorrelationInterceptor::install(
            builder, std::make_unique<mmf::CorrelationServerInterceptorFactory>(tracer, registry,
                                                                                mmf::Propagator()));
      },
      [&](const std::string& target) {
        return mmf::CorrelationInterceptor::create_channel(
            target, grpc::InsecureChannelCredentials(),
            std::make_unique<mmf::CorrelationClientInterceptorFactory>(tracer, registry,
                                                                       mmf::Propagator(), target),
            own_connection());
      },
      false, [&] { dropped_at_start = tracer.stats().dropped_queue_full; });
  if (!comparison || !mmf::bench::report(state, *comparison, "cps")) return;
  const auto dropped = static_cast<double>(tracer.stats().dropped_queue_full - dropped_at_start);
  const Load& mmf_load = comparison->instrumented;
  state.counters["dropped"] =
      mmf_load.requests > 0 ? dropped / (2.0 * static_cast<double>(mmf_load.requests)) : 0;
}
BENCHMARK(BM_UnaryEcho)
    ->ArgNames({"clients", "callback"})
    ->Args({1, 0})
    ->Args({4, 0})
    ->Args({1, 1})
    ->Args({4, 1})
    ->Iterations(kRounds)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The same comparison with interceptors that do nothing but proceed, on both sides: how much of
// the plain throughput any interceptor-based instrumentation can keep at best.
void BM_UnaryEcho_NoOpInterceptors(benchmark::State& state) {
  const std::optional<mmf::bench::Comparison> comparison = compare_with_plain(
      state,
      [](grpc::ServerBuilder& builder) {
        std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> servers;
        servers.push_back(std::make_unique<NoOpInterceptorFactory>());
        builder.experimental().SetInterceptorCreators(std::move(servers));
      },
      [](const std::string& target) {
        std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> clients;
        clients.push_back(std::make_unique<NoOpInterceptorFactory>());
        return grpc::experimental::CreateCustomChannelWithInterceptors(
            target, grpc::InsecureChannelCredentials(), own_connection(), std::move(clients));
      },
      true, [] {});
  if (comparison) mmf::bench::report(state, *comparison, "cps");
}
BENCHMARK(BM_UnaryEcho_NoOpInterceptors)
    ->ArgNames({"clients", "callback"})
    ->Args({1, 0})
    ->Args({4, 0})
    ->Args({1, 1})
    ->Iterations(kRounds)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// --- h2load: the service alone -----------------------------------------------------------------

constexpr int kH2loadPhaseSeconds = 2;  // h2load's -D takes whole seconds
constexpr int kH2loadRounds = 8;
constexpr int kH2loadConnections = 16;
// Calls in flight per connection. One each (16 in all) leaves the synchronous server's cores
// partly idle on 2 vCPUs, so that the ratio hides the interceptor's CPU (cpu_ratio shows it);
// four each (64 in all) keeps either API's server busy: its throughput at saturation.
constexpr int kH2loadSaturatingStreams = 4;

// A message in gRPC's framing: not compressed, its length in four big-endian bytes, its bytes.
std::string grpc_frame(const google::protobuf::MessageLite& message) {
  const std::string bytes = message.SerializeAsString();
  const auto size = static_cast<std::uint32_t>(bytes.size());
  std::string frame(5, '\0');
  for (int i = 0; i < 4; ++i)
    frame[static_cast<std::size_t>(1 + i)] = static_cast<char>(size >> (24 - 8 * i));
  return frame + bytes;
}

// A duration as h2load prints it ("633us", "1.25ms", "2.00s"), in seconds; 0 when unreadable.
double h2load_seconds(std::string_view text) {
  double value = 0;
  char unit[4] = {};
  if (std::sscanf(std::string(text).c_str(), "%lf%3s", &value, unit) != 2) return 0;
  const std::string_view u(unit);
  return u == "us" ? value * 1e-6 : u == "ms" ? value * 1e-3 : u == "s" ? value : 0;
}

// One phase of load from h2load (nghttp2's HTTP/2 load generator): `connections` connections,
// `streams` calls in flight on each, EchoRequest{text: "ok"} posted to /mmf.test.Echo/Unary with
// the gRPC headers and the gateway's metadata. h2load counts HTTP statuses only, and a gRPC error
// is an HTTP 200 with the status in the trailers and no message: a call counts as failed unless its
// reply (reply_size bytes, framed) came.
Load drive_with_h2load(const std::string& body_path, const std::string& target, int connections,
                       int streams, int seconds, std::size_t reply_size) {
  std::string command = "h2load -D " + std::to_string(seconds) + " -c " +
                        std::to_string(connections) + " -m " + std::to_string(streams) + " -d " +
                        body_path + " -H content-type:application/grpc -H te:trailers";
  for (const auto& [name, value] : kGatewayMetadata) {
    command += " -H '" + std::string(name) + ":" + std::string(value) + "'";
  }
  command += " http://" + target + "/mmf.test.Echo/Unary";
  const mmf::bench::GeneratorRun run = mmf::bench::run_generator(command);
  const std::string& out = run.output;
  unsigned long long done = 0;
  unsigned long long succeeded = 0;
  unsigned long long data_bytes = 0;
  const std::size_t finished = out.find("finished in ");
  const std::size_t requests = out.find("requests: ");
  const std::size_t data = out.find(" data\n");
  const std::size_t data_open = data == std::string::npos ? data : out.rfind('(', data);
  const std::size_t timing = out.find("time for request:");
  if (run.status != 0 || finished == std::string::npos || requests == std::string::npos ||
      data_open == std::string::npos || timing == std::string::npos ||
      std::sscanf(out.c_str() + requests,
                  "requests: %*s total, %*s started, %llu done, %llu succeeded", &done,
                  &succeeded) != 2 ||
      std::sscanf(out.c_str() + data_open, "(%llu)", &data_bytes) != 1) {
    return mmf::bench::failed_phase(run, "h2load");
  }
  const std::string_view finished_text =
      std::string_view(out).substr(finished + 12, out.find(',', finished) - finished - 12);
  char mean[32] = {};  // the third figure, after min and max
  std::sscanf(out.c_str() + timing, "time for request: %*s %*s %31s", mean);
  Load load;
  const unsigned long long replies = data_bytes / reply_size;
  load.requests = std::min(succeeded, replies);
  load.failures = done - load.requests;
  load.seconds = h2load_seconds(finished_text);
  load.latency_seconds = h2load_seconds(mean) * static_cast<double>(load.requests);
  load.cpu_seconds = run.cpu_seconds;
  if (load.seconds <= 0) return mmf::bench::failed_phase(run, "h2load");
  return load;
}

// The configurations both h2load benchmarks run: 16 connections, 1 or 4 calls in flight on
// each, the synchronous and the callback API.
void h2load_configurations(benchmark::internal::Benchmark* configured) {
  configured->ArgNames({"connections", "streams", "callback"});
  for (const int callback : {0, 1}) {
    for (const int streams : {1, kH2loadSaturatingStreams}) {
      configured->Args({kH2loadConnections, streams, callback});
    }
  }
  configured->Iterations(kH2loadRounds)->UseRealTime()->Unit(benchmark::kMillisecond);
}

// The plain service against one set up by configure(), both loaded by h2load in ABBA rounds.
std::optional<mmf::bench::Comparison> compare_with_h2load(
    benchmark::State& state, const std::function<void(grpc::ServerBuilder&)>& configure) {
  const int connections = static_cast<int>(state.range(0));
  const int streams = static_cast<int>(state.range(1));
  const bool callback = state.range(2) != 0;
  if (!mmf::bench::have_program("h2load")) {
    state.SkipWithError(
        "h2load is not installed (scripts/install-deps.sh installs nghttp2-client)");
    return std::nullopt;
  }
  mmf::test::EchoRequest request;
  request.set_text("ok");
  mmf::test::EchoReply reply;
  reply.set_text("ok");
  const mmf::bench::TempFile body(grpc_frame(request));
  const std::size_t reply_size = grpc_frame(reply).size();
  if (body.path().empty()) {
    state.SkipWithError("cannot write the request body to the temporary directory");
    return std::nullopt;
  }
  const EchoServer plain(callback, {});
  const EchoServer other(callback, configure);
  if (!plain.ok() || !other.ok()) {
    state.SkipWithError("cannot listen on a loopback port");
    return std::nullopt;
  }
  const auto phase = [&](const EchoServer& server, int seconds) {
    return drive_with_h2load(body.path(), server.target(), connections, streams, seconds,
                             reply_size);
  };
  phase(plain, 1);
  phase(other, 1);
  return mmf::bench::compare_in_rounds(
      state, [&] { return phase(plain, kH2loadPhaseSeconds); },
      [&] { return phase(other, kH2loadPhaseSeconds); });
}

// The instrumented service against the plain one, each loaded from outside by h2load: the service's
// own throughput, and its own CPU per call (this process runs the two servers and the export
// thread, not the load). Only the server has the interceptor; the clients are other processes, as a
// service's callers are. BM_UnaryEcho above adds the client interceptor and the in-process gRPC
// clients' cost.
void BM_UnaryEcho_H2load(benchmark::State& state) {
  mmf::Tracer tracer(
      {.sampler = mmf::always_on_sampler(), .exporter = std::make_shared<DiscardExporter>()});
  mmf::MetricRegistry registry;
  const std::optional<mmf::bench::Comparison> comparison =
      compare_with_h2load(state, [&](grpc::ServerBuilder& builder) {
        mmf::CorrelationInterceptor::install(
            builder, std::make_unique<mmf::CorrelationServerInterceptorFactory>(tracer, registry,
                                                                                mmf::Propagator()));
      });
  if (!comparison || !mmf::bench::report(state, *comparison, "cps")) return;
  const auto dropped = static_cast<double>(tracer.stats().dropped_queue_full);
  const Load& mmf_load = comparison->instrumented;
  state.counters["dropped"] =
      mmf_load.requests > 0 ? dropped / static_cast<double>(mmf_load.requests) : 0;
}
BENCHMARK(BM_UnaryEcho_H2load)->Apply(h2load_configurations);

// The same with a server interceptor that only proceeds: the floor under any interceptor.
void BM_UnaryEcho_H2load_NoOpInterceptor(benchmark::State& state) {
  const std::optional<mmf::bench::Comparison> comparison =
      compare_with_h2load(state, [](grpc::ServerBuilder& builder) {
        std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> servers;
        servers.push_back(std::make_unique<NoOpInterceptorFactory>());
        builder.experimental().SetInterceptorCreators(std::move(servers));
      });
  if (comparison) mmf::bench::report(state, *comparison, "cps");
}
BENCHMARK(BM_UnaryEcho_H2load_NoOpInterceptor)->Apply(h2load_configurations);

}  // namespace
