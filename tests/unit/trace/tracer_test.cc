// Tracer and Span: what a recorded span carries when it reaches the exporter.
#include "mmf/tracer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mmf/propagation.h"
#include "mmf/testing.h"
#include "mmf/testing_matchers.h"
#include "unit/fork_support.h"

namespace mmf {
namespace {

using test::HasAttribute;
using test::HasEvent;
using test::HasKind;
using test::HasName;
using test::HasStatusError;
using test::IsChildOf;
using test::IsRoot;
using test::RecordedSpan;
using test::TraceRecorder;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pointee;
using ::testing::UnorderedElementsAre;

// Options for the kit's TraceRecorder that keep the Tracer's default sampler (parent-based,
// every root sampled) instead of the recorder's always-on one: the tests that record through the
// kit still check that spans are sampled, and children exported, by default.
TracerOptions default_sampling() {
  TracerOptions options = TraceRecorder::default_options();
  options.sampler = nullptr;
  return options;
}

// For the tests that check what the kit's matchers do not cover (remote parents' hex IDs, limits
// and drop counts, the OK status, sampling statistics, attribute storage): a plain exporter.
struct Fixture {
  std::shared_ptr<InMemorySpanExporter> exporter = std::make_shared<InMemorySpanExporter>();
  Tracer tracer;

  explicit Fixture(TracerOptions options = {}) : tracer(with_exporter(std::move(options))) {}

  TracerOptions with_exporter(TracerOptions options) {
    options.exporter = exporter;
    return options;
  }

  std::vector<SpanData> flushed() {
    EXPECT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
    return exporter->spans();
  }
};

template <class T>
T value_of(const SpanData& span, std::string_view key) {
  const OwnedAttributeValue* value = span.attribute(key);
  if (value == nullptr || !std::holds_alternative<T>(*value)) {
    ADD_FAILURE() << "no attribute " << key << " of the expected type";
    return T{};
  }
  return std::get<T>(*value);
}

TEST(TracerTest, ExportsARootSpanWithEverythingItWasGiven) {
  TraceRecorder traces(default_sampling());
  const auto start = std::chrono::system_clock::now();
  {
    Span span =
        traces.tracer().start_span("charge_card", {.kind = SpanKind::kClient,
                                                   .start_time = start,
                                                   .attributes = {{"payment.method", "card"}}});
    ASSERT_TRUE(span.is_recording());
    EXPECT_TRUE(span.context().is_valid());
    EXPECT_TRUE(span.context().is_sampled());
    EXPECT_TRUE(span.context().flags.random());
    EXPECT_FALSE(span.context().is_remote);
    span.set_attribute("payment.amount", 12.5)
        .set_attribute("payment.retries", 2)
        .set_attribute("payment.captured", true)
        // A temporary: the span must copy the array, not keep pointing into it.
        .set_attribute("payment.tags",
                       std::span<const std::string_view>(std::vector<std::string_view>{"a", "bc"}));
  }
  const std::vector<RecordedSpan> spans = traces.spans();
  ASSERT_THAT(spans, ElementsAre(HasName("charge_card")));
  const RecordedSpan& span = spans[0];
  // HasAttribute compares the type too: 2 must stay an integer, 12.5 a double.
  const std::string_view tags[] = {"a", "bc"};
  EXPECT_THAT(span,
              AllOf(IsRoot(), HasKind(SpanKind::kClient), HasAttribute("payment.method", "card"),
                    HasAttribute("payment.amount", 12.5), HasAttribute("payment.retries", 2),
                    HasAttribute("payment.captured", true),
                    HasAttribute("payment.tags", std::span<const std::string_view>(tags))));
  EXPECT_TRUE(span.trace_id.is_valid());
  EXPECT_TRUE(span.span_id.is_valid());
  EXPECT_EQ(span.start_unix_nano,
            std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count());
  EXPECT_GE(span.end_unix_nano, span.start_unix_nano);
  EXPECT_EQ(span.status_code, StatusCode::kUnset);
}

// A span's own start and end (recorded as raw counter readings where the TSC is in use, and
// converted when exported) are the wall-clock times around which it ran; an explicit end
// before the start is moved to the start.
TEST(TracerTest, ASpansTimesAreTheWallClockTimesItRanBetween) {
  Fixture f;
  const auto wall_now = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  constexpr std::int64_t kSlack = 5'000'000;  // the calibration's error, a preempted thread
  const std::int64_t before_start = wall_now();
  Span span = f.tracer.start_span("timed");
  const std::int64_t after_start = wall_now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::int64_t before_end = wall_now();
  span.end();
  const std::int64_t after_end = wall_now();
  Span early = f.tracer.start_span("ends before it starts");
  early.end(std::chrono::system_clock::time_point());
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_GE(spans[0].start_unix_nano, before_start - kSlack);
  EXPECT_LE(spans[0].start_unix_nano, after_start + kSlack);
  EXPECT_GE(spans[0].end_unix_nano, before_end - kSlack);
  EXPECT_LE(spans[0].end_unix_nano, after_end + kSlack);
  EXPECT_GE(spans[0].end_unix_nano - spans[0].start_unix_nano, 20'000'000 - kSlack);
  EXPECT_EQ(spans[1].end_unix_nano, spans[1].start_unix_nano);
  EXPECT_GT(spans[1].start_unix_nano, before_start - kSlack);
}

TEST(TracerTest, ChildOfTheActiveSpanSharesItsTrace) {
  TraceRecorder traces(default_sampling());
  SpanContext parent_context;
  {
    Span parent = traces.tracer().start_span("parent");
    parent_context = parent.context();
    auto scope = parent.activate();
    EXPECT_EQ(Context::current().span_context().span_id, parent.context().span_id);
    Span child = traces.tracer().start_span("child");
    EXPECT_EQ(child.context().trace_id, parent.context().trace_id);
  }
  EXPECT_FALSE(Context::current().span_context().is_valid()) << "the scope restored the Context";
  ASSERT_THAT(traces.spans(), UnorderedElementsAre(HasName("parent"), HasName("child")));
  const RecordedSpan* parent = traces.find("parent");
  const RecordedSpan* child = traces.find("child");
  EXPECT_THAT(*parent, IsRoot());
  EXPECT_THAT(*child, IsChildOf(parent_context));  // its trace ID and parent span ID
  EXPECT_THAT(traces.children_of(*parent), ElementsAre(HasName("child")));
  EXPECT_FALSE(child->parent_is_remote);
}

TEST(TracerTest, RemoteParentFromHeadersKeepsTraceAndTracestate) {
  Fixture f;
  const std::map<std::string, std::string> headers = {
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"tracestate", "rojo=00f067aa0ba902b7"}};
  const Context incoming = Propagator().extract(headers);
  { Span span = f.tracer.start_span("handle", {.kind = SpanKind::kServer, .parent = incoming}); }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(spans[0].parent_span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(spans[0].parent_is_remote);
  EXPECT_EQ(spans[0].trace_state, "rojo=00f067aa0ba902b7");
  EXPECT_FALSE(spans[0].flags.random()) << "the caller did not promise a random trace ID";
}

TEST(TracerTest, SpansCarryTheCorrelationFieldsOfTheirContext) {
  TraceRecorder traces(default_sampling());
  {
    CorrelationScope scope({.correlation_id = "req_12345",
                            .user_id = "user_67890",
                            .session_id = "sess_abcdef",
                            .plugin = "fraud-plugin"});
    Span span = traces.tracer().start_span("validate_payment_data");
  }
  EXPECT_THAT(traces.spans(), ElementsAre(AllOf(HasAttribute("correlation_id", "req_12345"),
                                                HasAttribute("user.id", "user_67890"),
                                                HasAttribute("session.id", "sess_abcdef"),
                                                HasAttribute("mmf.plugin.name", "fraud-plugin"))));
}

TEST(TracerTest, SettingAKeyAgainReplacesItsValue) {
  TraceRecorder traces(default_sampling());
  {
    Span span = traces.tracer().start_span("s");
    span.set_attribute("count", 1).set_attribute("count", 2);                       // in place
    span.set_attribute("state", "short").set_attribute("state", "a longer value");  // re-appended
    span.set_attribute("state", "a longer value!").set_attribute("kind", "x");
    span.set_attribute("count", "now a string");
  }
  const std::vector<RecordedSpan> spans = traces.spans();
  ASSERT_EQ(spans.size(), 1u);
  std::vector<std::string> keys;  // each key once: replaced, not added again
  for (const KeyValue& attribute : spans[0].attributes) keys.push_back(attribute.key);
  EXPECT_THAT(keys, UnorderedElementsAre("count", "state", "kind"));
  EXPECT_THAT(spans[0], AllOf(HasAttribute("count", "now a string"),
                              HasAttribute("state", "a longer value!"), HasAttribute("kind", "x")));
  EXPECT_EQ(spans[0].dropped_attributes_count, 0u);
}

TEST(TracerTest, LimitsDropAndCountWhatIsOver) {
  Fixture f({.limits = {.attribute_count = 2,
                        .attribute_value_length = 4,
                        .event_count = 1,
                        .link_count = 1,
                        .event_attribute_count = 1,
                        .link_attribute_count = 1}});
  const Attribute link_attributes[] = {{"a", 1}, {"b", 2}};
  const Link links[] = {{SpanContext{}, link_attributes}, {SpanContext{}, {}}};
  {
    Span span = f.tracer.start_span("s", {.links = links});
    span.set_attribute("one", "1234567").set_attribute("two", 2).set_attribute("three", 3);
    span.set_attribute("one", "x");  // an existing key is still replaced at the limit
    span.add_event("first", {{"k1", 1}, {"k2", 2}}).add_event("second");
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& span = spans[0];
  EXPECT_EQ(span.attributes.size(), 2u);
  EXPECT_EQ(value_of<std::string>(span, "one"), "x");
  EXPECT_EQ(span.dropped_attributes_count, 1u);
  ASSERT_EQ(span.events.size(), 1u);
  EXPECT_EQ(span.events[0].attributes.size(), 1u);
  EXPECT_EQ(span.events[0].dropped_attributes_count, 1u);
  EXPECT_EQ(span.dropped_events_count, 1u);
  ASSERT_EQ(span.links.size(), 1u);
  EXPECT_EQ(span.links[0].attributes.size(), 1u);
  EXPECT_EQ(span.links[0].dropped_attributes_count, 1u);
  EXPECT_EQ(span.dropped_links_count, 1u);
  EXPECT_EQ(f.tracer.stats().attributes_dropped, 1u);
}

TEST(TracerTest, LongValuesAreCutToTheLengthLimit) {
  TracerOptions options = default_sampling();
  options.limits = {.attribute_value_length = 5};
  TraceRecorder traces(std::move(options));
  {
    Span span = traces.tracer().start_span("s");
    span.set_attribute("text", "abcdefgh");
    const std::string_view list[] = {"123456", "12"};
    span.set_attribute("list", std::span<const std::string_view>(list));
  }
  const std::string_view cut_list[] = {"12345", "12"};
  EXPECT_THAT(
      traces.spans(),
      ElementsAre(AllOf(HasAttribute("text", "abcde"),
                        HasAttribute("list", std::span<const std::string_view>(cut_list)))));
}

TEST(TracerTest, EventsExceptionsStatusAndNames) {
  TraceRecorder traces(default_sampling());
  const auto event_time = std::chrono::system_clock::now();
  {
    Span span = traces.tracer().start_span("first name");
    span.add_event("cache miss", {{"cache.key", "user:1"}}, event_time);
    try {
      throw std::out_of_range("index 7");
    } catch (const std::exception& error) {
      span.record_exception(error);
    }
    span.set_status(StatusCode::kError, "card declined");
    span.update_name("final name");
  }
  const std::vector<RecordedSpan> spans = traces.spans();
  ASSERT_THAT(spans, ElementsAre(AllOf(HasName("final name"), HasStatusError("card declined"))));
  const RecordedSpan& span = spans[0];
  // Whole events rather than HasEvent: their order, and every attribute in its order, count.
  ASSERT_EQ(span.events.size(), 2u);
  EXPECT_EQ(span.events[0].name, "cache miss");
  EXPECT_EQ(
      span.events[0].time_unix_nano,
      std::chrono::duration_cast<std::chrono::nanoseconds>(event_time.time_since_epoch()).count());
  EXPECT_EQ(span.events[0].attributes,
            (std::vector<KeyValue>{{"cache.key", std::string("user:1")}}));
  EXPECT_EQ(span.events[1].name, "exception");
  EXPECT_EQ(span.events[1].attributes,
            (std::vector<KeyValue>{{"exception.type", std::string("std::out_of_range")},
                                   {"exception.message", std::string("index 7")}}));
}

TEST(TracerTest, OkStatusIsFinalAndUnsetIsIgnored) {
  Fixture f;
  {
    Span span = f.tracer.start_span("s");
    span.set_status(StatusCode::kError, "first").set_status(StatusCode::kOk, "ignored text");
    span.set_status(StatusCode::kError, "too late").set_status(StatusCode::kUnset);
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].status_code, StatusCode::kOk);
  EXPECT_EQ(spans[0].status_message, "");
}

TEST(TracerTest, EndingTwiceMovingAndUsingAfterEndAreHarmless) {
  TraceRecorder traces(default_sampling());
  Span first = traces.tracer().start_span("first");
  Span moved = std::move(first);
  EXPECT_FALSE(first.is_recording());  // NOLINT(bugprone-use-after-move): moved-from is inert
  first.set_attribute("ignored", 1).end();
  moved.end();
  moved.end();
  moved.set_attribute("after", 1).add_event("after").set_status(StatusCode::kError);
  Span second = traces.tracer().start_span("second");
  second = traces.tracer().start_span("third");  // ends "second"
  second.end();
  Span empty;
  EXPECT_FALSE(empty.context().is_valid());
  empty.end();
  EXPECT_THAT(traces.spans(),
              UnorderedElementsAre(HasName("first"), HasName("second"), HasName("third")));
  // Nothing done through either handle after the end reached the exported span.
  EXPECT_THAT(traces.find("first"), Pointee(AllOf(Field(&SpanData::attributes, IsEmpty()),
                                                  Not(HasEvent("after")), Not(HasStatusError()))));
}

TEST(TracerTest, SpansTheSamplerDropsHaveAContextButAreNotExported) {
  Fixture f({.sampler = always_off_sampler()});
  Span span = f.tracer.start_span("dropped");
  EXPECT_FALSE(span.is_recording());
  EXPECT_TRUE(span.context().is_valid());
  EXPECT_FALSE(span.context().is_sampled());
  {
    auto scope = span.activate();
    Span child = f.tracer.start_span("child");
    EXPECT_EQ(child.context().trace_id, span.context().trace_id);
  }
  span.end();
  EXPECT_TRUE(f.flushed().empty());
  EXPECT_EQ(f.tracer.stats().spans_not_sampled, 2u);
  EXPECT_EQ(f.tracer.stats().spans_started, 0u);
}

// The Context of a request that came with trace 4bf92f35..., parent span 00f067aa0ba902b7, the
// given trace flags (two hex digits) and a two-member tracestate.
Context incoming_request(std::string_view flags) {
  const std::map<std::string, std::string> headers = {
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + std::string(flags)},
      {"tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}};
  return Propagator().extract(headers);
}

// A dropped span still carries what its context must carry downstream: a root gets the W3C
// random flag (its trace ID is random), a child keeps its parent's trace ID, random flag and
// tracestate, and neither is marked sampled.
TEST(TracerTest, ADroppedSpanKeepsItsParentsTracestateAndRandomFlag) {
  Fixture f({.sampler = always_off_sampler()});
  Span root = f.tracer.start_span("root");
  EXPECT_TRUE(root.context().flags.random());
  EXPECT_FALSE(root.context().is_sampled());
  EXPECT_TRUE(root.context().trace_state.empty());

  // Level 1 traceparent (flags 00: neither sampled nor random) with a tracestate.
  const Context incoming = incoming_request("00");
  Span child = f.tracer.start_span("child", {.kind = SpanKind::kServer, .parent = incoming});
  EXPECT_FALSE(child.is_recording());
  EXPECT_EQ(child.context().trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(child.context().span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_FALSE(child.context().flags.random());
  EXPECT_FALSE(child.context().is_sampled());
  EXPECT_EQ(child.context().trace_state.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(f.tracer.stats().spans_not_sampled, 2u);
}

// With telemetry off, a span is its parent's context passed on as it came: the same IDs,
// flags, remote mark and tracestate, and nothing counted.
TEST(TracerTest, ADisabledTracersSpanCarriesItsParentsContextUnchanged) {
  Fixture f({.enabled = false});
  const Context incoming = incoming_request("01");
  Span span = f.tracer.start_span("handler", {.kind = SpanKind::kServer, .parent = incoming});
  EXPECT_FALSE(span.is_recording());
  EXPECT_EQ(span.context(), incoming.span_context());
  EXPECT_TRUE(span.context().is_remote);
  EXPECT_EQ(span.context().trace_state.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_FALSE(f.tracer.start_span("root").context().is_valid());
  EXPECT_EQ(f.tracer.stats().spans_not_sampled, 0u);
  EXPECT_EQ(f.tracer.stats().spans_started, 0u);
}

// A configured IdGenerator gives every span ID, and a root's trace ID; a child keeps its
// parent's trace ID.
TEST(TracerTest, AConfiguredIdGeneratorGivesTheIds) {
  struct Counting : IdGenerator {
    std::uint8_t next = 0;
    TraceId new_trace_id() noexcept override {
      std::array<std::uint8_t, TraceId::kSize> bytes{};
      bytes.back() = ++next;
      return TraceId(bytes);
    }
    SpanId new_span_id() noexcept override {
      std::array<std::uint8_t, SpanId::kSize> bytes{};
      bytes.back() = ++next;
      return SpanId(bytes);
    }
    std::string new_correlation_id() override { return "00000000-0000-7000-8000-000000000000"; }
  } ids;
  Fixture f({.id_generator = &ids});
  Span root = f.tracer.start_span("root");
  EXPECT_EQ(root.context().trace_id.to_hex(), "00000000000000000000000000000001");
  EXPECT_EQ(root.context().span_id.to_hex(), "0000000000000002");
  Span child =
      f.tracer.start_span("child", {.parent = Context().with_span_context(root.context())});
  EXPECT_EQ(child.context().trace_id, root.context().trace_id);
  EXPECT_EQ(child.context().span_id.to_hex(), "0000000000000003");
}

// The tracer draws a root span's IDs from the thread's generator directly (not through
// IdGenerator): a forked child must still get IDs of its own, not the parent's next ones.
TEST(TracerTest, AForkedChildsRootSpansDoNotRepeatItsParentsIds) {
  Fixture f({.sampler = always_off_sampler()});
  { Span seeded = f.tracer.start_span("before the fork"); }  // the generator is seeded
  const auto ids_of = [](const Span& span) {
    return span.context().trace_id.to_hex() + span.context().span_id.to_hex();
  };
  const std::optional<std::string> child_ids =
      testing_support::text_from_forked_child([&] { return ids_of(f.tracer.start_span("child")); });
  ASSERT_TRUE(child_ids.has_value());
  const std::string parent_ids = ids_of(f.tracer.start_span("parent"));
  ASSERT_EQ(child_ids->size(), 48u);
  EXPECT_NE(child_ids->substr(0, 32), parent_ids.substr(0, 32));  // trace IDs
  EXPECT_NE(child_ids->substr(32), parent_ids.substr(32));        // span IDs
}

TEST(TracerTest, LargeAttributesSpanManyBlocksAndReadBackIntact) {
  Fixture f;
  std::vector<std::string> values;
  for (int i = 0; i < 40; ++i)
    values.push_back(
        std::string(static_cast<std::size_t>(i * 37 % 500), 'a' + static_cast<char>(i % 26)));
  {
    Span span = f.tracer.start_span(std::string(300, 'n'));
    for (std::size_t i = 0; i < values.size(); ++i) {
      span.set_attribute("key." + std::to_string(i), values[i]);
    }
    const std::int64_t numbers[] = {1, -2, 3};
    span.set_attribute("numbers", std::span<const std::int64_t>(numbers));
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, std::string(300, 'n'));
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(value_of<std::string>(spans[0], "key." + std::to_string(i)), values[i]) << i;
  }
  EXPECT_THAT(value_of<std::vector<std::int64_t>>(spans[0], "numbers"), ElementsAre(1, -2, 3));
}

}  // namespace
}  // namespace mmf
