// The W3C traceparent header: the specification's examples, every malformed form, the rules
// for future versions (W3C Trace Context Level 2, §"Versioning of traceparent"), and the
// cases of the W3C test suite (w3c/trace-context test/test.py), ported as unit tests.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mmf/propagation.h"
#include "mmf/trace_context.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

using testing_support::CounterDelta;
using testing_support::HeaderList;

// The specification's example and the test suite's IDs.
constexpr std::string_view kSpecTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpecSpanId = "00f067aa0ba902b7";
constexpr std::string_view kSuiteTraceId = "12345678901234567890123456789012";
constexpr std::string_view kSuiteSpanId = "1234567890123456";

std::string traceparent(std::string_view version, std::string_view trace_id,
                        std::string_view span_id, std::string_view flags) {
  std::string value;
  value.append(version).append("-").append(trace_id).append("-").append(span_id);
  value.append("-").append(flags);
  return value;
}

std::string suite_traceparent(std::string_view flags = "01") {
  return traceparent("00", kSuiteTraceId, kSuiteSpanId, flags);
}

::testing::AssertionResult Rejected(std::string_view value) {
  const std::optional<SpanContext> parsed = parse_traceparent(value);
  if (!parsed) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "accepted \"" << value << "\" as trace " << parsed->trace_id.to_hex();
}

::testing::AssertionResult AcceptedWithSuiteIds(std::string_view value) {
  const std::optional<SpanContext> parsed = parse_traceparent(value);
  if (!parsed) return ::testing::AssertionFailure() << "refused \"" << value << "\"";
  if (parsed->trace_id.to_hex() != kSuiteTraceId || parsed->span_id.to_hex() != kSuiteSpanId) {
    return ::testing::AssertionFailure()
           << "\"" << value << "\" gave trace " << parsed->trace_id.to_hex() << " span "
           << parsed->span_id.to_hex();
  }
  return ::testing::AssertionSuccess();
}

// --- The specification's examples ---------------------------------------------------------

TEST(Traceparent, ParsesTheSpecificationExampleOfASampledRequest) {
  const auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id.to_hex(), kSpecTraceId);
  EXPECT_EQ(parsed->span_id.to_hex(), kSpecSpanId);
  EXPECT_EQ(parsed->trace_id.bytes().front(), 0x4b);
  EXPECT_EQ(parsed->trace_id.bytes().back(), 0x36);
  EXPECT_EQ(parsed->span_id.bytes().front(), 0x00);
  EXPECT_EQ(parsed->span_id.bytes().back(), 0xb7);
  EXPECT_TRUE(parsed->is_sampled());
  EXPECT_TRUE(parsed->is_remote);
  EXPECT_TRUE(parsed->is_valid());
  EXPECT_TRUE(parsed->trace_state.empty());
}

TEST(Traceparent, ParsesTheSpecificationExampleOfAnUnsampledRequest) {
  const auto parsed = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id.to_hex(), kSpecTraceId);
  EXPECT_EQ(parsed->span_id.to_hex(), kSpecSpanId);
  EXPECT_FALSE(parsed->is_sampled());
  EXPECT_EQ(parsed->flags.bits(), 0);
}

TEST(Traceparent, ParsesTheTestSuiteTraceparent) {
  EXPECT_TRUE(AcceptedWithSuiteIds(suite_traceparent("01")));
  EXPECT_TRUE(AcceptedWithSuiteIds(suite_traceparent("00")));
}

// --- version --------------------------------------------------------------------------------

TEST(Traceparent, RejectsVersionFf) {
  EXPECT_TRUE(Rejected(traceparent("ff", kSuiteTraceId, kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsIllegalCharactersInVersion) {
  EXPECT_TRUE(Rejected(traceparent(".0", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("0.", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("0g", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("  ", kSuiteTraceId, kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsUppercaseHexInVersion) {
  EXPECT_TRUE(Rejected(traceparent("0A", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("CC", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("FF", kSuiteTraceId, kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsVersionLongerThanTwoDigits) {
  EXPECT_TRUE(Rejected(traceparent("000", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("0000", kSuiteTraceId, kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsVersionShorterThanTwoDigits) {
  EXPECT_TRUE(Rejected(traceparent("0", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("", kSuiteTraceId, kSuiteSpanId, "01")));
}

// --- trace-id -------------------------------------------------------------------------------

TEST(Traceparent, RejectsAllZeroTraceId) {
  EXPECT_TRUE(Rejected(traceparent("00", "00000000000000000000000000000000", kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsIllegalCharactersInTraceId) {
  EXPECT_TRUE(Rejected(traceparent("00", ".2345678901234567890123456789012", kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("00", "1234567890123456789012345678901.", kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("00", "1234567890123456789g123456789012", kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("00", "12345678901234567890 23456789012", kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsUppercaseHexInTraceId) {
  EXPECT_TRUE(Rejected(traceparent("00", "4BF92F3577B34DA6A3CE929D0E0E4736", kSpecSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("00", "4bf92f3577b34da6a3ce929d0e0e473A", kSpecSpanId, "01")));
}

TEST(Traceparent, RejectsTraceIdLongerThan32Digits) {
  EXPECT_TRUE(Rejected(traceparent("00", "123456789012345678901234567890123", kSuiteSpanId, "01")));
}

TEST(Traceparent, RejectsTraceIdShorterThan32Digits) {
  EXPECT_TRUE(Rejected(traceparent("00", "1234567890123456789012345678901", kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("00", "", kSuiteSpanId, "01")));
}

// --- parent-id ------------------------------------------------------------------------------

TEST(Traceparent, RejectsAllZeroParentId) {
  EXPECT_TRUE(Rejected(traceparent("00", kSuiteTraceId, "0000000000000000", "01")));
}

TEST(Traceparent, RejectsIllegalCharactersInParentId) {
  EXPECT_TRUE(Rejected(traceparent("00", kSuiteTraceId, ".234567890123456", "01")));
  EXPECT_TRUE(Rejected(traceparent("00", kSuiteTraceId, "123456789012345.", "01")));
}

TEST(Traceparent, RejectsUppercaseHexInParentId) {
  EXPECT_TRUE(Rejected(traceparent("00", kSpecTraceId, "00F067AA0BA902B7", "01")));
  EXPECT_TRUE(Rejected(traceparent("00", kSpecTraceId, "00f067aa0ba902bF", "01")));
}

TEST(Traceparent, RejectsParentIdLongerThan16Digits) {
  EXPECT_TRUE(Rejected(traceparent("00", kSuiteTraceId, "12345678901234567", "01")));
}

TEST(Traceparent, RejectsParentIdShorterThan16Digits) {
  EXPECT_TRUE(Rejected(traceparent("00", kSuiteTraceId, "123456789012345", "01")));
}

// --- trace-flags ----------------------------------------------------------------------------

TEST(Traceparent, RejectsIllegalCharactersInFlags) {
  EXPECT_TRUE(Rejected(suite_traceparent(".0")));
  EXPECT_TRUE(Rejected(suite_traceparent("0.")));
  EXPECT_TRUE(Rejected(suite_traceparent("0x")));
}

TEST(Traceparent, RejectsUppercaseHexInFlags) {
  EXPECT_TRUE(Rejected(suite_traceparent("0A")));
  EXPECT_TRUE(Rejected(suite_traceparent("FF")));
}

TEST(Traceparent, RejectsFlagsLongerThanTwoDigits) {
  EXPECT_TRUE(Rejected(suite_traceparent("001")));
}

TEST(Traceparent, RejectsFlagsShorterThanTwoDigits) {
  EXPECT_TRUE(Rejected(suite_traceparent("1")));
  EXPECT_TRUE(Rejected(suite_traceparent("")));
}

TEST(Traceparent, ClearsUnknownFlagBits) {
  const auto all = parse_traceparent(suite_traceparent("ff"));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->flags.bits(), TraceFlags::kSampled | TraceFlags::kRandom);

  const auto sampled_and_unknown = parse_traceparent(suite_traceparent("09"));
  ASSERT_TRUE(sampled_and_unknown.has_value());
  EXPECT_EQ(sampled_and_unknown->flags.bits(), TraceFlags::kSampled);

  const auto unknown_only = parse_traceparent(suite_traceparent("04"));
  ASSERT_TRUE(unknown_only.has_value());
  EXPECT_EQ(unknown_only->flags.bits(), 0);
}

TEST(Traceparent, KeepsTheLevel2RandomFlag) {
  const auto random = parse_traceparent(suite_traceparent("02"));
  ASSERT_TRUE(random.has_value());
  EXPECT_TRUE(random->flags.random());
  EXPECT_FALSE(random->flags.sampled());

  const auto both = parse_traceparent(suite_traceparent("03"));
  ASSERT_TRUE(both.has_value());
  EXPECT_TRUE(both->flags.random());
  EXPECT_TRUE(both->flags.sampled());
}

// --- delimiters -----------------------------------------------------------------------------

TEST(Traceparent, RejectsMissingDashes) {
  const std::string good = suite_traceparent();
  for (std::size_t dash : {2u, 35u, 52u}) {
    std::string value = good;
    value[dash] = '_';
    EXPECT_TRUE(Rejected(value)) << "dash " << dash;
    value[dash] = '0';
    EXPECT_TRUE(Rejected(value)) << "dash " << dash;
    std::string removed = good;
    removed.erase(dash, 1);
    EXPECT_TRUE(Rejected(removed)) << "dash " << dash;
  }
  EXPECT_TRUE(Rejected("0012345678901234567890123456789012123456789012345601"));
}

TEST(Traceparent, RejectsMisplacedDashes) {
  // Same length and the same characters, but a field boundary moved by one.
  EXPECT_TRUE(Rejected("00-1234567890123456789012345678901-21234567890123456-01"));
  EXPECT_TRUE(Rejected("00-123456789012345678901234567890121-234567890123456-01"));
  EXPECT_TRUE(Rejected("00-12345678901234567890123456789012-123456789012345-601"));
  EXPECT_TRUE(Rejected("001-2345678901234567890123456789012-1234567890123456-01"));
}

TEST(Traceparent, RejectsEmptyAndWhitespaceOnlyValues) {
  EXPECT_TRUE(Rejected(""));
  EXPECT_TRUE(Rejected(" "));
  EXPECT_TRUE(Rejected("\t \t"));
  EXPECT_TRUE(Rejected("---"));
}

// --- optional whitespace ------------------------------------------------------------------

TEST(Traceparent, AcceptsLeadingAndTrailingSpacesAndTabs) {
  const std::string good = suite_traceparent();
  EXPECT_TRUE(AcceptedWithSuiteIds(" " + good));
  EXPECT_TRUE(AcceptedWithSuiteIds("\t" + good));
  EXPECT_TRUE(AcceptedWithSuiteIds(good + " "));
  EXPECT_TRUE(AcceptedWithSuiteIds(good + "\t"));
  EXPECT_TRUE(AcceptedWithSuiteIds("\t " + good + " \t"));
}

TEST(Traceparent, RejectsWhitespaceThatIsNotOws) {
  const std::string good = suite_traceparent();
  EXPECT_TRUE(Rejected("\n" + good));
  EXPECT_TRUE(Rejected(good + "\r\n"));
  EXPECT_TRUE(Rejected(good + "\v"));
  EXPECT_TRUE(Rejected("00 -12345678901234567890123456789012-1234567890123456-01"));
  EXPECT_TRUE(Rejected("00-12345678901234567890123456789012 -1234567890123456-01"));
}

// --- versions --------------------------------------------------------------------------------

TEST(Traceparent, RejectsVersion00WithTrailingData) {
  EXPECT_TRUE(Rejected(suite_traceparent() + "."));
  EXPECT_TRUE(Rejected(suite_traceparent() + "-"));
  EXPECT_TRUE(Rejected(suite_traceparent() + "-what-the-future-will-be-like"));
}

// The grammar of a 55-character traceparent written out plainly, the reference for the
// parser's fast path: what it accepts and the IDs and flags it reads.
struct Expected {
  bool valid = false;
  std::string trace_id;
  std::string span_id;
  std::uint8_t flags = 0;
};

Expected by_the_grammar(std::string_view v) {
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  const auto all_hex = [&](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i) {
      if (!hex(v[i])) return false;
    }
    return true;
  };
  const auto not_zero = [&](std::size_t from, std::size_t count) {
    return v.substr(from, count).find_first_not_of('0') != std::string_view::npos;
  };
  Expected expected;
  expected.valid = v.size() == 55 && all_hex(0, 2) && v.substr(0, 2) != "ff" && v[2] == '-' &&
                   all_hex(3, 32) && v[35] == '-' && all_hex(36, 16) && v[52] == '-' &&
                   all_hex(53, 2) && not_zero(3, 32) && not_zero(36, 16);
  if (expected.valid) {
    expected.trace_id = std::string(v.substr(3, 32));
    expected.span_id = std::string(v.substr(36, 16));
    expected.flags = static_cast<std::uint8_t>(
        std::stoi(std::string(v.substr(53, 2)), nullptr, 16) & TraceFlags::kKnown);
  }
  return expected;
}

// Every byte value at every position of a valid value: the parser (whose fast path takes
// version 00 at exactly this length) agrees with the grammar on each.
TEST(Traceparent, EveryOneByteChangeOfAValidValueIsJudgedAsTheGrammarSays) {
  const std::string base = traceparent("00", kSpecTraceId, kSpecSpanId, "03");
  int accepted = 0;
  for (std::size_t at = 0; at < base.size(); ++at) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string value = base;
      value[at] = static_cast<char>(byte);
      const Expected expected = by_the_grammar(value);
      const std::optional<SpanContext> parsed = parse_traceparent(value);
      ASSERT_EQ(parsed.has_value(), expected.valid) << "byte " << byte << " at " << at;
      if (!parsed) continue;
      ++accepted;
      ASSERT_EQ(parsed->trace_id.to_hex(), expected.trace_id) << "byte " << byte << " at " << at;
      ASSERT_EQ(parsed->span_id.to_hex(), expected.span_id) << "byte " << byte << " at " << at;
      ASSERT_EQ(parsed->flags.bits(), expected.flags) << "byte " << byte << " at " << at;
      ASSERT_TRUE(parsed->is_remote);
    }
  }
  EXPECT_GT(accepted, 55 * 15) << "most hex changes are valid values";
}

TEST(Traceparent, AcceptsFutureVersionOfTheVersion00Length) {
  EXPECT_TRUE(AcceptedWithSuiteIds(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(AcceptedWithSuiteIds(traceparent("01", kSuiteTraceId, kSuiteSpanId, "01")));
  EXPECT_TRUE(AcceptedWithSuiteIds(traceparent("fe", kSuiteTraceId, kSuiteSpanId, "01")));
}

TEST(Traceparent, AcceptsFutureVersionWithMoreFieldsAfterADash) {
  const std::string value =
      traceparent("cc", kSuiteTraceId, kSuiteSpanId, "01") + "-what-the-future-holds";
  EXPECT_TRUE(AcceptedWithSuiteIds(value));
  const auto parsed = parse_traceparent(value);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_sampled());
}

TEST(Traceparent, RejectsFutureVersionLongerThan55WithoutADashAt55) {
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "01") +
                       ".what-the-future-will-be-like"));
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "01") + "x"));
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "012")));
}

TEST(Traceparent, RejectsFutureVersionShorterThan55) {
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "1")));
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, "123456789012345", "01")));
}

TEST(Traceparent, RejectsFutureVersionWithMalformedKnownFields) {
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "0g") + "-x"));
  EXPECT_TRUE(Rejected(traceparent("cc", "00000000000000000000000000000000", kSuiteSpanId, "01")));
  EXPECT_TRUE(Rejected(traceparent("cc", kSuiteTraceId, "0000000000000000", "01") + "-x"));
}

TEST(Traceparent, RejectsValuesLongerThanTheSizeLimit) {
  const std::string base = traceparent("cc", kSuiteTraceId, kSuiteSpanId, "01") + "-";
  const std::string at_limit = base + std::string(kMaxTraceparentSize - base.size(), 'x');
  ASSERT_EQ(at_limit.size(), kMaxTraceparentSize);
  EXPECT_TRUE(AcceptedWithSuiteIds(at_limit));
  EXPECT_TRUE(Rejected(at_limit + "x"));
}

// --- formatting -----------------------------------------------------------------------------

TEST(FormatTraceparent, RoundTripsEveryKnownFlagCombination) {
  for (std::string_view flags : {"00", "01", "02", "03"}) {
    const std::string value = traceparent("00", kSpecTraceId, kSpecSpanId, flags);
    const auto parsed = parse_traceparent(value);
    ASSERT_TRUE(parsed.has_value()) << value;
    EXPECT_EQ(format_traceparent(*parsed), value);
  }
}

TEST(FormatTraceparent, WritesVersion00ForAFutureVersion) {
  const auto parsed =
      parse_traceparent(traceparent("cc", kSuiteTraceId, kSuiteSpanId, "01") + "-extra");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(format_traceparent(*parsed), suite_traceparent("01"));
}

TEST(FormatTraceparent, ClearsUnknownFlagBits) {
  SpanContext context;
  context.trace_id = *TraceId::from_hex(kSpecTraceId);
  context.span_id = *SpanId::from_hex(kSpecSpanId);
  context.flags = TraceFlags(0xff);
  EXPECT_EQ(format_traceparent(context), traceparent("00", kSpecTraceId, kSpecSpanId, "03"));
  context.flags = TraceFlags(0x84);
  EXPECT_EQ(format_traceparent(context), traceparent("00", kSpecTraceId, kSpecSpanId, "00"));
}

TEST(FormatTraceparent, FillsExactly55CharactersOfTheBuffer) {
  SpanContext context;
  context.trace_id = *TraceId::from_hex(kSpecTraceId);
  context.span_id = *SpanId::from_hex(kSpecSpanId);
  context.flags = TraceFlags(TraceFlags::kSampled);
  std::array<char, kTraceparentSize + 1> buffer;
  buffer.fill('#');
  format_traceparent(context, std::span<char, kTraceparentSize>(buffer.data(), kTraceparentSize));
  EXPECT_EQ(std::string_view(buffer.data(), kTraceparentSize),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(buffer.back(), '#');
}

TEST(FormatTraceparent, ParsedBackGivesTheSameSpanContext) {
  SpanContext context;
  context.trace_id = *TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  context.span_id = *SpanId::from_hex("b7ad6b7169203331");
  context.flags = TraceFlags(TraceFlags::kSampled | TraceFlags::kRandom);
  context.is_remote = true;
  const auto parsed = parse_traceparent(format_traceparent(context));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, context);
}

// --- IDs on their own ---------------------------------------------------------------------

TEST(TraceId, FromHexAcceptsOnly32LowercaseDigitsNotAllZero) {
  EXPECT_TRUE(TraceId::from_hex(kSpecTraceId).has_value());
  EXPECT_EQ(TraceId::from_hex(kSpecTraceId)->to_hex(), kSpecTraceId);
  EXPECT_FALSE(TraceId::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736").has_value());
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473").has_value());
  EXPECT_FALSE(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e47360").has_value());
  EXPECT_FALSE(TraceId::from_hex("00000000000000000000000000000000").has_value());
  EXPECT_FALSE(TraceId::from_hex("").has_value());
  EXPECT_TRUE(TraceId::from_hex("00000000000000000000000000000001").has_value());
}

TEST(SpanId, FromHexAcceptsOnly16LowercaseDigitsNotAllZero) {
  EXPECT_EQ(SpanId::from_hex(kSpecSpanId)->to_hex(), kSpecSpanId);
  EXPECT_FALSE(SpanId::from_hex("00F067AA0BA902B7").has_value());
  EXPECT_FALSE(SpanId::from_hex("00f067aa0ba902b").has_value());
  EXPECT_FALSE(SpanId::from_hex("0000000000000000").has_value());
  EXPECT_TRUE(SpanId::from_hex("0000000000000001").has_value());
}

TEST(TraceId, DefaultIsInvalid) {
  EXPECT_FALSE(TraceId().is_valid());
  EXPECT_FALSE(SpanId().is_valid());
  EXPECT_FALSE(SpanContext().is_valid());
}

// --- reading from a carrier ---------------------------------------------------------------

TEST(ExtractTraceContext, AcceptsTheHeaderNameInAnyCase) {
  for (const char* name : {"traceparent", "TraceParent", "TrAcEpArEnT", "TRACEPARENT"}) {
    const HeaderList headers{{name, suite_traceparent()}};
    const SpanContext context = extract_trace_context(headers);
    EXPECT_TRUE(context.is_valid()) << name;
    EXPECT_EQ(context.trace_id.to_hex(), kSuiteTraceId) << name;
  }
}

TEST(ExtractTraceContext, IgnoresSimilarHeaderNames) {
  for (const char* name : {"trace-parent", "trace.parent", "traceparent2", "x-traceparent"}) {
    CounterDelta counters;
    const HeaderList headers{{name, suite_traceparent()}};
    EXPECT_FALSE(extract_trace_context(headers).is_valid()) << name;
    EXPECT_EQ(counters.delta().traceparent_invalid, 0u) << name;
  }
}

// The two names are compared as words: every byte value at every position of each is taken
// for the name exactly when it is the same letter in either case.
TEST(ExtractTraceContext, ReadsTheTraceHeadersUnderTheirNamesInAnyCaseAndNoOther) {
  const std::string state = "rojo=00f067aa0ba902b7";
  for (const std::string_view name :
       {std::string_view("traceparent"), std::string_view("tracestate")}) {
    for (std::size_t at = 0; at < name.size(); ++at) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string changed(name);
        changed[at] = static_cast<char>(byte);
        const bool same = changed[at] == name[at] || changed[at] == name[at] - 'a' + 'A';
        HeaderList headers{{std::string(name == "traceparent" ? "tracestate" : "traceparent"),
                            name == "traceparent" ? state : suite_traceparent()},
                           {changed, name == "traceparent" ? suite_traceparent() : state}};
        const SpanContext extracted = extract_trace_context(headers);
        const bool read =
            name == "traceparent" ? extracted.is_valid() : extracted.trace_state.header() == state;
        ASSERT_EQ(read, same) << "\"" << changed << "\"";
      }
    }
  }
}

TEST(ExtractTraceContext, RepeatedTraceparentRestartsTheTrace) {
  CounterDelta counters;
  const HeaderList headers{
      {"traceparent", traceparent("00", "12345678901234567890123456789011", kSuiteSpanId, "01")},
      {"traceparent", suite_traceparent()}};
  EXPECT_FALSE(extract_trace_context(headers).is_valid());
  EXPECT_EQ(counters.delta().traceparent_invalid, 1u);
}

TEST(ExtractTraceContext, RepeatedIdenticalTraceparentAlsoRestartsTheTrace) {
  const HeaderList headers{{"traceparent", suite_traceparent()},
                           {"TraceParent", suite_traceparent()}};
  EXPECT_FALSE(extract_trace_context(headers).is_valid());
}

TEST(ExtractTraceContext, CountsAnInvalidTraceparentOnce) {
  CounterDelta counters;
  const HeaderList headers{{"traceparent", suite_traceparent("0.")}};
  EXPECT_FALSE(extract_trace_context(headers).is_valid());
  EXPECT_EQ(counters.delta().traceparent_invalid, 1u);
}

TEST(ExtractTraceContext, MissingTraceparentIsNotCounted) {
  CounterDelta counters;
  const HeaderList headers{{"content-type", "text/plain"}};
  EXPECT_FALSE(extract_trace_context(headers).is_valid());
  EXPECT_EQ(counters.delta().traceparent_invalid, 0u);
}

TEST(ExtractTraceContext, DoesNotParseTracestateWhenTraceparentIsInvalid) {
  CounterDelta counters;
  const HeaderList headers{{"traceparent", suite_traceparent("0.")}, {"tracestate", "foo=1,foo=2"}};
  const SpanContext context = extract_trace_context(headers);
  EXPECT_FALSE(context.is_valid());
  EXPECT_TRUE(context.trace_state.empty());
  EXPECT_EQ(counters.delta().tracestate_invalid, 0u);
}

TEST(ExtractTraceContext, ReadsTracestateWithAValidTraceparent) {
  const HeaderList headers{{"traceparent", suite_traceparent("00")}, {"tracestate", "foo=1,bar=2"}};
  const SpanContext context = extract_trace_context(headers);
  ASSERT_TRUE(context.is_valid());
  EXPECT_EQ(context.trace_state.get("foo"), "1");
  EXPECT_EQ(context.trace_state.get("bar"), "2");
}

TEST(InjectTraceContext, WritesTraceparentAndTracestate) {
  SpanContext context = *parse_traceparent(suite_traceparent("01"));
  context.trace_state = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  std::map<std::string, std::string> headers;
  inject_trace_context(context, headers);
  EXPECT_EQ(headers["traceparent"], suite_traceparent("01"));
  EXPECT_EQ(headers["tracestate"], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(headers.size(), 2u);
}

TEST(InjectTraceContext, WritesNothingForAnInvalidSpanContext) {
  std::map<std::string, std::string> headers;
  SpanContext invalid;
  invalid.trace_state = TraceState::parse("foo=1");
  inject_trace_context(invalid, headers);
  EXPECT_TRUE(headers.empty());
}

TEST(InjectTraceContext, OmitsAnEmptyTracestate) {
  std::map<std::string, std::string> headers;
  inject_trace_context(*parse_traceparent(suite_traceparent()), headers);
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.count("traceparent"), 1u);
}

}  // namespace
}  // namespace mmf
