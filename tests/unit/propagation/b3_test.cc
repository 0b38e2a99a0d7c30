// B3 (Zipkin) propagation, read only: the single "b3" header through parse_b3, and the
// X-B3-* multi-header form through Propagator::extract, with W3C traceparent taking precedence.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mmf/propagation.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

using testing_support::CounterDelta;
using testing_support::HeaderList;

constexpr std::string_view kTraceId = "80f198ee56343ba864fe8b2a57d3eff7";
constexpr std::string_view kTraceId64 = "64fe8b2a57d3eff7";
constexpr std::string_view kSpanId = "e457b5a2e4d86bd1";
constexpr std::string_view kParentId = "05e3ac9a4f6e3b90";

std::string b3(std::string_view trace, std::string_view span) {
  return std::string(trace) + "-" + std::string(span);
}

::testing::AssertionResult Rejected(std::string_view value) {
  const std::optional<SpanContext> parsed = parse_b3(value);
  if (!parsed) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "accepted \"" << value << "\"";
}

// --- the single header ------------------------------------------------------------------------

TEST(B3Single, ParsesTraceAndSpanIdsWithDeferredSampling) {
  const auto parsed = parse_b3(b3(kTraceId, kSpanId));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id.to_hex(), kTraceId);
  EXPECT_EQ(parsed->span_id.to_hex(), kSpanId);
  EXPECT_FALSE(parsed->is_sampled());
  EXPECT_TRUE(parsed->is_remote);
  EXPECT_TRUE(parsed->trace_state.empty());
}

TEST(B3Single, ParsesTheSamplingStates) {
  const auto sampled = parse_b3(b3(kTraceId, kSpanId) + "-1");
  ASSERT_TRUE(sampled.has_value());
  EXPECT_TRUE(sampled->is_sampled());

  const auto not_sampled = parse_b3(b3(kTraceId, kSpanId) + "-0");
  ASSERT_TRUE(not_sampled.has_value());
  EXPECT_FALSE(not_sampled->is_sampled());

  const auto debug = parse_b3(b3(kTraceId, kSpanId) + "-d");
  ASSERT_TRUE(debug.has_value());
  EXPECT_TRUE(debug->is_sampled());
}

TEST(B3Single, AcceptsAParentSpanIdAsFourthPart) {
  const auto parsed = parse_b3(b3(kTraceId, kSpanId) + "-1-" + std::string(kParentId));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->span_id.to_hex(), kSpanId);  // the parent is not the span
  EXPECT_TRUE(parsed->is_sampled());
}

TEST(B3Single, PadsA64BitTraceIdTo128Bits) {
  const auto parsed = parse_b3(b3(kTraceId64, kSpanId) + "-1");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id.to_hex(), "0000000000000000" + std::string(kTraceId64));
}

TEST(B3Single, AcceptsUppercaseHex) {
  const auto parsed = parse_b3("80F198EE56343BA864FE8B2A57D3EFF7-E457B5A2E4D86BD1-1");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id.to_hex(), kTraceId);
  EXPECT_EQ(parsed->span_id.to_hex(), kSpanId);
}

TEST(B3Single, IgnoresSurroundingWhitespace) {
  const auto parsed = parse_b3(" \t" + b3(kTraceId, kSpanId) + "-1\t ");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id.to_hex(), kTraceId);
}

TEST(B3Single, ASamplingStateAloneYieldsNoSpanContext) {
  EXPECT_TRUE(Rejected("0"));
  EXPECT_TRUE(Rejected("1"));
  EXPECT_TRUE(Rejected("d"));
}

TEST(B3Single, RejectsIdsOfTheWrongLength) {
  EXPECT_TRUE(Rejected(b3(kTraceId.substr(1), kSpanId)));             // 31
  EXPECT_TRUE(Rejected(b3(std::string(kTraceId) + "0", kSpanId)));    // 33
  EXPECT_TRUE(Rejected(b3(kTraceId64.substr(1), kSpanId)));           // 15
  EXPECT_TRUE(Rejected(b3("0" + std::string(kTraceId64), kSpanId)));  // 17
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId.substr(1))));             // span 15
  EXPECT_TRUE(Rejected(b3(kTraceId, std::string(kSpanId) + "0")));    // span 17
  EXPECT_TRUE(Rejected(b3(kTraceId, kTraceId)));                      // span 32
}

TEST(B3Single, RejectsAllZeroIds) {
  EXPECT_TRUE(Rejected(b3("00000000000000000000000000000000", kSpanId)));
  EXPECT_TRUE(Rejected(b3("0000000000000000", kSpanId)));
  EXPECT_TRUE(Rejected(b3(kTraceId, "0000000000000000")));
}

TEST(B3Single, RejectsNonHexCharacters) {
  EXPECT_TRUE(Rejected(b3("80f198ee56343ba864fe8b2a57d3effg", kSpanId)));
  EXPECT_TRUE(Rejected(b3(kTraceId, "e457b5a2e4d86bdz")));
  EXPECT_TRUE(Rejected(b3(kTraceId, "e457b5a2 4d86bd1")));
}

TEST(B3Single, RejectsAnUnknownOrEmptySamplingState) {
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-2"));
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-x"));
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-"));
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "--" + std::string(kParentId)));
}

TEST(B3Single, RejectsAMalformedParentSpanId) {
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-1-"));
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-1-05e3ac9a4f6e3b9"));
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-1-05e3ac9a4f6e3b9x"));
}

TEST(B3Single, RejectsMoreThanFourParts) {
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-1-" + std::string(kParentId) + "-extra"));
  EXPECT_TRUE(Rejected(b3(kTraceId, kSpanId) + "-1-" + std::string(kParentId) + "-"));
}

TEST(B3Single, RejectsGarbage) {
  for (const char* value : {"", " ", "-", "--", "foo", "foo-bar", "a-b-c-d", "{trace}-{span}"}) {
    EXPECT_TRUE(Rejected(value)) << '"' << value << '"';
  }
}

// --- through the propagator ---------------------------------------------------------------

TEST(B3Extract, ReadsTheSingleHeaderInAnyCase) {
  for (const char* name : {"b3", "B3"}) {
    const HeaderList headers{{name, b3(kTraceId, kSpanId) + "-1"}};
    const SpanContext context = Propagator().extract(headers).span_context();
    EXPECT_EQ(context.trace_id.to_hex(), kTraceId) << name;
    EXPECT_TRUE(context.is_sampled()) << name;
  }
}

TEST(B3Extract, ReadsTheMultiHeaderForm) {
  const HeaderList headers{{"X-B3-TraceId", std::string(kTraceId)},
                           {"X-B3-SpanId", std::string(kSpanId)},
                           {"X-B3-ParentSpanId", std::string(kParentId)},
                           {"X-B3-Sampled", "1"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.span_context().trace_id.to_hex(), kTraceId);
  EXPECT_EQ(context.span_context().span_id.to_hex(), kSpanId);
  EXPECT_TRUE(context.span_context().is_sampled());
  EXPECT_TRUE(context.span_context().is_remote);
}

TEST(B3Extract, MultiHeaderNamesAreCaseInsensitive) {
  const HeaderList headers{{"x-b3-traceid", std::string(kTraceId64)},
                           {"X-B3-SPANID", std::string(kSpanId)},
                           {"x-B3-sampled", "1"}};
  const SpanContext context = Propagator().extract(headers).span_context();
  EXPECT_EQ(context.trace_id.to_hex(), "0000000000000000" + std::string(kTraceId64));
  EXPECT_TRUE(context.is_sampled());
}

TEST(B3Extract, MultiHeaderSamplingDecisions) {
  const std::pair<const char*, bool> cases[] = {
      {"1", true}, {"0", false}, {"true", true}, {"false", false}, {" 1 ", true}};
  for (const auto& [sampled, expected] : cases) {
    const HeaderList headers{{"X-B3-TraceId", std::string(kTraceId)},
                             {"X-B3-SpanId", std::string(kSpanId)},
                             {"X-B3-Sampled", sampled}};
    const SpanContext context = Propagator().extract(headers).span_context();
    ASSERT_TRUE(context.is_valid()) << sampled;
    EXPECT_EQ(context.is_sampled(), expected) << sampled;
  }
}

TEST(B3Extract, MissingSampledHeaderDefersAsNotSampled) {
  const HeaderList headers{{"X-B3-TraceId", std::string(kTraceId)},
                           {"X-B3-SpanId", std::string(kSpanId)}};
  const SpanContext context = Propagator().extract(headers).span_context();
  ASSERT_TRUE(context.is_valid());
  EXPECT_FALSE(context.is_sampled());
}

TEST(B3Extract, DebugFlagImpliesSampled) {
  const HeaderList headers{{"X-B3-TraceId", std::string(kTraceId)},
                           {"X-B3-SpanId", std::string(kSpanId)},
                           {"X-B3-Flags", "1"}};
  EXPECT_TRUE(Propagator().extract(headers).span_context().is_sampled());
}

TEST(B3Extract, CountsUnusableMultiHeaders) {
  const HeaderList cases[] = {
      {{"X-B3-TraceId", std::string(kTraceId)}},                            // no span ID
      {{"X-B3-SpanId", std::string(kSpanId)}},                              // no trace ID
      {{"X-B3-TraceId", "nothex"}, {"X-B3-SpanId", std::string(kSpanId)}},  // bad trace ID
      {{"X-B3-TraceId", std::string(kTraceId)},
       {"X-B3-SpanId", std::string(kSpanId)},
       {"X-B3-Sampled", "yes"}},  // unknown sampling state
  };
  for (const HeaderList& headers : cases) {
    CounterDelta counters;
    EXPECT_FALSE(Propagator().extract(headers).span_context().is_valid());
    EXPECT_EQ(counters.delta().b3_invalid, 1u);
  }
}

TEST(B3Extract, CountsAnUnusableSingleHeader) {
  CounterDelta counters;
  const HeaderList headers{{"b3", "garbage"}};
  EXPECT_FALSE(Propagator().extract(headers).span_context().is_valid());
  EXPECT_EQ(counters.delta().b3_invalid, 1u);
}

TEST(B3Extract, TheSingleHeaderWinsOverTheMultiHeaderForm) {
  const HeaderList headers{{"X-B3-TraceId", "11111111111111111111111111111111"},
                           {"X-B3-SpanId", "2222222222222222"},
                           {"b3", b3(kTraceId, kSpanId)}};
  EXPECT_EQ(Propagator().extract(headers).span_context().trace_id.to_hex(), kTraceId);
}

TEST(B3Extract, AValidTraceparentWinsOverB3) {
  CounterDelta counters;
  const HeaderList headers{
      {"b3", "garbage"},
      {"X-B3-TraceId", std::string(kTraceId)},
      {"X-B3-SpanId", std::string(kSpanId)},
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}};
  const SpanContext context = Propagator().extract(headers).span_context();
  EXPECT_EQ(context.trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(context.is_sampled());
  EXPECT_EQ(counters.delta().b3_invalid, 0u);  // B3 is not even looked at
}

TEST(B3Extract, B3IsUsedWhenTheTraceparentIsInvalid) {
  CounterDelta counters;
  const HeaderList headers{
      {"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
      {"tracestate", "foo=1"},
      {"b3", b3(kTraceId, kSpanId) + "-1"}};
  const SpanContext context = Propagator().extract(headers).span_context();
  EXPECT_EQ(context.trace_id.to_hex(), kTraceId);
  EXPECT_TRUE(context.trace_state.empty());  // tracestate belongs to the refused traceparent
  EXPECT_EQ(counters.delta().traceparent_invalid, 1u);
}

TEST(B3Extract, IsIgnoredWhenSwitchedOff) {
  const HeaderList headers{{"b3", b3(kTraceId, kSpanId) + "-1"}};
  EXPECT_FALSE(Propagator({.b3 = false}).extract(headers).span_context().is_valid());
}

TEST(B3Extract, IsReadWhenTraceContextIsSwitchedOff) {
  const HeaderList headers{
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
      {"b3", b3(kTraceId, kSpanId) + "-1"}};
  const SpanContext context = Propagator({.trace_context = false}).extract(headers).span_context();
  EXPECT_EQ(context.trace_id.to_hex(), kTraceId);
}

TEST(B3Extract, IsNeverWrittenOnInject) {
  const HeaderList incoming{{"b3", b3(kTraceId, kSpanId) + "-1"}};
  const Propagator propagator;
  const Context context = propagator.extract(incoming);
  HeaderList outgoing;
  propagator.inject(context, outgoing);
  EXPECT_FALSE(testing_support::has_header(outgoing, "b3"));
  EXPECT_FALSE(testing_support::has_header(outgoing, "X-B3-TraceId"));
  EXPECT_EQ(testing_support::only_header(outgoing, "traceparent"),
            "00-" + std::string(kTraceId) + "-" + std::string(kSpanId) + "-01");
}

}  // namespace
}  // namespace mmf
