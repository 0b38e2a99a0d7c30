// The cost of crossing a process boundary: reading the W3C trace context from an incoming
// request's headers and writing it into an outgoing request's. docs/performance.md lists the
// targets and the figures.
//
// The headline carrier is what an HTTP server and client really hold: the request's headers as
// a small flat vector of name/value strings (HttpHeaders below), eleven everyday headers
// plus the trace headers, and an outgoing header array that keeps its slots and their capacity
// from one request to the next. Secondary figures use std::map carriers, which allocate a node
// per written header.
//
// Each benchmark checks its result once before the timed loop and fails loudly
// (SkipWithError) when the code under test does not do what the figure claims. Every one
// reports allocs/op and bytes/op (bench/alloc_counter.h).
#include <benchmark/benchmark.h>

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/alloc_counter.h"
#include "mmf/carrier.h"
#include "mmf/context.h"
#include "mmf/propagation.h"
#include "mmf/trace_context.h"

namespace mmf::bench {

// An HTTP message's header list, as servers and clients keep it: name/value pairs in order.
struct HttpHeaders {
  std::vector<std::pair<std::string, std::string>> fields;
};

}  // namespace mmf::bench

namespace mmf {

// set() overwrites the value of an existing header in place (the strings keep their capacity)
// and appends only a header that is not there yet: what an HTTP client's reusable header array
// does. The first header of that name, in any case, is the one replaced.
template <>
struct CarrierTraits<bench::HttpHeaders> {
  template <class Fn>
  static void for_each(const bench::HttpHeaders& carrier, Fn&& fn) {
    for (const auto& [name, value] : carrier.fields) fn(std::string_view(name), value);
  }
  static void set(bench::HttpHeaders& carrier, std::string_view name, std::string_view value) {
    for (auto& [existing, old_value] : carrier.fields) {
      if (iequals(existing, name)) {
        old_value.assign(value);
        return;
      }
    }
    carrier.fields.emplace_back(name, value);
  }
};

}  // namespace mmf

namespace {

using mmf::bench::AllocationMeter;
using mmf::bench::HttpHeaders;

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kTracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
constexpr std::string_view kBaggage = "userId=alice,serverNode=DF%2028,isProduction=false";
constexpr std::string_view kCorrelationId = "req_12345";
constexpr std::string_view kRequestId = "0190b4c2-7a1e-7c3d-9f2a-3b4c5d6e7f80";
constexpr std::string_view kUserId = "user_67890";

struct RequestShape {
  bool tracestate = true;
  bool baggage_and_correlation = false;
};

// Eleven everyday request headers, then the trace (and optionally correlation) headers.
std::vector<std::pair<std::string, std::string>> request_headers(RequestShape shape) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "payments.internal.example.com"},
      {"User-Agent",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36"},
      {"Accept", "application/json"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"Content-Type", "application/json"},
      {"Content-Length", "348"},
      {"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzY3ODkwIn0.c2lnbmF0dXJl"},
      {"Cache-Control", "no-cache"},
      {"Connection", "keep-alive"},
      {"X-Forwarded-For", "203.0.113.195"},
      {"traceparent", std::string(kTraceparent)},
  };
  if (shape.tracestate) headers.emplace_back("tracestate", kTracestate);
  if (shape.baggage_and_correlation) {
    headers.emplace_back("baggage", kBaggage);
    headers.emplace_back("X-Correlation-ID", kCorrelationId);
    headers.emplace_back("X-Request-ID", kRequestId);
    headers.emplace_back("X-User-ID", kUserId);
  }
  return headers;
}

// The headers an HTTP client sets on an outgoing call before the propagator adds its own.
HttpHeaders outgoing_headers() {
  HttpHeaders headers;
  headers.fields.reserve(16);
  headers.fields = {
      {"Host", "ledger.internal.example.com"},
      {"User-Agent", "payment-service/2.1.0"},
      {"Accept", "application/json"},
      {"Content-Type", "application/json"},
      {"Content-Length", "212"},
  };
  return headers;
}

template <class Carrier>
std::optional<std::string_view> header(const Carrier& carrier, std::string_view name) {
  std::optional<std::string_view> found;
  mmf::CarrierTraits<Carrier>::for_each(carrier, [&](std::string_view n, std::string_view v) {
    if (!found && mmf::iequals(n, name)) found = v;
  });
  return found;
}

bool is_expected_trace(const mmf::SpanContext& span_context) {
  return span_context.is_valid() && span_context.trace_id.to_hex() == kTraceId &&
         span_context.is_sampled() && span_context.is_remote;
}

// True when carrier holds exactly the trace headers that were received.
template <class Carrier>
bool carries_trace(const Carrier& carrier, bool tracestate) {
  if (header(carrier, "traceparent") != kTraceparent) return false;
  return tracestate ? header(carrier, "tracestate") == kTracestate
                    : !header(carrier, "tracestate").has_value();
}

// --- extract + inject of the W3C trace context (the headline) -------------------------------

// What a proxy or any service does per request and outgoing call: read traceparent and
// tracestate, write them out. The target: <= 40 ns with a tracestate.
template <class In, class Out>
void run_extract_inject(benchmark::State& state, const In& incoming, Out& outgoing,
                        bool tracestate) {
  {
    const mmf::SpanContext span_context = mmf::extract_trace_context(incoming);
    mmf::inject_trace_context(span_context, outgoing);
    if (!is_expected_trace(span_context) || !carries_trace(outgoing, tracestate)) {
      state.SkipWithError("extract+inject did not carry the trace context across");
      return;
    }
  }
  AllocationMeter meter;
  for (auto _ : state) {
    const mmf::SpanContext span_context = mmf::extract_trace_context(incoming);
    mmf::inject_trace_context(span_context, outgoing);
    benchmark::DoNotOptimize(outgoing);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}

void BM_ExtractInject_TraceparentTracestate(benchmark::State& state) {
  const HttpHeaders incoming{request_headers({.tracestate = true})};
  HttpHeaders outgoing = outgoing_headers();
  run_extract_inject(state, incoming, outgoing, true);
}
BENCHMARK(BM_ExtractInject_TraceparentTracestate);

void BM_ExtractInject_TraceparentOnly(benchmark::State& state) {
  const HttpHeaders incoming{request_headers({.tracestate = false})};
  HttpHeaders outgoing = outgoing_headers();
  run_extract_inject(state, incoming, outgoing, false);
}
BENCHMARK(BM_ExtractInject_TraceparentOnly);

// The propagation work alone, in the shape of the OpenTelemetry C++ SDK's figure: the incoming
// carrier holds just traceparent and tracestate, the outgoing one starts empty (and keeps its
// two slots from one iteration to the next). The difference from the headline is what walking
// eleven more headers and writing into a five-header array cost.
void BM_ExtractInject_TraceHeadersOnly(benchmark::State& state) {
  const HttpHeaders incoming{
      {{"traceparent", std::string(kTraceparent)}, {"tracestate", std::string(kTracestate)}}};
  HttpHeaders outgoing;
  outgoing.fields.reserve(4);
  run_extract_inject(state, incoming, outgoing, true);
}
BENCHMARK(BM_ExtractInject_TraceHeadersOnly);

// Secondary: std::map carriers. Injection erases and re-inserts each header: a node and a
// value string per header, every time.
void BM_ExtractInject_StdMap_TraceparentTracestate(benchmark::State& state) {
  const auto list = request_headers({.tracestate = true});
  const std::map<std::string, std::string> incoming(list.begin(), list.end());
  const HttpHeaders out = outgoing_headers();
  std::map<std::string, std::string> outgoing(out.fields.begin(), out.fields.end());
  run_extract_inject(state, incoming, outgoing, true);
}
BENCHMARK(BM_ExtractInject_StdMap_TraceparentTracestate);

// The two halves of the headline, for the breakdown.
void BM_Extract_TraceparentTracestate(benchmark::State& state) {
  const HttpHeaders incoming{request_headers({.tracestate = true})};
  const mmf::SpanContext checked = mmf::extract_trace_context(incoming);
  if (!is_expected_trace(checked) || checked.trace_state.header() != kTracestate) {
    state.SkipWithError("extract_trace_context did not read traceparent and tracestate");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::SpanContext span_context = mmf::extract_trace_context(incoming);
    benchmark::DoNotOptimize(span_context);
  }
  meter.report(state);
}
BENCHMARK(BM_Extract_TraceparentTracestate);

// The no-allocation target: a request with a traceparent and no tracestate or baggage.
void BM_Extract_TraceparentOnly(benchmark::State& state) {
  const HttpHeaders incoming{request_headers({.tracestate = false})};
  const mmf::SpanContext checked = mmf::extract_trace_context(incoming);
  if (!is_expected_trace(checked) || !checked.trace_state.empty()) {
    state.SkipWithError("extract_trace_context did not read the traceparent");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::SpanContext span_context = mmf::extract_trace_context(incoming);
    benchmark::DoNotOptimize(span_context);
  }
  meter.report(state);
}
BENCHMARK(BM_Extract_TraceparentOnly);

void BM_Inject_TraceparentTracestate(benchmark::State& state) {
  const mmf::SpanContext span_context =
      mmf::extract_trace_context(HttpHeaders{request_headers({.tracestate = true})});
  HttpHeaders outgoing = outgoing_headers();
  mmf::inject_trace_context(span_context, outgoing);
  if (!carries_trace(outgoing, true)) {
    state.SkipWithError("inject_trace_context did not write traceparent and tracestate");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::inject_trace_context(span_context, outgoing);
    benchmark::DoNotOptimize(outgoing);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_Inject_TraceparentTracestate);

// --- traceparent alone -----------------------------------------------------------------------

void BM_ParseTraceparent(benchmark::State& state) {
  const std::string value(kTraceparent);
  const std::optional<mmf::SpanContext> checked = mmf::parse_traceparent(value);
  if (!checked || !is_expected_trace(*checked)) {
    state.SkipWithError("parse_traceparent refused a valid traceparent");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    std::string_view input = value;
    benchmark::DoNotOptimize(input);
    std::optional<mmf::SpanContext> parsed = mmf::parse_traceparent(input);
    benchmark::DoNotOptimize(parsed);
  }
  meter.report(state);
}
BENCHMARK(BM_ParseTraceparent);

void BM_FormatTraceparent(benchmark::State& state) {
  const mmf::SpanContext span_context = mmf::parse_traceparent(kTraceparent).value();
  std::array<char, mmf::kTraceparentSize> buffer{};
  mmf::format_traceparent(span_context, buffer);
  if (std::string_view(buffer.data(), buffer.size()) != kTraceparent) {
    state.SkipWithError("format_traceparent wrote something else than what was parsed");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::format_traceparent(span_context, buffer);
    benchmark::DoNotOptimize(buffer);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_FormatTraceparent);

// Secondary: the convenience overload that returns a std::string (55 characters: allocates).
void BM_FormatTraceparent_String(benchmark::State& state) {
  const mmf::SpanContext span_context = mmf::parse_traceparent(kTraceparent).value();
  if (mmf::format_traceparent(span_context) != kTraceparent) {
    state.SkipWithError("format_traceparent wrote something else than what was parsed");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    std::string text = mmf::format_traceparent(span_context);
    benchmark::DoNotOptimize(text);
  }
  meter.report(state);
}
BENCHMARK(BM_FormatTraceparent_String);

// --- The full Propagator -----------------------------------------------------------------------

bool is_expected_request(const mmf::Context& context) {
  return is_expected_trace(context.span_context()) &&
         context.span_context().trace_state.header() == kTracestate &&
         context.correlation_id() == kCorrelationId && context.request_id() == kRequestId &&
         context.user_id() == kUserId && context.baggage().size() == 3 &&
         context.baggage().get("serverNode") == "DF 28" &&
         context.correlation_origin() == mmf::CorrelationOrigin::kIncoming;
}

bool carries_request(const HttpHeaders& outgoing) {
  const std::optional<std::string_view> baggage = header(outgoing, "baggage");
  return carries_trace(outgoing, true) && header(outgoing, "X-Correlation-ID") == kCorrelationId &&
         header(outgoing, "X-Request-ID") == kRequestId &&
         header(outgoing, "X-User-ID") == kUserId && baggage.has_value() &&
         baggage->find("mmf.correlation_id=req_12345") != std::string_view::npos &&
         baggage->find("serverNode=DF%2028") != std::string_view::npos;
}

// A middleware's work per request and outgoing call: every header it understands read into a
// new Context (this allocates: the Context block and its strings), then written out again.
void BM_Propagator_ExtractInject_FullRequest(benchmark::State& state) {
  const mmf::Propagator propagator;
  const HttpHeaders incoming{
      request_headers({.tracestate = true, .baggage_and_correlation = true})};
  HttpHeaders outgoing = outgoing_headers();
  {
    const mmf::Context context = propagator.extract(incoming);
    propagator.inject(context, outgoing);
    if (!is_expected_request(context) || !carries_request(outgoing)) {
      state.SkipWithError("Propagator extract+inject lost part of the request's Context");
      return;
    }
  }
  AllocationMeter meter;
  for (auto _ : state) {
    const mmf::Context context = propagator.extract(incoming);
    propagator.inject(context, outgoing);
    benchmark::DoNotOptimize(outgoing);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_Propagator_ExtractInject_FullRequest);

void BM_Propagator_Extract_FullRequest(benchmark::State& state) {
  const mmf::Propagator propagator;
  const HttpHeaders incoming{
      request_headers({.tracestate = true, .baggage_and_correlation = true})};
  if (!is_expected_request(propagator.extract(incoming))) {
    state.SkipWithError("Propagator::extract lost part of the request's Context");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Context context = propagator.extract(incoming);
    benchmark::DoNotOptimize(context);
  }
  meter.report(state);
}
BENCHMARK(BM_Propagator_Extract_FullRequest);

void BM_Propagator_Inject_FullRequest(benchmark::State& state) {
  const mmf::Propagator propagator;
  const mmf::Context context = propagator.extract(
      HttpHeaders{request_headers({.tracestate = true, .baggage_and_correlation = true})});
  HttpHeaders outgoing = outgoing_headers();
  propagator.inject(context, outgoing);
  if (!carries_request(outgoing)) {
    state.SkipWithError("Propagator::inject lost part of the request's Context");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    propagator.inject(context, outgoing);
    benchmark::DoNotOptimize(outgoing);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_Propagator_Inject_FullRequest);

}  // namespace
