#include "mmf/context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mmf/ids.h"

namespace mmf {
namespace {

using ::testing::IsEmpty;

TEST(Context, EmptyContextHasNoFields) {
  Context context;
  EXPECT_TRUE(context.empty());
  EXPECT_THAT(context.correlation_id(), IsEmpty());
  EXPECT_THAT(context.user_id(), IsEmpty());
  EXPECT_FALSE(context.span_context().is_valid());
  EXPECT_TRUE(context.baggage().empty());
  EXPECT_TRUE(context.business_context().empty());
  EXPECT_EQ(context.correlation_origin(), CorrelationOrigin::kNone);
}

TEST(Context, NoCurrentContextOutsideScopes) {
  EXPECT_TRUE(Context::current().empty());
  EXPECT_THAT(get_correlation_id(), IsEmpty());
  EXPECT_THAT(get_request_id(), IsEmpty());
  EXPECT_THAT(get_user_id(), IsEmpty());
  EXPECT_THAT(get_session_id(), IsEmpty());
  EXPECT_TRUE(get_business_context().empty());
}

TEST(CorrelationScope, SetsFieldsAndRestoresOnExit) {
  {
    CorrelationScope scope({.operation_name = "process_payment",
                            .correlation_id = "req_12345",
                            .user_id = "user_67890",
                            .session_id = "sess_abcdef",
                            .business_context = {{"cart_id", "c-9"}}});
    EXPECT_EQ(get_correlation_id(), "req_12345");
    EXPECT_EQ(get_user_id(), "user_67890");
    EXPECT_EQ(get_session_id(), "sess_abcdef");
    EXPECT_EQ(Context::current().operation_name(), "process_payment");
    EXPECT_EQ(get_business_context().at("cart_id"), "c-9");
    EXPECT_EQ(Context::current().correlation_origin(), CorrelationOrigin::kLocal);
  }
  EXPECT_TRUE(Context::current().empty());
}

TEST(CorrelationScope, GeneratesUuidV7CorrelationIdWhenNoneIsInherited) {
  CorrelationScope scope({.operation_name = "job"});
  const std::string& id = get_correlation_id();
  ASSERT_TRUE(is_uuid(id)) << id;
  EXPECT_EQ(id[14], '7');  // version nibble
  EXPECT_TRUE(is_uuid(get_request_id()));
  EXPECT_NE(get_request_id(), id);
}

TEST(CorrelationScope, NestedScopeInheritsFieldsAndGetsANewRequestId) {
  CorrelationScope outer({.correlation_id = "corr-1",
                          .request_id = "req-outer",
                          .user_id = "alice",
                          .business_context = {{"tenant", "t1"}}});
  {
    CorrelationScope inner({.operation_name = "inner", .business_context = {{"cart_id", "c1"}}});
    const Context current = Context::current();
    EXPECT_EQ(current.correlation_id(), "corr-1");
    EXPECT_EQ(current.user_id(), "alice");
    EXPECT_EQ(current.parent_request_id(), "req-outer");
    EXPECT_TRUE(is_uuid(current.request_id()));
    EXPECT_EQ(current.business_context().at("tenant"), "t1");
    EXPECT_EQ(current.business_context().at("cart_id"), "c1");
  }
  EXPECT_EQ(get_request_id(), "req-outer");
  EXPECT_EQ(get_business_context().count("cart_id"), 0U);
}

TEST(CorrelationScope, InnerFieldNeverLeaksOut) {
  CorrelationScope outer({.correlation_id = "corr-1", .user_id = "alice"});
  {
    CorrelationScope inner({.correlation_id = "corr-2", .user_id = "bob", .session_id = "s-2"});
    EXPECT_EQ(get_correlation_id(), "corr-2");
    EXPECT_EQ(get_user_id(), "bob");
  }
  EXPECT_EQ(get_correlation_id(), "corr-1");
  EXPECT_EQ(get_user_id(), "alice");
  EXPECT_THAT(get_session_id(), IsEmpty());
}

TEST(CorrelationScope, RestoresWhenAnExceptionUnwinds) {
  CorrelationScope outer({.correlation_id = "outer"});
  EXPECT_THROW(
      {
        CorrelationScope inner({.correlation_id = "inner"});
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_EQ(get_correlation_id(), "outer");
}

TEST(CorrelationScope, InvalidIdsAreIgnoredAndCounted) {
  const auto before = propagation_counters().ids_rejected;
  CorrelationScope scope({.correlation_id = "bad id with spaces",
                          .user_id = "line\nbreak",
                          .session_id = std::string(kMaxIdLength + 1, 'a')});
  EXPECT_TRUE(is_uuid(get_correlation_id()));
  EXPECT_THAT(get_user_id(), IsEmpty());
  EXPECT_THAT(get_session_id(), IsEmpty());
  EXPECT_EQ(propagation_counters().ids_rejected - before, 3U);
}

TEST(WithCorrelation, RunsTheFunctionInsideAScopeAndReturnsItsValue) {
  const std::string seen = with_correlation({.correlation_id = "fn-1"},
                                            [] { return std::string(get_correlation_id()); });
  EXPECT_EQ(seen, "fn-1");
  EXPECT_TRUE(Context::current().empty());
}

TEST(SetUserId, ChangesTheInnermostScopeOnly) {
  CorrelationScope outer({.correlation_id = "c", .user_id = "outer-user"});
  {
    CorrelationScope inner({.operation_name = "inner"});
    EXPECT_TRUE(set_user_id("inner-user"));
    EXPECT_EQ(get_user_id(), "inner-user");
    {
      CorrelationScope nested({.operation_name = "nested"});
      EXPECT_EQ(get_user_id(), "inner-user");  // inherited by nested scopes
    }
    EXPECT_EQ(get_user_id(), "inner-user");
  }
  EXPECT_EQ(get_user_id(), "outer-user");
}

TEST(SetUserId, IsCopyOnWriteForContextsAlreadyCaptured) {
  CorrelationScope scope({.correlation_id = "c", .user_id = "before"});
  const Context captured = capture();
  ASSERT_TRUE(set_user_id("after"));
  EXPECT_EQ(captured.user_id(), "before");
  EXPECT_EQ(get_user_id(), "after");
}

TEST(SetUserId, RefusesInvalidIds) {
  CorrelationScope scope({.correlation_id = "c", .user_id = "kept"});
  EXPECT_FALSE(set_user_id("x\"injected\":1"));
  EXPECT_FALSE(set_user_id(std::string(200, 'u')));
  EXPECT_EQ(get_user_id(), "kept");
  EXPECT_TRUE(set_user_id(""));  // empty clears
  EXPECT_THAT(get_user_id(), IsEmpty());
}

TEST(SetUserId, OutsideEveryScopeStaysOnThisThread) {
  // On a thread of its own, so that the change cannot reach the other tests.
  std::thread([] {
    ASSERT_TRUE(Context::current().empty());
    ASSERT_TRUE(set_user_id("thread-user"));
    EXPECT_EQ(get_user_id(), "thread-user");
    {
      CorrelationScope scope({.correlation_id = "c"});
      EXPECT_EQ(get_user_id(), "thread-user");
    }
    EXPECT_EQ(get_user_id(), "thread-user");
  }).join();
  EXPECT_THAT(get_user_id(), IsEmpty());
}

TEST(SetSessionAndCorrelation, UpdateTheCurrentContext) {
  CorrelationScope scope({.correlation_id = "c1"});
  EXPECT_TRUE(set_session_id("s1"));
  EXPECT_TRUE(set_correlation_id("c2"));
  EXPECT_EQ(get_session_id(), "s1");
  EXPECT_EQ(get_correlation_id(), "c2");
  EXPECT_FALSE(set_correlation_id("no spaces allowed"));
  EXPECT_EQ(get_correlation_id(), "c2");
}

TEST(BusinessContext, SetBusinessFieldEnforcesKeyRules) {
  CorrelationScope scope({.correlation_id = "c"});
  EXPECT_TRUE(set_business_field("order.id", "o-1"));
  EXPECT_FALSE(set_business_field("1starts-with-digit", "x"));
  EXPECT_FALSE(set_business_field("has space", "x"));
  EXPECT_FALSE(set_business_field(std::string(BusinessContextLimits::kMaxKeyLength + 1, 'k'), "x"));
  EXPECT_FALSE(
      set_business_field("big", std::string(BusinessContextLimits::kMaxValueLength + 1, 'v')));
  EXPECT_EQ(get_business_context().size(), 1U);
}

TEST(BusinessContext, FieldCountAndSizeBudgetsAreEnforcedAndCounted) {
  const auto before = propagation_counters().business_fields_dropped;
  BusinessContext many;
  for (std::size_t i = 0; i < BusinessContextLimits::kMaxFields + 5; ++i) {
    many.emplace("field" + std::to_string(100 + i), "v");
  }
  CorrelationScope scope({.correlation_id = "c", .business_context = many});
  EXPECT_EQ(get_business_context().size(), BusinessContextLimits::kMaxFields);
  EXPECT_EQ(propagation_counters().business_fields_dropped - before, 5U);

  // Total bytes: 20 values of 250 bytes exceed 4096.
  BusinessContext big;
  for (int i = 0; i < 20; ++i) big.emplace("k" + std::to_string(10 + i), std::string(250, 'x'));
  CorrelationScope big_scope({.business_context = big});
  std::size_t total = 0;
  for (const auto& [key, value] : get_business_context()) total += key.size() + value.size();
  EXPECT_LE(total, BusinessContextLimits::kMaxTotalBytes);
}

TEST(ContextScope, NestsAndRestoresArbitraryContexts) {
  const Context a = Context().with_correlation_id("a");
  const Context b = Context().with_correlation_id("b");
  {
    ContextScope scope_a(a);
    EXPECT_EQ(get_correlation_id(), "a");
    {
      ContextScope scope_b(b);
      EXPECT_EQ(get_correlation_id(), "b");
      EXPECT_TRUE(Context::current().same_as(b));
    }
    EXPECT_EQ(get_correlation_id(), "a");
  }
  EXPECT_TRUE(Context::current().empty());
}

TEST(ContextScope, AnEmptyContextHidesTheEnclosingOne) {
  CorrelationScope scope({.correlation_id = "outer"});
  {
    ContextScope hidden{Context()};
    EXPECT_THAT(get_correlation_id(), IsEmpty());
  }
  EXPECT_EQ(get_correlation_id(), "outer");
}

TEST(Context, CopiesShareOneImmutableBlock) {
  const Context original = Context().with_user_id("u1");
  Context copy = original;
  EXPECT_TRUE(copy.same_as(original));
  Context moved = std::move(copy);
  EXPECT_TRUE(moved.same_as(original));
  const Context changed = moved.with_user_id("u2");
  EXPECT_FALSE(changed.same_as(original));
  EXPECT_EQ(original.user_id(), "u1");
  EXPECT_EQ(changed.user_id(), "u2");
}

TEST(Context, WithSpanContextKeepsCorrelationFields) {
  const Context base = Context().with_correlation_id("c").with_user_id("u");
  SpanContext span;
  span.trace_id = new_trace_id();
  span.span_id = new_span_id();
  span.flags = TraceFlags(TraceFlags::kSampled);
  const Context traced = base.with_span_context(span);
  EXPECT_EQ(traced.span_context(), span);
  EXPECT_EQ(traced.correlation_id(), "c");
  EXPECT_EQ(traced.user_id(), "u");
  EXPECT_FALSE(base.span_context().is_valid());
}

// The rvalue form reuses a block no one else holds; every other field must come through.
TEST(Context, WithSpanContextOnAnUnsharedContextKeepsEveryField) {
  SpanContext span;
  span.trace_id = new_trace_id();
  span.span_id = new_span_id();
  span.flags = TraceFlags(TraceFlags::kSampled);
  Context base = Context()
                     .child({.operation_name = "op",
                             .correlation_id = "c",
                             .request_id = "r",
                             .user_id = "u",
                             .session_id = "s",
                             .plugin = "p",
                             .operation_id = "o",
                             .business_context = {{"tenant", "acme"}}})
                     .with_baggage(Baggage().set("k", "v"));
  const Context expected = base;  // a second reference: this one takes the copying path
  const Context copied = expected.with_span_context(span);
  base = Context();
  Context unshared = expected.with_user_id("u");  // an equal block held only here
  const Context reused = std::move(unshared).with_span_context(span);
  for (const Context* traced : {&copied, &reused}) {
    EXPECT_EQ(traced->span_context(), span);
    EXPECT_EQ(traced->correlation_id(), "c");
    EXPECT_EQ(traced->request_id(), "r");
    EXPECT_EQ(traced->parent_request_id(), expected.parent_request_id());
    EXPECT_EQ(traced->user_id(), "u");
    EXPECT_EQ(traced->session_id(), "s");
    EXPECT_EQ(traced->operation_name(), "op");
    EXPECT_EQ(traced->plugin(), "p");
    EXPECT_EQ(traced->operation_id(), "o");
    EXPECT_EQ(traced->business_context(), expected.business_context());
    EXPECT_EQ(traced->baggage(), expected.baggage());
    EXPECT_EQ(traced->correlation_origin(), expected.correlation_origin());
  }
  EXPECT_FALSE(expected.span_context().is_valid());
}

TEST(Context, WithSpanContextOnASharedContextLeavesTheOtherHolderUnchanged) {
  SpanContext span;
  span.trace_id = new_trace_id();
  span.span_id = new_span_id();
  const Context kept = Context().with_correlation_id("c");
  Context shared = kept;
  const Context traced = std::move(shared).with_span_context(span);
  EXPECT_FALSE(traced.same_as(kept));
  EXPECT_FALSE(kept.span_context().is_valid());
  EXPECT_EQ(traced.span_context(), span);
  EXPECT_EQ(traced.correlation_id(), "c");
  EXPECT_TRUE(Context().with_span_context(span).span_context() == span);  // empty: a new block
}

TEST(Context, ChildKeepsTraceAndBaggage) {
  SpanContext span;
  span.trace_id = new_trace_id();
  span.span_id = new_span_id();
  const Context parent = Context()
                             .with_span_context(span)
                             .with_baggage(Baggage().set("k", "v"))
                             .with_correlation_id("c");
  const Context child = parent.child({.operation_name = "op"});
  EXPECT_EQ(child.span_context(), span);
  EXPECT_EQ(child.baggage().get("k"), "v");
  EXPECT_EQ(child.correlation_id(), "c");
  EXPECT_EQ(child.operation_name(), "op");
}

TEST(IsValidId, AcceptsTheSafeCharacterSetOnly) {
  EXPECT_TRUE(is_valid_id("req_12345"));
  EXPECT_TRUE(is_valid_id("0191e2f4-7a3b-7c00-8d2e-1234567890ab"));
  EXPECT_TRUE(is_valid_id("user@example.com"));
  EXPECT_TRUE(is_valid_id("a:b/c+d=e.f-g"));
  EXPECT_TRUE(is_valid_id(std::string(kMaxIdLength, 'x')));
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id(std::string(kMaxIdLength + 1, 'x')));
  for (const std::string& bad :
       std::vector<std::string>{"a b", "a\tb", "a\nb", "a\rb", "a\"b", "a\\b", "a,b", "a;b", "a<b",
                                "caf\xc3\xa9", std::string("a\0b", 3), "a\x7f"}) {
    EXPECT_FALSE(is_valid_id(bad)) << bad;
  }
}

// Every byte value at the edges of the 16-byte blocks checked at once, in IDs of the lengths
// around them, against the rule written out; the last block overlaps the one before.
TEST(IsValidId, ChecksEveryByteOfIdsOfAnyLength) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':' || c == '@' || c == '/' || c == '+' || c == '=';
  };
  for (std::size_t length : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 36u, 128u}) {
    for (int byte = 0; byte < 256; ++byte) {
      for (std::size_t position : {std::size_t{0}, length / 2, length - 1}) {
        std::string id(length, 'a');
        id[position] = static_cast<char>(byte);
        ASSERT_EQ(is_valid_id(id), allowed(static_cast<char>(byte)))
            << "byte " << byte << " at " << position << " of " << length;
      }
    }
  }
}

}  // namespace
}  // namespace mmf
