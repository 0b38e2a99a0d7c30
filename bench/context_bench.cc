// The per-request costs of mmf::Context: reading a field of the current Context, making a
// Context current and restoring the previous one, copying it, handing it to other work with
// mmf::bind, and generating IDs. docs/performance.md lists the targets and the figures.
//
// Each benchmark checks its result once before the timed loop and fails loudly
// (SkipWithError) when the code under test does not do what the figure claims. Every one
// reports allocs/op and bytes/op (bench/alloc_counter.h).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/alloc_counter.h"
#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/propagation.h"

namespace {

using mmf::bench::AllocationMeter;

constexpr const char* kCorrelationId = "req_12345";
constexpr const char* kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// A Context as a request handler sees it: a remote trace, a correlation ID and a user ID.
mmf::Context make_request_context() {
  mmf::SpanContext span_context = mmf::parse_traceparent(kTraceparent).value();
  return mmf::Context()
      .with_span_context(span_context)
      .with_correlation_id(kCorrelationId)
      .with_user_id("user_67890");
}

// One Context shared by every thread of a multi-threaded benchmark (its reference count is
// what they contend on). Built on first use and never destroyed before the program ends.
const mmf::Context& shared_context() {
  static const mmf::Context context = make_request_context();
  return context;
}

bool current_is(const mmf::Context& expected) { return mmf::Context::current().same_as(expected); }

// --- Reading the correlation ID -------------------------------------------------------------

// The target: <= 2 ns. get_correlation_id() is an inline thread-local read; the loop keeps the
// compiler from hoisting it (the memory clobber forces the thread-local slot to be reloaded).
void BM_GetCorrelationId(benchmark::State& state) {
  mmf::ContextScope scope(state.threads() > 1 ? shared_context() : make_request_context());
  if (mmf::get_correlation_id() != kCorrelationId) {
    state.SkipWithError("get_correlation_id() does not return the current Context's ID");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    const std::string& id = mmf::get_correlation_id();
    benchmark::DoNotOptimize(id.data());
    benchmark::DoNotOptimize(id.size());
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_GetCorrelationId);
BENCHMARK(BM_GetCorrelationId)->Threads(2);

void BM_GetCorrelationId_NoCurrentContext(benchmark::State& state) {
  if (!mmf::Context::current().empty() || !mmf::get_correlation_id().empty()) {
    state.SkipWithError("a Context is current outside every scope");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    const std::string& id = mmf::get_correlation_id();
    benchmark::DoNotOptimize(id.data());
    benchmark::DoNotOptimize(id.size());
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_GetCorrelationId_NoCurrentContext);

// Keeping the ID beyond the scope means copying it. A 36-character UUIDv7 does not fit in the
// small-string buffer, so this allocates; "req_12345" does not. Secondary figure.
void BM_GetCorrelationId_CopyUuid(benchmark::State& state) {
  mmf::ContextScope scope(mmf::Context().with_correlation_id(mmf::new_uuid_v7()));
  if (!mmf::is_uuid(mmf::get_correlation_id())) {
    state.SkipWithError("the current correlation ID is not a UUID");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    std::string copy = mmf::get_correlation_id();
    benchmark::DoNotOptimize(copy);
  }
  meter.report(state);
}
BENCHMARK(BM_GetCorrelationId_CopyUuid);

// --- Making a Context current ---------------------------------------------------------------

// The target: <= 10 ns. The realistic case: a handler makes a Context it keeps (an lvalue)
// current, so the scope copies it (one reference count increment, one decrement at the end).
void BM_ContextScope_Lvalue(benchmark::State& state) {
  const mmf::Context context = make_request_context();
  {
    mmf::ContextScope scope(context);
    if (!current_is(context) || mmf::get_correlation_id() != kCorrelationId) {
      state.SkipWithError("ContextScope did not make the Context current");
      return;
    }
  }
  if (!mmf::Context::current().empty()) {
    state.SkipWithError("ContextScope did not restore the previous Context");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::ContextScope scope(context);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_ContextScope_Lvalue);

// A Context moved into the scope (say, straight from Propagator::extract) costs no increment,
// only the decrement when the scope ends. To measure just that, the loop moves in copies made
// in batches while the timer is paused; the pause is amortised over kBatch iterations.
void BM_ContextScope_MovedIn(benchmark::State& state) {
  constexpr std::size_t kBatch = 4096;
  const mmf::Context context = make_request_context();
  std::vector<mmf::Context> copies(kBatch, context);
  {
    mmf::Context moved = context;
    mmf::ContextScope scope(std::move(moved));
    if (!moved.empty() || !current_is(context)) {
      state.SkipWithError("ContextScope did not take the moved-in Context");
      return;
    }
  }
  std::size_t next = 0;
  AllocationMeter meter;
  for (auto _ : state) {
    if (next == kBatch) {
      state.PauseTiming();
      for (mmf::Context& copy : copies) copy = context;
      next = 0;
      state.ResumeTiming();
    }
    mmf::ContextScope scope(std::move(copies[next++]));
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_ContextScope_MovedIn);

// Two threads each scoping the same Context: both increment and decrement one reference count,
// so its cache line moves between the cores on every scope. Compare with the per-thread
// variant below, where each thread has its own Context.
void BM_ContextScope_SharedContext(benchmark::State& state) {
  const mmf::Context& context = shared_context();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::ContextScope scope(context);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_ContextScope_SharedContext)->Threads(2);

void BM_ContextScope_PerThreadContext(benchmark::State& state) {
  const mmf::Context context = make_request_context();
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::ContextScope scope(context);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_ContextScope_PerThreadContext)->Threads(2);

// A CorrelationScope builds a child Context (a new block, the fields copied, a UUIDv7 request
// ID): it allocates. No target; reported so that handlers know what a scope costs.
void BM_CorrelationScope_WithFields(benchmark::State& state) {
  const mmf::CorrelationFields fields{.operation_name = "process_payment",
                                      .correlation_id = "req_12345",
                                      .user_id = "user_67890",
                                      .session_id = "sess_abcdef",
                                      .business_context = {{"cart_id", "c-9"}}};
  {
    mmf::CorrelationScope scope(fields);
    if (mmf::get_correlation_id() != kCorrelationId || mmf::get_user_id() != "user_67890" ||
        mmf::get_business_context().size() != 1) {
      state.SkipWithError("CorrelationScope did not set its fields");
      return;
    }
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::CorrelationScope scope(fields);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_CorrelationScope_WithFields);

// A nested step inside a request: only the operation name is set, the rest is inherited.
void BM_CorrelationScope_NestedStep(benchmark::State& state) {
  mmf::ContextScope request(make_request_context());
  const mmf::CorrelationFields fields{.operation_name = "validate"};
  {
    mmf::CorrelationScope scope(fields);
    if (mmf::get_correlation_id() != kCorrelationId || !mmf::is_uuid(mmf::get_request_id())) {
      state.SkipWithError("a nested CorrelationScope did not inherit the correlation ID");
      return;
    }
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::CorrelationScope scope(fields);
    benchmark::ClobberMemory();
  }
  meter.report(state);
}
BENCHMARK(BM_CorrelationScope_NestedStep);

// --- Copying the current Context ------------------------------------------------------------

void BM_ContextCurrent_Copy(benchmark::State& state) {
  mmf::ContextScope scope(state.threads() > 1 ? shared_context() : make_request_context());
  if (mmf::Context::current().correlation_id() != kCorrelationId) {
    state.SkipWithError("Context::current() is not the scoped Context");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::Context copy = mmf::Context::current();
    benchmark::DoNotOptimize(copy);
  }
  meter.report(state);
}
BENCHMARK(BM_ContextCurrent_Copy);
BENCHMARK(BM_ContextCurrent_Copy)->Threads(2);

// --- Hand-off with mmf::bind ----------------------------------------------------------------

// The baseline: the same task called directly, without carrying a Context.
void BM_Bind_Baseline_DirectCall(benchmark::State& state) {
  mmf::ContextScope scope(make_request_context());
  benchmark::IterationCount calls = 0;
  auto task = [&calls] {
    ++calls;
    return mmf::get_correlation_id().size();
  };
  AllocationMeter meter;
  for (auto _ : state) {
    benchmark::DoNotOptimize(task());
  }
  meter.report(state);
  if (calls != state.iterations()) state.SkipWithError("the task did not run once per iteration");
}
BENCHMARK(BM_Bind_Baseline_DirectCall);

// Wrapping a task with the current Context and running it: what posting work to a pool adds
// per task (the queue itself not included). The task reads the correlation ID, as logging would.
void BM_Bind_WrapAndRun(benchmark::State& state) {
  mmf::ContextScope scope(make_request_context());
  benchmark::IterationCount calls = 0;
  auto work = [&calls] {
    ++calls;
    return mmf::get_correlation_id().size();
  };
  {
    auto task = mmf::bind(work);
    mmf::ContextScope elsewhere{mmf::Context()};  // as on a pool thread with no Context
    if (task() != std::string(kCorrelationId).size() || !mmf::get_correlation_id().empty()) {
      state.SkipWithError("mmf::bind did not carry the Context into the task");
      return;
    }
  }
  calls = 0;
  AllocationMeter meter;
  for (auto _ : state) {
    auto task = mmf::bind(work);
    benchmark::DoNotOptimize(task());
  }
  meter.report(state);
  if (calls != state.iterations()) state.SkipWithError("the task did not run once per iteration");
}
BENCHMARK(BM_Bind_WrapAndRun);

// Running an already bound task (a callback kept and called many times): one scope per call.
// With two threads each running its own copy bound to one shared Context, they contend on its
// reference count, as in BM_ContextScope_SharedContext.
void BM_Bind_Run(benchmark::State& state) {
  const mmf::Context context = state.threads() > 1 ? shared_context() : make_request_context();
  benchmark::IterationCount calls = 0;
  auto task = mmf::bind(context, [&calls] {
    ++calls;
    return mmf::get_correlation_id().size();
  });
  if (task() != std::string(kCorrelationId).size() || !mmf::Context::current().empty()) {
    state.SkipWithError("mmf::bind did not carry the Context into the task");
    return;
  }
  calls = 0;
  AllocationMeter meter;
  for (auto _ : state) {
    benchmark::DoNotOptimize(task());
  }
  meter.report(state);
  if (calls != state.iterations()) state.SkipWithError("the task did not run once per iteration");
}
BENCHMARK(BM_Bind_Run);
BENCHMARK(BM_Bind_Run)->Threads(2);

// --- ID generation --------------------------------------------------------------------------

// A UUIDv7 correlation or request ID: 36 characters, so one allocation for the std::string.
void BM_NewUuidV7(benchmark::State& state) {
  const std::string first = mmf::new_uuid_v7();
  const std::string second = mmf::new_uuid_v7();
  if (!mmf::is_uuid(first) || first[14] != '7' || !(first < second)) {
    state.SkipWithError("new_uuid_v7() does not make ordered version-7 UUIDs");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    std::string id = mmf::new_uuid_v7();
    benchmark::DoNotOptimize(id);
  }
  meter.report(state);
}
BENCHMARK(BM_NewUuidV7);
BENCHMARK(BM_NewUuidV7)->Threads(2);

void BM_NewTraceId(benchmark::State& state) {
  const mmf::TraceId first = mmf::new_trace_id();
  if (!first.is_valid() || first == mmf::new_trace_id()) {
    state.SkipWithError("new_trace_id() does not make fresh valid IDs");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::TraceId id = mmf::new_trace_id();
    benchmark::DoNotOptimize(id);
  }
  meter.report(state);
}
BENCHMARK(BM_NewTraceId);

void BM_NewSpanId(benchmark::State& state) {
  const mmf::SpanId first = mmf::new_span_id();
  if (!first.is_valid() || first == mmf::new_span_id()) {
    state.SkipWithError("new_span_id() does not make fresh valid IDs");
    return;
  }
  AllocationMeter meter;
  for (auto _ : state) {
    mmf::SpanId id = mmf::new_span_id();
    benchmark::DoNotOptimize(id);
  }
  meter.report(state);
}
BENCHMARK(BM_NewSpanId);

}  // namespace
