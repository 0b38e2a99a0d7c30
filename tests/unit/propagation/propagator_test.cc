// Propagator::extract and inject end to end: correlation headers in both families, the origin
// of the correlation ID, its baggage mirror, business fields, the ID generator seam, the
// options, size limits, and round trips.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/context.h"
#include "mmf/propagation.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

using testing_support::CounterDelta;
using testing_support::has_header;
using testing_support::HeaderList;
using testing_support::only_header;
using testing_support::SequenceIdGenerator;

constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool is_uuid_v7(const std::string& id) { return is_uuid(id) && id.size() == 36 && id[14] == '7'; }

// A Context as a service builds it before calling out: a trace, correlation fields, baggage.
Context outgoing_context(const CorrelationFields& fields) {
  SpanContext span = *parse_traceparent(kTraceparent);
  span.is_remote = false;
  span.trace_state = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  return Context()
      .with_span_context(span)
      .with_baggage(Baggage().set("userId", "alice").set("serverNode", "DF 28", "p1;p2=x"))
      .child(fields);
}

// --- correlation headers: reading -------------------------------------------------------------

TEST(PropagatorExtract, ReadsTheStandardCorrelationHeaders) {
  const HeaderList headers{{"X-Correlation-ID", "corr-1"},
                           {"X-Request-ID", "req-1"},
                           {"X-User-ID", "user-1"},
                           {"X-Session-ID", "sess-1"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "corr-1");
  EXPECT_EQ(context.request_id(), "req-1");
  EXPECT_EQ(context.user_id(), "user-1");
  EXPECT_EQ(context.session_id(), "sess-1");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
}

TEST(PropagatorExtract, ReadsTheMmfCorrelationHeaders) {
  const HeaderList headers{{"X-MMF-Correlation-ID", "corr-2"}, {"X-MMF-Request-ID", "req-2"},
                           {"X-MMF-User-ID", "user-2"},        {"X-MMF-Session-ID", "sess-2"},
                           {"X-MMF-Plugin-ID", "payments"},    {"X-MMF-Operation-ID", "op-7"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "corr-2");
  EXPECT_EQ(context.request_id(), "req-2");
  EXPECT_EQ(context.user_id(), "user-2");
  EXPECT_EQ(context.session_id(), "sess-2");
  EXPECT_EQ(context.plugin(), "payments");
  EXPECT_EQ(context.operation_id(), "op-7");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
}

TEST(PropagatorExtract, MatchesCorrelationHeaderNamesInAnyCase) {
  const HeaderList headers{{"x-correlation-id", "corr-3"},
                           {"X-REQUEST-ID", "req-3"},
                           {"x-mmf-user-id", "user-3"},
                           {"X-Mmf-Session-Id", "sess-3"},
                           {"x-mmf-plugin-id", "plug"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "corr-3");
  EXPECT_EQ(context.request_id(), "req-3");
  EXPECT_EQ(context.user_id(), "user-3");
  EXPECT_EQ(context.session_id(), "sess-3");
  EXPECT_EQ(context.plugin(), "plug");
}

// Every header the Propagator reads besides the trace headers, and how to tell it was read.
// Names are first filtered by their length and their first and last characters' low five
// bits, which lets through more than the two cases of a letter: the compare must refuse the
// rest. So every byte value at every position of each name is tried: the header is read
// exactly when the changed byte is the same letter in either case.
TEST(PropagatorExtract, ReadsEachHeaderUnderItsNameInAnyCaseAndNoOther) {
  struct Case {
    std::string_view name;
    std::string_view value;
    bool (*read)(const Context&);
    HeaderList others = {};  // what must arrive with it for it to matter
  };
  using C = const Context&;
  const std::string b3_trace = "80f198ee56343ba864fe8b2a57d3eff7";
  const std::string b3_span = "e457b5a2e4d86bd1";
  const HeaderList b3_ids = {{std::string(headers::kB3TraceId), b3_trace},
                             {std::string(headers::kB3SpanId), b3_span}};
  const std::vector<Case> cases = {
      {headers::kCorrelationId, "corr-1", [](C c) { return c.correlation_id() == "corr-1"; }},
      {headers::kRequestId, "req-1", [](C c) { return c.request_id() == "req-1"; }},
      {headers::kUserId, "user-1", [](C c) { return c.user_id() == "user-1"; }},
      {headers::kSessionId, "sess-1", [](C c) { return c.session_id() == "sess-1"; }},
      {headers::kMmfCorrelationId, "corr-2", [](C c) { return c.correlation_id() == "corr-2"; }},
      {headers::kMmfRequestId, "req-2", [](C c) { return c.request_id() == "req-2"; }},
      {headers::kMmfUserId, "user-2", [](C c) { return c.user_id() == "user-2"; }},
      {headers::kMmfSessionId, "sess-2", [](C c) { return c.session_id() == "sess-2"; }},
      {headers::kMmfPluginId, "plug", [](C c) { return c.plugin() == "plug"; }},
      {headers::kMmfOperationId, "op-1", [](C c) { return c.operation_id() == "op-1"; }},
      {headers::kBaggage, "k=v", [](C c) { return c.baggage().get("k") == "v"; }},
      {headers::kB3, "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
       [](C c) { return c.span_context().is_valid(); }},
      {headers::kB3TraceId, b3_trace, [](C c) { return c.span_context().is_valid(); }, {b3_ids[1]}},
      {headers::kB3SpanId, b3_span, [](C c) { return c.span_context().is_valid(); }, {b3_ids[0]}},
      {headers::kB3Sampled, "1", [](C c) { return c.span_context().is_sampled(); }, b3_ids},
      {headers::kB3Flags, "1", [](C c) { return c.span_context().is_sampled(); }, b3_ids},
  };
  const Propagator propagator;
  for (const Case& test : cases) {
    HeaderList headers = test.others;
    headers.emplace_back(std::string(test.name), std::string(test.value));
    ASSERT_TRUE(test.read(propagator.extract(headers))) << test.name;
    for (std::size_t at = 0; at < test.name.size(); ++at) {
      const char original = test.name[at];
      const bool letter = (original | 0x20) >= 'a' && (original | 0x20) <= 'z';
      const char lower = letter ? static_cast<char>(original | 0x20) : original;
      const char upper = letter ? static_cast<char>(lower & ~0x20) : original;
      for (int byte = 0; byte < 256; ++byte) {
        std::string changed(test.name);
        changed[at] = static_cast<char>(byte);
        headers.back().first = changed;
        const bool same = changed[at] == lower || changed[at] == upper;
        ASSERT_EQ(test.read(propagator.extract(headers)), same) << "\"" << changed << "\"";
      }
    }
  }
}

TEST(PropagatorExtract, PrefersTheStandardFamilyWhenBothArrive) {
  const HeaderList headers{{"X-MMF-Correlation-ID", "mmf"}, {"X-Correlation-ID", "standard"}};
  EXPECT_EQ(Propagator().extract(headers).correlation_id(), "standard");
}

TEST(PropagatorExtract, FallsBackToTheMmfFamilyWhenTheStandardIdIsInvalid) {
  CounterDelta counters;
  const HeaderList headers{{"X-Correlation-ID", "bad id"}, {"X-MMF-Correlation-ID", "mmf-ok"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "mmf-ok");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
  EXPECT_EQ(counters.delta().ids_rejected, 1u);
}

TEST(PropagatorExtract, TrimsOptionalWhitespaceAroundIds) {
  const HeaderList headers{{"X-Correlation-ID", " \tcorr-4\t "}, {"X-User-ID", " u "}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "corr-4");
  EXPECT_EQ(context.user_id(), "u");
}

TEST(PropagatorExtract, AcceptsAnIdOfExactly128Characters) {
  const std::string id(kMaxIdLength, 'a');
  const HeaderList headers{{"X-Correlation-ID", id}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), id);
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
}

// --- correlation origin -----------------------------------------------------------------------

TEST(PropagatorExtract, GeneratesAUuidV7WhenNoCorrelationIdArrives) {
  const Context context = Propagator().extract(HeaderList{});
  EXPECT_TRUE(is_uuid_v7(context.correlation_id())) << context.correlation_id();
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kGenerated);
  EXPECT_TRUE(is_uuid_v7(context.request_id())) << context.request_id();
  EXPECT_NE(context.request_id(), context.correlation_id());
}

TEST(PropagatorExtract, ReplacesAnInvalidCorrelationIdWithAGeneratedOne) {
  const std::string invalid_ids[] = {
      std::string(kMaxIdLength + 1, 'a'),
      "has space",
      "line\nbreak",
      "carriage\rreturn",
      "crlf\r\nX-Injected: 1",
      "\"quoted\"",
      "'single'",
      "control\x01",
      "del\x7f",
      "tab\tinside",
      "caf\xc3\xa9",
      "comma,separated",
      "semi;colon",
      "{\"json\":1}",
      std::string("nul\0byte", 8),
  };
  for (const std::string& invalid : invalid_ids) {
    CounterDelta counters;
    const HeaderList headers{{"X-Correlation-ID", invalid}};
    const Context context = Propagator().extract(headers);
    EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kRejected) << invalid;
    EXPECT_TRUE(is_uuid_v7(context.correlation_id())) << invalid;
    EXPECT_TRUE(is_valid_id(context.correlation_id())) << invalid;
    EXPECT_EQ(counters.delta().ids_rejected, 1u) << invalid;
  }
}

TEST(PropagatorExtract, DropsAndCountsInvalidUserSessionAndRequestIds) {
  CounterDelta counters;
  const HeaderList headers{
      {"X-Correlation-ID", "corr-5"},          {"X-Request-ID", "bad request"},
      {"X-User-ID", "user\n{\"admin\":true}"}, {"X-Session-ID", std::string(200, 's')},
      {"X-MMF-Plugin-ID", "plug in"},          {"X-MMF-Operation-ID", "op\x01"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "corr-5");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
  EXPECT_EQ(context.user_id(), "");
  EXPECT_EQ(context.session_id(), "");
  EXPECT_EQ(context.plugin(), "");
  EXPECT_EQ(context.operation_id(), "");
  EXPECT_TRUE(is_uuid_v7(context.request_id())) << context.request_id();
  EXPECT_EQ(counters.delta().ids_rejected, 5u);
}

TEST(PropagatorExtract, GeneratesNothingWhenGenerationIsOff) {
  const Context context = Propagator({.generate_correlation_id = false}).extract(HeaderList{});
  EXPECT_EQ(context.correlation_id(), "");
  EXPECT_EQ(context.request_id(), "");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kNone);
}

TEST(PropagatorExtract, DropsAnInvalidIdWithoutReplacementWhenGenerationIsOff) {
  const HeaderList headers{{"X-Correlation-ID", "bad id"}};
  const Context context = Propagator({.generate_correlation_id = false}).extract(headers);
  EXPECT_EQ(context.correlation_id(), "");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kNone);
}

// --- the ID generator seam --------------------------------------------------------------------

TEST(PropagatorExtract, TakesGeneratedIdsFromTheConfiguredGenerator) {
  SequenceIdGenerator ids;
  const Propagator propagator({.id_generator = &ids});
  const Context first = propagator.extract(HeaderList{});
  EXPECT_EQ(first.correlation_id(), "00000000-0000-7000-8000-000000000001");
  EXPECT_EQ(first.request_id(), "00000000-0000-7000-8000-000000000002");

  const HeaderList invalid{{"X-Correlation-ID", "bad id"}};
  const Context second = propagator.extract(invalid);
  EXPECT_EQ(second.correlation_id(), "00000000-0000-7000-8000-000000000003");
  EXPECT_EQ(second.correlation_origin(), CorrelationOrigin::kRejected);
  EXPECT_EQ(ids.correlation_ids_issued(), 4);
}

TEST(PropagatorExtract, DoesNotCallTheGeneratorWhenIdsArrive) {
  SequenceIdGenerator ids;
  const HeaderList headers{{"X-Correlation-ID", "c"}, {"X-Request-ID", "r"}};
  const Context context = Propagator({.id_generator = &ids}).extract(headers);
  EXPECT_EQ(context.correlation_id(), "c");
  EXPECT_EQ(ids.correlation_ids_issued(), 0);
}

// --- correlation headers: writing ------------------------------------------------------------

TEST(PropagatorInject, WritesTheStandardFamilyByDefault) {
  const Context context = Context().child({.correlation_id = "corr-6",
                                           .request_id = "req-6",
                                           .user_id = "user-6",
                                           .session_id = "sess-6",
                                           .plugin = "plug",
                                           .operation_id = "op-6"});
  HeaderList headers;
  Propagator({.baggage = false}).inject(context, headers);
  EXPECT_EQ(only_header(headers, "X-Correlation-ID"), "corr-6");
  EXPECT_EQ(only_header(headers, "X-Request-ID"), "req-6");
  EXPECT_EQ(only_header(headers, "X-User-ID"), "user-6");
  EXPECT_EQ(only_header(headers, "X-Session-ID"), "sess-6");
  EXPECT_EQ(headers.size(), 4u);  // no MMF family, no plugin or operation
}

TEST(PropagatorInject, WritesTheMmfFamilyWhenChosen) {
  const Context context = Context().child({.correlation_id = "corr-7",
                                           .request_id = "req-7",
                                           .user_id = "user-7",
                                           .session_id = "sess-7",
                                           .plugin = "plug",
                                           .operation_id = "op-7"});
  HeaderList headers;
  Propagator({.baggage = false, .output_headers = CorrelationHeaders::kMmf})
      .inject(context, headers);
  EXPECT_EQ(only_header(headers, "X-MMF-Correlation-ID"), "corr-7");
  EXPECT_EQ(only_header(headers, "X-MMF-Request-ID"), "req-7");
  EXPECT_EQ(only_header(headers, "X-MMF-User-ID"), "user-7");
  EXPECT_EQ(only_header(headers, "X-MMF-Session-ID"), "sess-7");
  EXPECT_EQ(only_header(headers, "X-MMF-Plugin-ID"), "plug");
  EXPECT_EQ(only_header(headers, "X-MMF-Operation-ID"), "op-7");
  EXPECT_FALSE(has_header(headers, "X-Correlation-ID"));
  EXPECT_EQ(headers.size(), 6u);
}

TEST(PropagatorInject, OmitsEmptyFields) {
  const Context context = Context().with_correlation_id("only-corr");
  HeaderList headers;
  Propagator({.baggage = false, .output_headers = CorrelationHeaders::kMmf})
      .inject(context, headers);
  EXPECT_EQ(headers, (HeaderList{{"X-MMF-Correlation-ID", "only-corr"}}));
}

TEST(PropagatorInject, WritesNothingForAnEmptyContext) {
  HeaderList headers;
  Propagator().inject(Context(), headers);
  EXPECT_TRUE(headers.empty());
}

TEST(PropagatorInject, UsesTheCurrentContextByDefault) {
  HeaderList headers;
  {
    ContextScope scope(Context().with_correlation_id("current-1"));
    Propagator({.baggage = false}).inject(headers);
  }
  EXPECT_EQ(only_header(headers, "X-Correlation-ID"), "current-1");
}

TEST(PropagatorInject, ReplacesHeadersAlreadyInTheCarrier) {
  HeaderList headers{{"TraceParent", "stale"}, {"x-correlation-id", "stale"}, {"Accept", "*/*"}};
  Propagator().inject(outgoing_context({.correlation_id = "fresh"}), headers);
  EXPECT_EQ(only_header(headers, "traceparent"), kTraceparent);
  EXPECT_EQ(only_header(headers, "X-Correlation-ID"), "fresh");
  EXPECT_EQ(only_header(headers, "Accept"), "*/*");
}

// --- the baggage mirror of the correlation ID ---------------------------------------------

TEST(PropagatorExtract, UsesTheBaggageMirrorWhenTheHeaderIsMissing) {
  const HeaderList headers{{"baggage", "userId=alice,mmf.correlation_id=from-baggage"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "from-baggage");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
  EXPECT_FALSE(context.baggage().get("mmf.correlation_id").has_value());
  EXPECT_EQ(context.baggage().get("userId"), "alice");
}

TEST(PropagatorExtract, PrefersTheHeaderOverTheBaggageMirror) {
  const HeaderList headers{{"baggage", "mmf.correlation_id=from-baggage"},
                           {"X-Correlation-ID", "from-header"}};
  EXPECT_EQ(Propagator().extract(headers).correlation_id(), "from-header");
}

TEST(PropagatorExtract, UsesTheMirrorWhenTheHeaderIsInvalid) {
  const HeaderList headers{{"baggage", "mmf.correlation_id=from-baggage"},
                           {"X-Correlation-ID", "bad id"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_id(), "from-baggage");
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kIncoming);
}

TEST(PropagatorExtract, RejectsAnInvalidBaggageMirror) {
  CounterDelta counters;
  const HeaderList headers{{"baggage", "mmf.correlation_id=two%20words"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kRejected);
  EXPECT_TRUE(is_uuid_v7(context.correlation_id()));
  EXPECT_EQ(counters.delta().ids_rejected, 1u);
}

TEST(PropagatorExtract, UsesTheMirrorWhenCorrelationHeadersAreOff) {
  const HeaderList headers{{"baggage", "mmf.correlation_id=from-baggage"},
                           {"X-Correlation-ID", "from-header"}};
  const Context context = Propagator({.correlation = false}).extract(headers);
  EXPECT_EQ(context.correlation_id(), "from-baggage");
}

TEST(PropagatorInject, WritesTheCorrelationIdIntoBaggage) {
  HeaderList headers;
  Propagator().inject(Context().with_correlation_id("corr-8"), headers);
  EXPECT_EQ(only_header(headers, "baggage"), "mmf.correlation_id=corr-8");
}

TEST(PropagatorInject, WritesTheMirrorAheadOfOtherBaggage) {
  const Context context = Context()
                              .with_baggage(Baggage::parse("a=1,mmf.correlation_id=old"))
                              .with_correlation_id("corr-9");
  HeaderList headers;
  Propagator().inject(context, headers);
  EXPECT_EQ(only_header(headers, "baggage"), "mmf.correlation_id=corr-9,a=1");
}

// --- business fields ---------------------------------------------------------------------------

TEST(PropagatorExtract, MovesAllowedBaggageMembersIntoBusinessFields) {
  const HeaderList headers{{"baggage", "tenant=acme,cart_id=c-9,other=x%20y"}};
  const Context context =
      Propagator({.allowed_business_fields = {"tenant", "cart_id"}}).extract(headers);
  EXPECT_EQ(context.business_context(), (BusinessContext{{"cart_id", "c-9"}, {"tenant", "acme"}}));
  EXPECT_FALSE(context.baggage().get("tenant").has_value());
  EXPECT_FALSE(context.baggage().get("cart_id").has_value());
  EXPECT_EQ(context.baggage().get("other"), "x y");
}

TEST(PropagatorExtract, LeavesMembersThatAreNotAllowedInBaggage) {
  const HeaderList headers{{"baggage", "tenant=acme"}};
  const Context context = Propagator().extract(headers);
  EXPECT_TRUE(context.business_context().empty());
  EXPECT_EQ(context.baggage().get("tenant"), "acme");
}

TEST(PropagatorExtract, DropsAndCountsAllowedFieldsOverTheBusinessBudget) {
  CounterDelta counters;
  const HeaderList headers{{"baggage", "tenant=" + std::string(300, 'x')}};
  const Context context = Propagator({.allowed_business_fields = {"tenant"}}).extract(headers);
  EXPECT_TRUE(context.business_context().empty());
  EXPECT_EQ(counters.delta().business_fields_dropped, 1u);
}

TEST(PropagatorInject, WritesAllowedBusinessFieldsAsBaggage) {
  const Context context = Context()
                              .with_correlation_id("c")
                              .with_business_field("tenant", "acme corp")
                              .with_business_field("secret", "s3cr3t");
  HeaderList headers;
  Propagator({.allowed_business_fields = {"tenant"}}).inject(context, headers);
  EXPECT_EQ(only_header(headers, "baggage"), "mmf.correlation_id=c,tenant=acme%20corp");
}

TEST(PropagatorInject, KeepsBusinessFieldsInsideByDefault) {
  const Context context = Context().with_correlation_id("c").with_business_field("tenant", "acme");
  HeaderList headers;
  Propagator().inject(context, headers);
  EXPECT_EQ(only_header(headers, "baggage"), "mmf.correlation_id=c");
}

TEST(PropagatorInject, BusinessFieldsOverrideBaggageMembersOfTheSameName) {
  const Context context = Context()
                              .with_baggage(Baggage::parse("tenant=stale,z=1"))
                              .with_business_field("tenant", "fresh");
  HeaderList headers;
  Propagator({.allowed_business_fields = {"tenant"}}).inject(context, headers);
  EXPECT_EQ(only_header(headers, "baggage"), "tenant=fresh,z=1");
}

TEST(Propagator, KeepsOnlyValidDistinctAllowedBusinessFieldNames) {
  const Propagator propagator(
      {.allowed_business_fields = {"tenant", "9bad", "has space", "tenant", "cart_id", ""}});
  EXPECT_EQ(propagator.options().allowed_business_fields,
            (std::vector<std::string>{"cart_id", "tenant"}));
}

// --- options ---------------------------------------------------------------------------------

TEST(PropagatorOptions, TraceContextOffIgnoresAndOmitsTraceparent) {
  const HeaderList incoming{{"traceparent", std::string(kTraceparent)}, {"tracestate", "a=1"}};
  const Propagator propagator({.trace_context = false});
  EXPECT_FALSE(propagator.extract(incoming).span_context().is_valid());
  HeaderList outgoing;
  propagator.inject(outgoing_context({.correlation_id = "c"}), outgoing);
  EXPECT_FALSE(has_header(outgoing, "traceparent"));
  EXPECT_FALSE(has_header(outgoing, "tracestate"));
  EXPECT_TRUE(has_header(outgoing, "X-Correlation-ID"));
}

TEST(PropagatorOptions, BaggageOffIgnoresAndOmitsBaggage) {
  const HeaderList incoming{{"baggage", "a=1,mmf.correlation_id=from-baggage"}};
  const Propagator propagator({.baggage = false});
  const Context context = propagator.extract(incoming);
  EXPECT_TRUE(context.baggage().empty());
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kGenerated);
  HeaderList outgoing;
  propagator.inject(outgoing_context({.correlation_id = "c"}), outgoing);
  EXPECT_FALSE(has_header(outgoing, "baggage"));
}

TEST(PropagatorOptions, CorrelationOffIgnoresAndOmitsCorrelationHeaders) {
  const HeaderList incoming{{"X-Correlation-ID", "c"}, {"X-User-ID", "u"}};
  const Propagator propagator({.correlation = false});
  const Context context = propagator.extract(incoming);
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kGenerated);
  EXPECT_EQ(context.user_id(), "");
  HeaderList outgoing;
  propagator.inject(outgoing_context({.correlation_id = "c", .user_id = "u"}), outgoing);
  EXPECT_FALSE(has_header(outgoing, "X-Correlation-ID"));
  EXPECT_FALSE(has_header(outgoing, "X-User-ID"));
  EXPECT_TRUE(has_header(outgoing, "traceparent"));
}

TEST(PropagatorOptions, EverythingOffWritesNothing) {
  HeaderList outgoing;
  Propagator({.trace_context = false, .baggage = false, .b3 = false, .correlation = false})
      .inject(outgoing_context({.correlation_id = "c"}), outgoing);
  EXPECT_TRUE(outgoing.empty());
}

// --- size limits --------------------------------------------------------------------------

TEST(PropagatorLimits, IgnoresAndCountsATraceparentOverTheSizeLimit) {
  // A future version may append fields, so only the size limit refuses this value.
  std::string value = "cc" + std::string(kTraceparent.substr(2)) + "-";
  value.append(kMaxTraceparentSize + 1 - value.size(), 'x');
  CounterDelta counters;
  const HeaderList headers{{"traceparent", value}};
  EXPECT_FALSE(Propagator().extract(headers).span_context().is_valid());
  EXPECT_EQ(counters.delta().headers_oversized, 1u);
  EXPECT_EQ(counters.delta().traceparent_invalid, 1u);

  value.pop_back();
  const HeaderList at_limit{{"traceparent", value}};
  EXPECT_TRUE(Propagator().extract(at_limit).span_context().is_valid());
}

TEST(PropagatorLimits, IgnoresAndCountsATracestateFieldOverTheSizeLimit) {
  CounterDelta counters;
  const HeaderList headers{{"traceparent", std::string(kTraceparent)},
                           {"tracestate", "a=1"},
                           {"tracestate", "b=" + std::string(kMaxListHeaderSize, 'v')}};
  const SpanContext span = Propagator().extract(headers).span_context();
  EXPECT_TRUE(span.is_valid());
  EXPECT_TRUE(span.trace_state.empty());  // a list with a part missing is no list at all
  EXPECT_EQ(counters.delta().headers_oversized, 1u);
}

TEST(PropagatorLimits, IgnoresAndCountsABaggageFieldOverTheSizeLimit) {
  CounterDelta counters;
  const HeaderList headers{{"baggage", "a=1"},
                           {"baggage", "b=" + std::string(kMaxListHeaderSize, 'v')},
                           {"baggage", "c=3"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.baggage().get("a"), "1");
  EXPECT_FALSE(context.baggage().get("b").has_value());
  EXPECT_EQ(context.baggage().get("c"), "3");
  EXPECT_EQ(counters.delta().headers_oversized, 1u);
}

TEST(PropagatorLimits, AcceptsAListFieldOfExactlyTheSizeLimit) {
  CounterDelta counters;
  const std::string value = "b=" + std::string(kMaxListHeaderSize - 2, 'v');
  const HeaderList headers{{"baggage", value}};
  EXPECT_EQ(Propagator().extract(headers).baggage().size(), 1u);
  EXPECT_EQ(counters.delta().headers_oversized, 0u);
}

TEST(PropagatorLimits, InjectedBaggageStaysWithinItsLimits) {
  // 64 members that fill the header; the correlation mirror goes first, so the last member
  // of the baggage no longer fits and is left out whole.
  Baggage full;
  for (int i = 0; i < 64; ++i) full = full.set("k" + std::to_string(i), "v");
  ASSERT_EQ(full.size(), 64u);
  HeaderList headers;
  Propagator().inject(Context().with_baggage(full).with_correlation_id("c"), headers);
  const Baggage sent = Baggage::parse(only_header(headers, "baggage"));
  EXPECT_EQ(sent.size(), Baggage::kMaxEntries);
  EXPECT_EQ(sent.get("mmf.correlation_id"), "c");
  EXPECT_FALSE(sent.get("k63").has_value());

  // 4052 + 1 + 4052 bytes fit alone; with a 147-byte mirror ahead of them, "b" does not.
  const Baggage big = Baggage().set("a", std::string(4050, 'x')).set("b", std::string(4050, 'y'));
  ASSERT_EQ(big.size(), 2u);
  headers.clear();
  Propagator().inject(Context().with_baggage(big).with_correlation_id(std::string(128, 'c')),
                      headers);
  const std::string header = only_header(headers, "baggage");
  EXPECT_LE(header.size(), Baggage::kMaxHeaderSize);
  const Baggage sent_big = Baggage::parse(header);
  EXPECT_EQ(sent_big.size(), 2u);
  EXPECT_TRUE(sent_big.get("a").has_value());
  EXPECT_FALSE(sent_big.get("b").has_value());
}

// --- repeated and missing headers -------------------------------------------------------------

TEST(PropagatorExtract, RepeatedTraceparentGivesNoTraceContext) {
  const HeaderList headers{{"traceparent", std::string(kTraceparent)},
                           {"traceparent", std::string(kTraceparent)}};
  EXPECT_FALSE(Propagator().extract(headers).span_context().is_valid());
}

TEST(PropagatorExtract, TracestateWithoutTraceparentGivesNoTraceContext) {
  const HeaderList headers{{"tracestate", "a=1"}};
  const SpanContext span = Propagator().extract(headers).span_context();
  EXPECT_FALSE(span.is_valid());
  EXPECT_TRUE(span.trace_state.empty());
}

TEST(PropagatorExtract, CombinesSeveralTracestateAndBaggageFields) {
  const HeaderList headers{{"traceparent", std::string(kTraceparent)},
                           {"tracestate", "a=1"},
                           {"baggage", "x=1"},
                           {"TraceState", "b=2"},
                           {"Baggage", "y=2"}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.span_context().trace_state.header(), "a=1,b=2");
  EXPECT_EQ(context.baggage().to_header(), "x=1,y=2");
}

// --- round trips ------------------------------------------------------------------------------

TEST(PropagatorRoundTrip, ExtractOfInjectPreservesEverythingThatTravels) {
  for (CorrelationHeaders family : {CorrelationHeaders::kStandard, CorrelationHeaders::kMmf}) {
    const Propagator propagator({.output_headers = family, .allowed_business_fields = {"cart_id"}});
    const Context sent = outgoing_context({.correlation_id = "corr-rt",
                                           .request_id = "req-rt",
                                           .user_id = "user-rt",
                                           .session_id = "sess-rt",
                                           .business_context = {{"cart_id", "c 9"}}});
    HeaderList headers;
    propagator.inject(sent, headers);
    const Context received = propagator.extract(headers);

    const SpanContext& out = sent.span_context();
    const SpanContext& in = received.span_context();
    EXPECT_EQ(in.trace_id, out.trace_id);
    EXPECT_EQ(in.span_id, out.span_id);
    EXPECT_EQ(in.flags, out.flags);
    EXPECT_EQ(in.trace_state, out.trace_state);
    EXPECT_TRUE(in.is_remote);
    EXPECT_EQ(received.baggage(), sent.baggage());
    EXPECT_EQ(received.correlation_id(), "corr-rt");
    EXPECT_EQ(received.correlation_origin(), CorrelationOrigin::kIncoming);
    EXPECT_EQ(received.request_id(), "req-rt");
    EXPECT_EQ(received.user_id(), "user-rt");
    EXPECT_EQ(received.session_id(), "sess-rt");
    EXPECT_EQ(received.business_context(), sent.business_context());
  }
}

TEST(PropagatorRoundTrip, PluginAndOperationTravelInTheMmfFamily) {
  const Propagator propagator({.output_headers = CorrelationHeaders::kMmf});
  const Context sent = Context().child({.correlation_id = "c", .plugin = "p", .operation_id = "o"});
  HeaderList headers;
  propagator.inject(sent, headers);
  const Context received = propagator.extract(headers);
  EXPECT_EQ(received.plugin(), "p");
  EXPECT_EQ(received.operation_id(), "o");
}

TEST(PropagatorRoundTrip, AnIncomingRequestPassesThroughUnchanged) {
  const HeaderList incoming{{"traceparent", std::string(kTraceparent)},
                            {"tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"},
                            {"baggage", "mmf.correlation_id=corr-pt,userId=alice"},
                            {"X-Correlation-ID", "corr-pt"},
                            {"X-Request-ID", "req-pt"}};
  const Propagator propagator;
  HeaderList outgoing;
  propagator.inject(propagator.extract(incoming), outgoing);
  std::map<std::string, std::string> sorted_in(incoming.begin(), incoming.end());
  std::map<std::string, std::string> sorted_out(outgoing.begin(), outgoing.end());
  EXPECT_EQ(sorted_out, sorted_in);
}

// What a client span's outgoing call sends: the Context's fields and baggage, with the given
// span context in place of the Context's own.
TEST(PropagatorInject, ASpanContextGivenInPlaceOfTheContextsOwnIsTheOneSent) {
  const Propagator propagator;
  const Context parent = propagator.extract(HeaderList{{"traceparent", std::string(kTraceparent)},
                                                       {"tracestate", "rojo=00f067aa0ba902b7"},
                                                       {"baggage", "userId=alice"},
                                                       {"X-Correlation-ID", "corr-client"},
                                                       {"X-Request-ID", "req-client"}});
  SpanContext child = parent.span_context();
  child.span_id = SpanId::from_hex("b7ad6b7169203331").value();
  child.is_remote = false;

  HeaderList with_child;
  propagator.inject_to(parent, child, [&](std::string_view name, std::string_view value) {
    with_child.emplace_back(name, value);
  });
  HeaderList as_context;
  propagator.inject(parent.with_span_context(child), as_context);
  EXPECT_EQ(with_child, as_context);
  EXPECT_EQ(only_header(with_child, "traceparent"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01");
  EXPECT_EQ(only_header(with_child, "X-Correlation-ID"), "corr-client");
  EXPECT_EQ(only_header(with_child, "tracestate"), "rojo=00f067aa0ba902b7");

  // An invalid span context sends the fields without a trace.
  HeaderList without_trace;
  propagator.inject_to(parent, SpanContext(), [&](std::string_view name, std::string_view value) {
    without_trace.emplace_back(name, value);
  });
  EXPECT_FALSE(has_header(without_trace, "traceparent"));
  EXPECT_EQ(only_header(without_trace, "X-Correlation-ID"), "corr-client");
}

}  // namespace
}  // namespace mmf
