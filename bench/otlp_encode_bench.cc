// The cost of encoding a batch of spans as an OTLP request body: 512 spans of an HTTP server
// (8 attributes each: strings, integers, a double and a bool), as protobuf and as JSON.
//
// The peer is libprotobuf itself, in the same binary: the same request built from the same span
// views with the generated classes of tests/proto (tests/unit/export/otlp_test_support.h), then
// SerializeToString. It runs three ways, so the comparison is with libprotobuf at its best:
//   - Libprotobuf:        a new message per batch (what a simple exporter does);
//   - LibprotobufArena:   the message on an Arena, freed at once;
//   - LibprotobufReused:  one message cleared and refilled (libprotobuf keeps the submessages
//                         and strings, so it allocates nothing once warm).
// LibprotobufJson (MessageToJsonString) is a rough peer for JSON only: it writes IDs in base64.
//
// Span views exist only inside SpanExporter::export_spans(), so each benchmark's timed loop
// runs there, on the pipeline's exporter thread (hence real time). The counters: ns/span (the
// figure to read), bytes/span of output, allocs/op per batch (bench/alloc_counter.h).
// ReadViewsOnly is the floor every encoder pays: reading the views, writing nothing.
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>

#include "bench/alloc_counter.h"
#include "export/otlp_trace_encoder.h"
#include "mmf/tracer.h"
#include "unit/export/otlp_test_support.h"

namespace {

using mmf::bench::AllocationMeter;
using mmf::reference::ExportTraceServiceRequest;

constexpr std::size_t kSpans = 512;

mmf::Resource bench_resource() {
  return mmf::Resource(
      {{"service.name", std::string("payment-service")},
       {"service.version", std::string("1.2.0")},
       {"deployment.environment.name", std::string("production")},
       {"service.instance.id", std::string("0f8fad5b-d9cb-469f-a165-70867728950e")},
       {"host.name", std::string("payments-7d9f8c6b5-x2k4q")},
       {"process.pid", std::int64_t{4242}},
       {"telemetry.sdk.name", std::string("mmf-observability")},
       {"telemetry.sdk.language", std::string("cpp")}});
}

void record_spans(mmf::Tracer& tracer) {
  for (std::size_t i = 0; i < kSpans; ++i) {
    mmf::Span span = tracer.start_span("GET /api/v1/users/{id}", {.kind = mmf::SpanKind::kServer});
    span.set_attribute("http.request.method", "GET")
        .set_attribute("http.route", "/api/v1/users/{id}")
        .set_attribute("url.path", "/api/v1/users/12345")
        .set_attribute("http.response.status_code", 200)
        .set_attribute("server.address", "api.example.com")
        .set_attribute("server.port", 443)
        .set_attribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) curl/7.88.1")
        .set_attribute("payment.amount", 12.5 + static_cast<double>(i))
        .set_attribute("cache.hit", i % 2 == 0);
  }
}

// Records the spans, then runs loop(spans, resource, scope) inside export_spans().
template <class Loop>
void run_on_exported_batch(benchmark::State& state, Loop loop) {
  bool ran = false;
  auto exporter = std::make_shared<mmf::reference::CallbackExporter>(
      [&](std::span<const mmf::SpanView> spans, const mmf::Resource& resource,
          const mmf::InstrumentationScope& scope) {
        if (spans.size() != kSpans || ran) return;
        ran = true;
        loop(spans, resource, scope);
      });
  mmf::Tracer tracer({.exporter = exporter,
                      .resource = bench_resource(),
                      .batch = {.max_queue_size = 4 * kSpans, .max_export_batch_size = 4 * kSpans},
                      .scope_version = "0.1.0"});
  record_spans(tracer);
  tracer.force_flush();
  if (!ran) state.SkipWithError("the spans did not arrive as one batch");
}

void report(benchmark::State& state, std::size_t output_bytes) {
  const auto spans = static_cast<double>(state.iterations()) * kSpans;
  state.counters["ns/span"] =
      benchmark::Counter(spans, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes/span"] = static_cast<double>(output_bytes) / kSpans;
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(output_bytes));
}

// The floor: reading every part of every view as the encoders do, writing nothing. What the
// encoders cost beyond this is the encoding itself.
void BM_OtlpTraces_ReadViewsOnly(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource&, const auto&) {
    std::size_t total = 0;
    const auto on_attribute = [&](std::string_view key, const mmf::AttributeValue& value) {
      total += key.size() + static_cast<std::size_t>(value.type());
    };
    AllocationMeter meter;
    for (auto _ : state) {
      for (const mmf::SpanView& span : spans) {
        total += span.name().size() + span.trace_state().size() + span.status_message().size();
        span.for_each_attribute(on_attribute);
        span.for_each_event([&](const mmf::SpanEventView& event) { total += event.name.size(); },
                            on_attribute);
        span.for_each_link([&](const mmf::SpanLinkView& link) { total += link.trace_state.size(); },
                           on_attribute);
      }
      benchmark::DoNotOptimize(total);
    }
    meter.report(state);
    report(state, 0);
  });
}
BENCHMARK(BM_OtlpTraces_ReadViewsOnly)->UseRealTime();

void BM_OtlpTraces_Proto_Ours(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource& resource, const auto& scope) {
    std::string out;
    mmf::detail::encode_trace_request_proto(spans, resource, scope, out);  // warm: out's capacity
    AllocationMeter meter;
    for (auto _ : state) {
      mmf::detail::encode_trace_request_proto(spans, resource, scope, out);
      benchmark::DoNotOptimize(out.data());
    }
    meter.report(state);
    report(state, out.size());
  });
}
BENCHMARK(BM_OtlpTraces_Proto_Ours)->UseRealTime();

void BM_OtlpTraces_Proto_Libprotobuf(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource& resource, const auto& scope) {
    std::string out;
    AllocationMeter meter;
    for (auto _ : state) {
      ExportTraceServiceRequest request;
      mmf::reference::build_trace_request(spans, resource, scope, request);
      request.SerializeToString(&out);
      benchmark::DoNotOptimize(out.data());
    }
    meter.report(state);
    report(state, out.size());
  });
}
BENCHMARK(BM_OtlpTraces_Proto_Libprotobuf)->UseRealTime();

void BM_OtlpTraces_Proto_LibprotobufArena(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource& resource, const auto& scope) {
    std::string out;
    google::protobuf::ArenaOptions options;
    options.start_block_size = 256 * 1024;
    options.max_block_size = 1024 * 1024;
    AllocationMeter meter;
    for (auto _ : state) {
      google::protobuf::Arena arena(options);
      auto* request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena);
      mmf::reference::build_trace_request(spans, resource, scope, *request);
      request->SerializeToString(&out);
      benchmark::DoNotOptimize(out.data());
    }
    meter.report(state);
    report(state, out.size());
  });
}
BENCHMARK(BM_OtlpTraces_Proto_LibprotobufArena)->UseRealTime();

void BM_OtlpTraces_Proto_LibprotobufReused(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource& resource, const auto& scope) {
    std::string out;
    ExportTraceServiceRequest request;
    AllocationMeter meter;
    for (auto _ : state) {
      request.Clear();
      mmf::reference::build_trace_request(spans, resource, scope, request);
      request.SerializeToString(&out);
      benchmark::DoNotOptimize(out.data());
    }
    meter.report(state);
    report(state, out.size());
  });
}
BENCHMARK(BM_OtlpTraces_Proto_LibprotobufReused)->UseRealTime();

void BM_OtlpTraces_Json_Ours(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource& resource, const auto& scope) {
    std::string out;
    mmf::detail::encode_trace_request_json(spans, resource, scope, out);
    AllocationMeter meter;
    for (auto _ : state) {
      mmf::detail::encode_trace_request_json(spans, resource, scope, out);
      benchmark::DoNotOptimize(out.data());
    }
    meter.report(state);
    report(state, out.size());
  });
}
BENCHMARK(BM_OtlpTraces_Json_Ours)->UseRealTime();

void BM_OtlpTraces_Json_Libprotobuf(benchmark::State& state) {
  run_on_exported_batch(state, [&](auto spans, const mmf::Resource& resource, const auto& scope) {
    std::string out;
    ExportTraceServiceRequest request;
    AllocationMeter meter;
    for (auto _ : state) {
      request.Clear();
      mmf::reference::build_trace_request(spans, resource, scope, request);
      out.clear();
      (void)google::protobuf::util::MessageToJsonString(request, &out);
      benchmark::DoNotOptimize(out.data());
    }
    meter.report(state);
    report(state, out.size());
  });
}
BENCHMARK(BM_OtlpTraces_Json_Libprotobuf)->UseRealTime();

}  // namespace
