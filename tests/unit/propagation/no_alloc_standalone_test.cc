// The allocation promises of the request path (docs/performance.md): extracting a traceparent
// with no tracestate or baggage, parsing and formatting a traceparent into a buffer, reading the
// correlation ID and making a moved-in Context current allocate nothing.
//
// A program of its own (tests/unit/CMakeLists.txt) because it replaces the global operator new
// and delete with counting versions. Carriers and Contexts are built before counting starts,
// and each operation runs once before it is counted, so one-time initialisation (function-local
// statics) does not count. Results are checked only after counting stops, so that the
// assertions themselves cannot allocate inside the measured window.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/context.h"
#include "mmf/propagation.h"
#include "mmf/trace_context.h"

namespace {

std::atomic<std::size_t> g_allocations{0};

void* counted_malloc(std::size_t size) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

void* counted_malloc_or_throw(std::size_t size) {
  void* block = counted_malloc(size);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

}  // namespace

// The forms the code under test can reach. Over-aligned forms are left to the standard library,
// whose own aligned new and delete pair with each other.
void* operator new(std::size_t size) { return counted_malloc_or_throw(size); }
void* operator new[](std::size_t size) { return counted_malloc_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_malloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_malloc(size);
}
void operator delete(void* block) noexcept { std::free(block); }
void operator delete[](void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t) noexcept { std::free(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept { std::free(block); }
void operator delete[](void* block, const std::nothrow_t&) noexcept { std::free(block); }

namespace mmf {
namespace {

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kTracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

// Allocations made since construction.
class AllocationCounter {
 public:
  AllocationCounter() noexcept : start_(g_allocations.load(std::memory_order_relaxed)) {}
  std::size_t count() const noexcept {
    return g_allocations.load(std::memory_order_relaxed) - start_;
  }

 private:
  std::size_t start_;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

HeaderList request_headers(bool with_tracestate) {
  HeaderList headers = {{"Host", "payments.internal.example.com"},
                        {"User-Agent", "curl/7.88.1"},
                        {"Accept", "application/json"},
                        {"Content-Type", "application/json"},
                        {"traceparent", std::string(kTraceparent)}};
  if (with_tracestate) headers.emplace_back("tracestate", kTracestate);
  return headers;
}

TEST(NoAllocation, CounterSeesAnAllocationMadeInsideTheLibrary) {
  const SpanContext span_context = parse_traceparent(kTraceparent).value();
  static_cast<void>(format_traceparent(span_context));  // warm-up
  AllocationCounter counter;
  const std::string text = format_traceparent(span_context);  // 55 characters: on the heap
  const std::size_t allocations = counter.count();
  EXPECT_EQ(text, kTraceparent);
  EXPECT_GE(allocations, 1u);
}

TEST(NoAllocation, ExtractWithShortTracestateAllocatesNothing) {
  const HeaderList carrier = request_headers(/*with_tracestate=*/true);
  static_cast<void>(extract_trace_context(carrier));  // warm-up
  AllocationCounter counter;
  const SpanContext span_context = extract_trace_context(carrier);
  const std::size_t allocations = counter.count();
  EXPECT_EQ(span_context.trace_state.header(), kTracestate);
  EXPECT_EQ(allocations, 0u) << "a tracestate of " << kTracestate.size()
                             << " characters fits inside the TraceState";
}

TEST(NoAllocation, ExtractWithTracestateLongerThanInlineStorageAllocatesOnce) {
  HeaderList carrier = request_headers(/*with_tracestate=*/false);
  std::string long_tracestate = "vendor=" + std::string(TraceState::kInlineSize, 'x');
  carrier.emplace_back("tracestate", long_tracestate);
  static_cast<void>(extract_trace_context(carrier));  // warm-up
  AllocationCounter counter;
  const SpanContext span_context = extract_trace_context(carrier);
  const std::size_t allocations = counter.count();
  EXPECT_EQ(span_context.trace_state.header(), long_tracestate);
  EXPECT_EQ(allocations, 1u) << "the counter does not see the tracestate's copy";
}

TEST(NoAllocation, ExtractTraceparentWithoutTracestateFromVectorAllocatesNothing) {
  const HeaderList carrier = request_headers(/*with_tracestate=*/false);
  static_cast<void>(extract_trace_context(carrier));  // warm-up
  AllocationCounter counter;
  const SpanContext span_context = extract_trace_context(carrier);
  const std::size_t allocations = counter.count();
  EXPECT_EQ(allocations, 0u);
  ASSERT_TRUE(span_context.is_valid());
  EXPECT_EQ(span_context.trace_id.to_hex(), kTraceId);
  EXPECT_TRUE(span_context.trace_state.empty());
}

TEST(NoAllocation, ExtractTraceparentWithoutTracestateFromMapAllocatesNothing) {
  const HeaderList list = request_headers(/*with_tracestate=*/false);
  const std::map<std::string, std::string> carrier(list.begin(), list.end());
  static_cast<void>(extract_trace_context(carrier));  // warm-up
  AllocationCounter counter;
  const SpanContext span_context = extract_trace_context(carrier);
  const std::size_t allocations = counter.count();
  EXPECT_EQ(allocations, 0u);
  ASSERT_TRUE(span_context.is_valid());
  EXPECT_EQ(span_context.trace_id.to_hex(), kTraceId);
}

TEST(NoAllocation, ParseTraceparentAllocatesNothing) {
  static_cast<void>(parse_traceparent(kTraceparent));  // warm-up
  AllocationCounter counter;
  const std::optional<SpanContext> parsed = parse_traceparent(kTraceparent);
  const std::size_t allocations = counter.count();
  EXPECT_EQ(allocations, 0u);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_sampled());
}

TEST(NoAllocation, FormatTraceparentIntoBufferAllocatesNothing) {
  const SpanContext span_context = parse_traceparent(kTraceparent).value();
  std::array<char, kTraceparentSize> buffer{};
  format_traceparent(span_context, buffer);  // warm-up
  buffer.fill('\0');
  AllocationCounter counter;
  format_traceparent(span_context, buffer);
  const std::size_t allocations = counter.count();
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(std::string_view(buffer.data(), buffer.size()), kTraceparent);
}

Context request_context() {
  return Context()
      .with_span_context(parse_traceparent(kTraceparent).value())
      .with_correlation_id("req_12345");
}

TEST(NoAllocation, ReadingTheCorrelationIdAllocatesNothing) {
  ContextScope scope(request_context());
  static_cast<void>(get_correlation_id());  // warm-up
  AllocationCounter counter;
  const std::string& id = get_correlation_id();
  const std::size_t allocations = counter.count();
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(id, "req_12345");
}

TEST(NoAllocation, ScopeWithMovedInContextAllocatesNothing) {
  Context warm_up = request_context();
  { ContextScope scope(std::move(warm_up)); }
  Context context = request_context();
  Context keep = context;  // so that the scope's end does not free the block either
  bool was_current = false;
  AllocationCounter counter;
  {
    ContextScope scope(std::move(context));
    was_current = Context::current().same_as(keep);
  }
  const std::size_t allocations = counter.count();
  EXPECT_EQ(allocations, 0u);
  EXPECT_TRUE(was_current);
  EXPECT_TRUE(Context::current().empty());
}

}  // namespace
}  // namespace mmf
