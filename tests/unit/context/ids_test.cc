#include "mmf/ids.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "context/fast_ids.h"
#include "unit/fork_support.h"

namespace mmf {
namespace {

std::uint64_t uuid_millis(const std::string& uuid) {
  const std::string hex = uuid.substr(0, 8) + uuid.substr(9, 4);
  return std::stoull(hex, nullptr, 16);
}

TEST(UuidV7, HasTheRfc9562Layout) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_uuid_v7();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;                                                         // version
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;  // variant
    for (char c : id) EXPECT_FALSE(c >= 'A' && c <= 'F') << id;  // lowercase
  }
}

TEST(UuidV7, CarriesTheCurrentUnixTimeInMilliseconds) {
  using namespace std::chrono;
  const auto before = static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  const std::string id = new_uuid_v7();
  const auto after = static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  EXPECT_GE(uuid_millis(id), before);
  EXPECT_LE(uuid_millis(id), after);
}

TEST(UuidV7, IdsFromOneThreadSortInCreationOrder) {
  // Even when made faster than the 1/4096 ms resolution of the time fields.
  std::string previous = new_uuid_v7();
  for (int i = 0; i < 20000; ++i) {
    const std::string next = new_uuid_v7();
    ASSERT_LT(previous, next);
    previous = next;
  }
}

TEST(UuidV7, IsUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&results, t] {
      for (int i = 0; i < kPerThread; ++i) results[t].push_back(new_uuid_v7());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& list : results) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(IsUuid, RejectsMalformedText) {
  EXPECT_TRUE(is_uuid("0191E2F4-7A3B-7C00-8D2E-1234567890AB"));
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid("0191e2f4-7a3b-7c00-8d2e-1234567890a"));
  EXPECT_FALSE(is_uuid("0191e2f4_7a3b-7c00-8d2e-1234567890ab"));
  EXPECT_FALSE(is_uuid("0191e2f4-7a3b-7c00-8d2e-1234567890ag"));
}

TEST(TraceAndSpanIds, AreValidAndDistinct) {
  std::set<std::string> traces;
  std::set<std::string> spans;
  for (int i = 0; i < 10000; ++i) {
    const TraceId trace = new_trace_id();
    const SpanId span = new_span_id();
    ASSERT_TRUE(trace.is_valid());
    ASSERT_TRUE(span.is_valid());
    traces.insert(trace.to_hex());
    spans.insert(span.to_hex());
  }
  EXPECT_EQ(traces.size(), 10000U);
  EXPECT_EQ(spans.size(), 10000U);
}

TEST(TraceAndSpanIds, EveryBitVaries) {
  // A weak but useful randomness check: across many IDs, every bit is seen both set and clear.
  std::array<std::uint8_t, 16> ored{};
  std::array<std::uint8_t, 16> anded;
  anded.fill(0xff);
  for (int i = 0; i < 1000; ++i) {
    const TraceId id = new_trace_id();
    const auto& bytes = id.bytes();
    for (std::size_t b = 0; b < bytes.size(); ++b) {
      ored[b] |= bytes[b];
      anded[b] &= bytes[b];
    }
  }
  for (std::size_t b = 0; b < 16; ++b) {
    EXPECT_EQ(ored[b], 0xff) << b;
    EXPECT_EQ(anded[b], 0x00) << b;
  }
}

// The tracer draws a span's IDs inline (detail::new_span_ids): the span ID, then the two words
// of a trace ID. xoshiro256** outputs zero exactly when the state's second word is zero, so
// these states make the first draws zero: {a, 0, a, d} the span ID alone (the trace ID's
// first word too, but not its second), {a, 0, a, a} all three words.
void set_generator_state(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2, std::uint64_t s3) {
  detail::tls_rng.s[0] = s0;
  detail::tls_rng.s[1] = s1;
  detail::tls_rng.s[2] = s2;
  detail::tls_rng.s[3] = s3;
  detail::tls_rng.epoch = detail::g_seed_epoch.load();
}

TEST(TracerIds, AZeroSpanIdIsDrawnAgain) {
  const std::uint64_t a = 0x9e3779b97f4a7c15, d = 0x2545f4914f6cdd1d;
  set_generator_state(a, 0, a, d);
  TraceId trace;
  SpanId span;
  detail::new_span_ids(&trace, span);
  EXPECT_TRUE(span.is_valid());
  EXPECT_TRUE(trace.is_valid());  // its first word is zero, its second is not: kept as drawn
  EXPECT_EQ(trace.to_hex().substr(0, 16), std::string(16, '0'));

  set_generator_state(a, 0, a, d);
  SpanId child;
  detail::new_span_ids(nullptr, child);  // a child's span: its parent's trace ID, kept
  EXPECT_TRUE(child.is_valid());
}

TEST(TracerIds, AnAllZeroTraceIdIsDrawnAgain) {
  const std::uint64_t a = 0x9e3779b97f4a7c15;
  set_generator_state(a, 0, a, a);
  TraceId trace;
  SpanId span;
  detail::new_span_ids(&trace, span);
  EXPECT_TRUE(trace.is_valid());
  EXPECT_TRUE(span.is_valid());
  // And the generator goes on from where the redraw left it, not from the zero state.
  TraceId next;
  SpanId next_span;
  detail::new_span_ids(&next, next_span);
  EXPECT_TRUE(next.is_valid());
  EXPECT_NE(next, trace);
  EXPECT_NE(next_span, span);
}

// A new thread's generator is unseeded (all zeros): its first draw through the tracer's path
// comes out zero, and the redraw seeds it. Two threads get IDs of their own.
TEST(TracerIds, AThreadsFirstDrawSeedsItsGenerator) {
  const auto first_draw = [] {
    TraceId trace;
    SpanId span;
    std::thread([&] { detail::new_span_ids(&trace, span); }).join();
    return std::pair(trace, span);
  };
  const auto [trace_a, span_a] = first_draw();
  const auto [trace_b, span_b] = first_draw();
  EXPECT_TRUE(trace_a.is_valid());
  EXPECT_TRUE(span_a.is_valid());
  EXPECT_NE(trace_a, trace_b);
  EXPECT_NE(span_a, span_b);
  SpanId child;
  std::thread([&] { detail::new_span_ids(nullptr, child); }).join();
  EXPECT_TRUE(child.is_valid());
}

TEST(IdGeneration, AForkedChildDoesNotRepeatItsParentsIds) {
  new_trace_id();  // make sure this thread's generator is seeded before the fork
  const std::optional<std::string> child_id =
      testing_support::text_from_forked_child([] { return new_trace_id().to_hex(); });
  ASSERT_TRUE(child_id.has_value());
  EXPECT_EQ(child_id->size(), 32u);
  EXPECT_NE(*child_id, new_trace_id().to_hex());
}

TEST(DefaultIdGenerator, ProducesTheSameKindsOfIds) {
  IdGenerator& generator = default_id_generator();
  EXPECT_TRUE(generator.new_trace_id().is_valid());
  EXPECT_TRUE(generator.new_span_id().is_valid());
  EXPECT_TRUE(is_uuid(generator.new_correlation_id()));
}

}  // namespace
}  // namespace mmf
