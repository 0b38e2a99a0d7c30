// Tracer and Span: what a recorded span carries when it reaches the exporter.
#include "mmf/tracer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "mmf/propagation.h"

namespace mmf {
namespace {

using ::testing::ElementsAre;

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
  Fixture f;
  const auto start = std::chrono::system_clock::now();
  {
    Span span = f.tracer.start_span("charge_card", {.kind = SpanKind::kClient,
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
        .set_attribute("payment.tags",
                       std::span<const std::string_view>(std::vector<std::string_view>{"a", "bc"}));
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& span = spans[0];
  EXPECT_EQ(span.name, "charge_card");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_TRUE(span.trace_id.is_valid());
  EXPECT_TRUE(span.span_id.is_valid());
  EXPECT_FALSE(span.parent_span_id.is_valid());
  EXPECT_EQ(span.start_unix_nano,
            std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count());
  EXPECT_GE(span.end_unix_nano, span.start_unix_nano);
  EXPECT_EQ(value_of<std::string>(span, "payment.method"), "card");
  EXPECT_EQ(value_of<double>(span, "payment.amount"), 12.5);
  EXPECT_EQ(value_of<std::int64_t>(span, "payment.retries"), 2);
  EXPECT_EQ(value_of<bool>(span, "payment.captured"), true);
  EXPECT_THAT(value_of<std::vector<std::string>>(span, "payment.tags"), ElementsAre("a", "bc"));
  EXPECT_EQ(span.status_code, StatusCode::kUnset);
}

TEST(TracerTest, ChildOfTheActiveSpanSharesItsTrace) {
  Fixture f;
  SpanContext parent_context;
  {
    Span parent = f.tracer.start_span("parent");
    parent_context = parent.context();
    auto scope = parent.activate();
    EXPECT_EQ(Context::current().span_context().span_id, parent.context().span_id);
    Span child = f.tracer.start_span("child");
    EXPECT_EQ(child.context().trace_id, parent.context().trace_id);
  }
  EXPECT_FALSE(Context::current().span_context().is_valid()) << "the scope restored the Context";
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 2u);
  const SpanData& child = spans[0].name == "child" ? spans[0] : spans[1];
  EXPECT_EQ(child.trace_id, parent_context.trace_id);
  EXPECT_EQ(child.parent_span_id, parent_context.span_id);
  EXPECT_FALSE(child.parent_is_remote);
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
  Fixture f;
  {
    CorrelationScope scope({.correlation_id = "req_12345",
                            .user_id = "user_67890",
                            .session_id = "sess_abcdef",
                            .plugin = "fraud-plugin"});
    Span span = f.tracer.start_span("validate_payment_data");
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(value_of<std::string>(spans[0], "correlation_id"), "req_12345");
  EXPECT_EQ(value_of<std::string>(spans[0], "user.id"), "user_67890");
  EXPECT_EQ(value_of<std::string>(spans[0], "session.id"), "sess_abcdef");
  EXPECT_EQ(value_of<std::string>(spans[0], "mmf.plugin.name"), "fraud-plugin");
}

TEST(TracerTest, SettingAKeyAgainReplacesItsValue) {
  Fixture f;
  {
    Span span = f.tracer.start_span("s");
    span.set_attribute("count", 1).set_attribute("count", 2);                       // in place
    span.set_attribute("state", "short").set_attribute("state", "a longer value");  // re-appended
    span.set_attribute("state", "a longer value!").set_attribute("kind", "x");
    span.set_attribute("count", "now a string");
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  std::vector<std::string> keys;
  for (const KeyValue& attribute : spans[0].attributes) keys.push_back(attribute.key);
  EXPECT_THAT(keys, ::testing::UnorderedElementsAre("count", "state", "kind"));
  EXPECT_EQ(value_of<std::string>(spans[0], "count"), "now a string");
  EXPECT_EQ(value_of<std::string>(spans[0], "state"), "a longer value!");
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
  Fixture f({.limits = {.attribute_value_length = 5}});
  {
    Span span = f.tracer.start_span("s");
    span.set_attribute("text", "abcdefgh");
    const std::string_view list[] = {"123456", "12"};
    span.set_attribute("list", std::span<const std::string_view>(list));
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(value_of<std::string>(spans[0], "text"), "abcde");
  EXPECT_THAT(value_of<std::vector<std::string>>(spans[0], "list"), ElementsAre("12345", "12"));
}

TEST(TracerTest, EventsExceptionsStatusAndNames) {
  Fixture f;
  const auto event_time = std::chrono::system_clock::now();
  {
    Span span = f.tracer.start_span("first name");
    span.add_event("cache miss", {{"cache.key", "user:1"}}, event_time);
    try {
      throw std::out_of_range("index 7");
    } catch (const std::exception& error) {
      span.record_exception(error);
    }
    span.set_status(StatusCode::kError, "card declined");
    span.update_name("final name");
  }
  const std::vector<SpanData> spans = f.flushed();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& span = spans[0];
  EXPECT_EQ(span.name, "final name");
  EXPECT_EQ(span.status_code, StatusCode::kError);
  EXPECT_EQ(span.status_message, "card declined");
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
  Fixture f;
  Span first = f.tracer.start_span("first");
  Span moved = std::move(first);
  EXPECT_FALSE(first.is_recording());  // NOLINT(bugprone-use-after-move): moved-from is inert
  first.set_attribute("ignored", 1).end();
  moved.end();
  moved.end();
  moved.set_attribute("after", 1).add_event("after").set_status(StatusCode::kError);
  Span second = f.tracer.start_span("second");
  second = f.tracer.start_span("third");  // ends "second"
  second.end();
  Span empty;
  EXPECT_FALSE(empty.context().is_valid());
  empty.end();
  const std::vector<SpanData> spans = f.flushed();
  std::vector<std::string> names;
  for (const SpanData& span : spans) names.push_back(span.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("first", "second", "third"));
  EXPECT_TRUE(spans[0].attributes.empty());
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
