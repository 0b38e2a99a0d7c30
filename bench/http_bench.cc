// The per-request cost of the HTTP instrumentation alone, without a server or a socket: what
// an adapter (CorrelationMiddleware) adds to each request. The target for the server
// side (extract, span, metrics, inject) is 1 us per request with full sampling.
//
// BM_ServerCall is one HttpServerCall as the cpp-httplib adapter makes it: a request with the
// headers a service behind a gateway sees (traceparent, tracestate, baggage with two members,
// X-Correlation-ID, User-Agent, Host, Accept, Content-Type), visited through the headers
// callback; set_route, the response headers into a small vector, end(200, 0, 42).
// BM_ServerCall_Unsampled is the same with a sampler that drops every span: what most requests
// pay at a low sample rate. BM_ClientCall is one outgoing call made inside such a request: the
// client span, its propagation headers into a vector, end(200).
//
// Sampled spans take the real batch path to an exporter that only counts them, as in
// bench/trace_bench.cc; the queue is large enough that nothing is dropped while the export
// thread gets a core, and each sampled benchmark reports the share it dropped ("dropped",
// normally 0): a dropped span costs less than one that reaches the queue.
#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/alloc_counter.h"
#include "bench/discard_exporter.h"
#include "mmf/http_client.h"
#include "mmf/http_server.h"
#include "mmf/metrics.h"
#include "mmf/tracer.h"

namespace {

using mmf::bench::AllocationMeter;
using mmf::bench::DiscardExporter;
using Headers = std::vector<std::pair<std::string, std::string>>;

mmf::TracerOptions options(std::shared_ptr<mmf::Sampler> sampler) {
  return {.sampler = std::move(sampler),
          .exporter = std::make_shared<DiscardExporter>(),
          .batch = {.schedule_delay = std::chrono::milliseconds(10),
                    .max_queue_size = 1 << 16,
                    .max_export_batch_size = 4096}};
}

// A tracer, the metrics and the instrumentation over them, as a service holds them.
struct Instrumented {
  explicit Instrumented(std::shared_ptr<mmf::Sampler> sampler)
      : tracer(options(std::move(sampler))),
        server(tracer, registry, mmf::Propagator()),
        client(tracer, registry, mmf::Propagator()) {}
  mmf::Tracer tracer;
  mmf::MetricRegistry registry;
  mmf::HttpServerInstrumentation server;
  mmf::HttpClientInstrumentation client;
};

Instrumented& sampled() {
  static Instrumented instrumented(mmf::always_on_sampler());
  return instrumented;
}

Instrumented& unsampled() {
  static Instrumented instrumented(mmf::always_off_sampler());
  return instrumented;
}

// The request's headers as they arrive from a gateway. The values are longer than a short
// string's buffer where real ones are, so copies of them allocate as they would in a service.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kRequestHeaders = {{
    {"Host", "api.example.com:8080"},
    {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"},
    {"Accept", "application/json"},
    {"Content-Type", "application/json"},
    {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
    {"baggage", "tenant_id=acme-corp,feature_flag=checkout-v2"},
    {"X-Correlation-ID", "0190b6f2-4c1d-7a3e-9b5f-2d8e6a1c4f70"},
}};

// A callable object, not a function: FunctionRef takes the address of what it refers to, and
// the request below keeps that reference beyond this statement.
constexpr auto kVisitRequestHeaders = [](mmf::Propagator::HeaderVisitor visit) {
  for (const auto& [name, value] : kRequestHeaders) visit(name, value);
};

mmf::HttpServerRequest request() {
  return {.method = "GET",
          .path = "/users/42",
          .server_address = "api.example.com",
          .server_port = 8080,
          .client_address = "10.0.3.17",
          .client_port = 51234,
          .user_agent = kRequestHeaders[1].second,
          .headers = kVisitRequestHeaders};
}

// Spans dropped because a queue was full, from the start of one benchmark run (as in
// bench/trace_bench.cc).
class DropMeter {
 public:
  explicit DropMeter(const mmf::Tracer& tracer)
      : tracer_(tracer), at_start_(tracer.stats().dropped_queue_full) {}
  void report(benchmark::State& state) const {
    const auto dropped = static_cast<double>(tracer_.stats().dropped_queue_full - at_start_);
    state.counters["dropped"] =
        benchmark::Counter(dropped / static_cast<double>(state.iterations()));
  }

 private:
  const mmf::Tracer& tracer_;
  std::uint64_t at_start_;
};

void server_calls(benchmark::State& state, Instrumented& instrumented) {
  const mmf::HttpServerRequest incoming = request();
  Headers response_headers;
  response_headers.reserve(4);
  const auto set = [&response_headers](std::string_view name, std::string_view value) {
    response_headers.emplace_back(name, value);
  };
  const DropMeter drops(instrumented.tracer);
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::HttpServerCall call(instrumented.server, incoming);
    call.set_route("/users/{id}");
    response_headers.clear();
    call.add_response_headers(set);
    call.end(200, 0, 42);
    benchmark::DoNotOptimize(response_headers.data());
  }
  meter.report(state);
  drops.report(state);
}

void BM_ServerCall(benchmark::State& state) { server_calls(state, sampled()); }
BENCHMARK(BM_ServerCall);

void BM_ServerCall_Unsampled(benchmark::State& state) { server_calls(state, unsampled()); }
BENCHMARK(BM_ServerCall_Unsampled);

// An outgoing call from inside a request: the server call's Context (the caller's trace, its
// baggage and correlation ID) is current, as it is in a handler.
void BM_ClientCall(benchmark::State& state) {
  Instrumented& instrumented = sampled();
  mmf::HttpServerCall parent(instrumented.server, request());
  parent.set_route("/users/{id}");
  Headers outgoing;
  outgoing.reserve(8);
  const DropMeter drops(instrumented.tracer);
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::HttpClientCall call(instrumented.client,
                             {.method = "POST", .url = "http://payments.internal:8080/v1/charges"});
    outgoing.clear();
    call.inject(outgoing);
    call.end(200);
    benchmark::DoNotOptimize(outgoing.data());
  }
  meter.report(state);
  drops.report(state);
  parent.end(200);
}
BENCHMARK(BM_ClientCall);

}  // namespace
