// The test kit (mmf::testing), used the way a service's own tests use it: only public headers,
// outside namespace mmf, with `using namespace mmf::test`. Also checks what its matchers say
// when they fail, since readable failures are the point of having them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mmf/context.h"
#include "mmf/log.h"
#include "mmf/metrics.h"
#include "mmf/span.h"
#include "mmf/testing.h"
#include "mmf/testing_matchers.h"
#include "mmf/tracer.h"

namespace {

using namespace mmf::test;  // NOLINT(google-build-using-namespace): how users write it
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pointee;
using ::testing::SizeIs;

// A checkout with a payment inside it and a database query inside that.
void checkout(mmf::Tracer& tracer) {
  mmf::Span request = tracer.start_span(
      "checkout", {.kind = mmf::SpanKind::kServer, .attributes = {{"http.route", "/checkout"}}});
  auto request_scope = request.activate();
  {
    mmf::Span charge = tracer.start_span("charge_card", {.kind = mmf::SpanKind::kClient});
    charge.set_attribute("payment.amount", 12.5)
        .set_attribute("payment.method", "card")
        .set_attribute("payment.retries", 2)
        .set_attribute("payment.approved", true);
    auto charge_scope = charge.activate();
    mmf::Span query = tracer.start_span("db.query");
  }
  mmf::Span receipt = tracer.start_span("send_receipt");
}

// ---- Traces.

TEST(TraceRecorderTest, NestedSpansRecordTheirParentAndChildren) {
  TraceRecorder traces;
  checkout(traces.tracer());

  const RecordedSpan* request = traces.find("checkout");
  const RecordedSpan* charge = traces.find("charge_card");
  ASSERT_NE(request, nullptr);
  ASSERT_NE(charge, nullptr);
  EXPECT_THAT(*request, AllOf(IsRoot(), HasKind(mmf::SpanKind::kServer),
                              HasAttribute("http.route", "/checkout")));
  EXPECT_TRUE(request->is_root());
  EXPECT_THAT(*charge, AllOf(IsChildOf(*request), Not(IsRoot()), InSameTraceAs(*request)));
  EXPECT_THAT(traces.children_of(*request),
              ElementsAre(HasName("charge_card"), HasName("send_receipt")));
  EXPECT_THAT(traces.children_of(*charge), ElementsAre(HasName("db.query")));
  EXPECT_THAT(traces.find("db.query"), Pointee(IsChildOf(*charge)));
  EXPECT_THAT(traces.trace(request->trace_id), SizeIs(4));
  EXPECT_EQ(traces.find("no such span"), nullptr);
  EXPECT_EQ(request->service_name, "test-service");
  EXPECT_EQ(request->scope_name, "mmf-observability");
}

TEST(TraceRecorderTest, AttributesMatchByValueAndType) {
  TraceRecorder traces;
  checkout(traces.tracer());

  const RecordedSpan* charge = traces.find("charge_card");
  ASSERT_NE(charge, nullptr);
  EXPECT_THAT(
      *charge,
      AllOf(HasAttribute("payment.amount", 12.5), HasAttribute("payment.method", "card"),
            HasAttribute("payment.method", std::string("card")), HasAttribute("payment.retries", 2),
            HasAttribute("payment.approved", true), HasAttribute("payment.amount")));
  EXPECT_THAT(*charge, Not(HasAttribute("payment.retries", 2.0)));  // an integer, not a double
  EXPECT_THAT(*charge, Not(HasAttribute("payment.method", "cash")));
  EXPECT_THAT(*charge, Not(HasAttribute("payment.currency")));
  ASSERT_NE(charge->attribute("payment.retries"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*charge->attribute("payment.retries")), 2);
}

TEST(TraceRecorderTest, ExceptionsShowAsAnEventAndTheErrorStatus) {
  TraceRecorder traces;
  {
    mmf::Span charge = traces.tracer().start_span("charge_card");
    try {
      throw std::runtime_error("card declined");
    } catch (const std::exception& error) {
      charge.record_exception(error);
      charge.set_status(mmf::StatusCode::kError, error.what());
    }
    mmf::Span fine = traces.tracer().start_span("fine");
  }

  EXPECT_THAT(traces.find("charge_card"),
              Pointee(AllOf(HasStatusError(), HasStatusError("card declined"),
                            HasEvent("exception"), HasEvent("exception", "exception.type"),
                            HasEvent("exception", "exception.message", "card declined"))));
  EXPECT_THAT(traces.find("charge_card"),
              Pointee(AllOf(Not(HasStatusError("other")),
                            Not(HasEvent("exception", "exception.message", "other")))));
  EXPECT_THAT(traces.find("fine"),
              Pointee(AllOf(Not(HasStatusError()), Not(HasEvent("exception")))));
}

TEST(TraceRecorderTest, SpansCarryTheCorrelationIdOfTheirScope) {
  TraceRecorder traces;
  {
    mmf::CorrelationScope scope({.correlation_id = "req-1", .user_id = "u-7"});
    mmf::Span span = traces.tracer().start_span("handle");
  }
  EXPECT_THAT(traces.find("handle"), Pointee(AllOf(HasAttribute("correlation_id", "req-1"),
                                                   HasAttribute("user.id", "u-7"))));
}

TEST(TraceRecorderTest, SeparateRootsMakeSeparateTraces) {
  TraceRecorder traces;
  { mmf::Span first = traces.tracer().start_span("first"); }
  { mmf::Span second = traces.tracer().start_span("second"); }

  std::vector<RecordedSpan> spans = traces.spans();
  ASSERT_THAT(spans, ElementsAre(HasName("first"), HasName("second")));
  EXPECT_THAT(spans, Each(IsRoot()));
  EXPECT_THAT(spans[1], Not(InSameTraceAs(spans[0])));
  EXPECT_THAT(traces.trace(spans[0].trace_id), ElementsAre(HasName("first")));
  { mmf::Span again = traces.tracer().start_span("first"); }
  EXPECT_THAT(traces.find_all("first"), ElementsAre(HasName("first"), HasName("first")));
  EXPECT_EQ(traces.exporter().size(), 3u);
}

TEST(TraceRecorderTest, LiveSpansCanBeParentsInMatchers) {
  TraceRecorder traces;
  mmf::Span parent = traces.tracer().start_span("parent");
  { mmf::Span child = traces.tracer().start_span("child", {.parent = parent.context_with_span()}); }
  EXPECT_THAT(traces.find("child"), Pointee(IsChildOf(parent.context())));
}

TEST(TraceRecorderTest, WaitsForSpansEndedOnOtherThreads) {
  TraceRecorder traces;
  std::thread worker([&] { mmf::Span span = traces.tracer().start_span("background"); });
  worker.join();
  // No flush: the 10 ms schedule delay sends it.
  EXPECT_TRUE(traces.exporter().wait_for(1, std::chrono::seconds(5)));
  EXPECT_FALSE(traces.exporter().wait_for(2, std::chrono::milliseconds(20)));
  EXPECT_THAT(traces.spans(), ElementsAre(HasName("background")));
}

TEST(TraceRecorderTest, ClearForgetsWhatWasRecorded) {
  TraceRecorder traces;
  { mmf::Span span = traces.tracer().start_span("before"); }
  traces.clear();
  { mmf::Span span = traces.tracer().start_span("after"); }
  EXPECT_THAT(traces.spans(), ElementsAre(HasName("after")));
}

TEST(TraceRecorderTest, RefusesAnExporterOfItsOwn) {
  mmf::TracerOptions options = TraceRecorder::default_options();
  options.exporter = std::make_shared<mmf::InMemorySpanExporter>();
  EXPECT_THROW(TraceRecorder{std::move(options)}, std::invalid_argument);
}

TEST(TraceRecorderTest, MatchersReadTheCoreInMemoryExporterToo) {
  auto exporter = std::make_shared<mmf::InMemorySpanExporter>();
  mmf::Tracer tracer({.exporter = exporter});
  { mmf::Span span = tracer.start_span("plain", {.attributes = {{"k", "v"}}}); }
  tracer.force_flush();
  EXPECT_THAT(exporter->spans(), ElementsAre(AllOf(HasName("plain"), HasAttribute("k", "v"))));
}

// ---- Metrics.

TEST(MetricSnapshotTest, CounterDeltasByLabels) {
  mmf::MetricRegistry registry;
  mmf::Counter payments = registry.create_counter(
      "payments_processed_total", "Total number of payments processed", {"status", "method"});
  payments.inc({{"status", "success"}, {"method", "card"}});
  const MetricSnapshot before = MetricSnapshot::of(registry);

  payments.inc({{"status", "success"}, {"method", "card"}});
  payments.inc({{"method", "card"}, {"status", "success"}}, 2);
  payments.inc({{"status", "failure"}, {"method", "card"}});
  const MetricSnapshot after = MetricSnapshot::of(registry);

  const mmf::LabelValues success = {{"status", "success"}, {"method", "card"}};
  EXPECT_EQ(MetricSnapshot::delta(before, after, "payments_processed_total", success), 3);
  EXPECT_EQ(MetricSnapshot::delta(before, after, "payments_processed", success), 3);
  EXPECT_EQ(MetricSnapshot::delta(before, after, "payments_processed_total",
                                  {{"method", "card"}, {"status", "success"}}),
            3);
  // Not in before: counted from 0.
  EXPECT_EQ(MetricSnapshot::delta(before, after, "payments_processed_total",
                                  {{"status", "failure"}, {"method", "card"}}),
            1);
  // Never recorded: no series in either snapshot, which is a delta of 0, not an error.
  EXPECT_EQ(MetricSnapshot::delta(before, after, "payments_processed_total",
                                  {{"status", "failure"}, {"method", "cash"}}),
            0);
  EXPECT_EQ(after.value("payments_processed_total", success), 4);
  EXPECT_EQ(after.value("payments_processed_total", {{"status", "failure"}, {"method", "cash"}}),
            std::nullopt);
  EXPECT_EQ(after.value("payments_processed_total", {{"status", "success"}}), std::nullopt);
}

TEST(MetricSnapshotTest, HistogramCountAndSumDeltas) {
  mmf::MetricRegistry registry;
  mmf::Histogram latency = registry.create_histogram("http_server_request_duration_seconds",
                                                     "Duration of HTTP server requests", {"route"});
  latency.observe(1.0, {{"route", "/pay"}});
  const MetricSnapshot before = MetricSnapshot::of(registry);

  latency.observe(0.25, {{"route", "/pay"}});
  latency.observe(0.5, {{"route", "/pay"}});
  latency.observe(2.0, {{"route", "/refund"}});
  const MetricSnapshot after = MetricSnapshot::of(registry);

  const char* name = "http_server_request_duration_seconds";
  EXPECT_EQ(MetricSnapshot::count_delta(before, after, name, {{"route", "/pay"}}), 2u);
  EXPECT_DOUBLE_EQ(MetricSnapshot::sum_delta(before, after, name, {{"route", "/pay"}}), 0.75);
  EXPECT_EQ(MetricSnapshot::count_delta(before, after, name, {{"route", "/refund"}}), 1u);
  EXPECT_EQ(after.count(name, {{"route", "/pay"}}), 3u);
  EXPECT_EQ(after.sum(name, {{"route", "/pay"}}), 1.75);
  EXPECT_EQ(after.value(name, {{"route", "/pay"}}), std::nullopt);  // value() is for scalars
}

TEST(MetricSnapshotTest, GaugesAndUpDownCountersHaveValues) {
  mmf::MetricRegistry registry;
  mmf::Gauge temperature = registry.create_gauge("room_temperature_celsius", "Temperature");
  mmf::UpDownCounter in_flight = registry.create_up_down_counter("requests_in_flight", "Active");
  temperature.set(21.5);
  in_flight.add(3);
  const MetricSnapshot before = MetricSnapshot::of(registry);
  in_flight.add(-1);
  temperature.set(19);
  const MetricSnapshot after = MetricSnapshot::of(registry);

  EXPECT_EQ(after.value("room_temperature_celsius"), 19);
  EXPECT_EQ(MetricSnapshot::delta(before, after, "room_temperature_celsius"), -2.5);
  EXPECT_EQ(MetricSnapshot::delta(before, after, "requests_in_flight"), -1);
  EXPECT_EQ(after.value("requests_in_flight_total"), std::nullopt);  // _total: counters only
}

TEST(MetricSnapshotTest, DeltaRefusesUnknownNamesAndLabelsWithAListing) {
  mmf::MetricRegistry registry;
  mmf::Counter payments = registry.create_counter("payments_total", "Payments", {"status"});
  payments.inc({{"status", "ok"}});
  registry.create_histogram("latency_seconds", "Latency");
  const MetricSnapshot snapshot = MetricSnapshot::of(registry);

  auto message_of = [&](std::string_view name, mmf::LabelValues labels) -> std::string {
    try {
      MetricSnapshot::delta(snapshot, snapshot, name, labels);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "no exception";
  };
  EXPECT_THAT(message_of("payment_total", {{"status", "ok"}}),
              AllOf(HasSubstr("no metric called payment_total"),
                    HasSubstr("payments_total{status=\"ok\"} 1"),
                    HasSubstr("latency_seconds (no series yet)")));
  EXPECT_THAT(message_of("payments_total", {{"state", "ok"}}),
              HasSubstr("the labels {state=\"ok\"} do not name the labels of payments_total"));
  EXPECT_THAT(message_of("latency_seconds", {}), HasSubstr("use count_delta() or sum_delta()"));
  EXPECT_THROW(MetricSnapshot::count_delta(snapshot, snapshot, "payments_total", {}),
               std::invalid_argument);
}

// ---- Logs.

TEST(LogCaptureTest, RecordsCarryTheCorrelationAndTraceIdsOfTheirScope) {
  TraceRecorder traces;
  LogCapture logs;
  logs.make_default();
  {
    mmf::CorrelationScope scope({.correlation_id = "req-12345"});
    mmf::Span span = traces.tracer().start_span("process_payment");
    auto active = span.activate();
    MMF_LOG_INFO("Payment processed", {{"amount", 12.5}, {"method", "card"}, {"attempt", 1}});
  }
  MMF_LOG_WARN("idle");

  const RecordedSpan* span = traces.find("process_payment");
  ASSERT_NE(span, nullptr);
  std::vector<mmf::LogRecord> records = logs.records();
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_THAT(records[0],
              AllOf(HasMessage("Payment processed"), HasLevel(mmf::LogLevel::kInfo),
                    HasCorrelationId("req-12345"), HasTraceIdOf(*span), HasSpanIdOf(*span),
                    HasLogField("amount", 12.5), HasLogField("method", "card"),
                    HasLogField("attempt", 1), HasLogField("amount"), HasLogger("")));
  EXPECT_THAT(records[1], AllOf(HasMessage("idle"), HasLevel(mmf::LogLevel::kWarn),
                                Not(HasTraceIdOf(*span)), Not(HasLogField("amount"))));
}

TEST(LogCaptureTest, LiveSpansMatchTheRecordsLoggedInsideThem) {
  TraceRecorder traces;
  LogCapture logs;
  mmf::Span span = traces.tracer().start_span("work");
  {
    auto active = span.activate();
    MMF_LOG(logs.logger("worker"), mmf::LogLevel::kError, "failed");
  }
  EXPECT_THAT(logs.records(), ElementsAre(AllOf(HasLogger("worker"), HasTraceIdOf(span),
                                                HasSpanIdOf(span.context()))));
}

TEST(LogCaptureTest, KeepsOnlyRecordsAtItsLevel) {
  LogCapture logs(mmf::LogLevel::kWarn);
  MMF_LOG(logs.logger(), mmf::LogLevel::kInfo, "chatter");
  MMF_LOG(logs.logger(), mmf::LogLevel::kWarn, "slow");
  EXPECT_THAT(logs.records(), ElementsAre(HasMessage("slow")));
  logs.clear();
  EXPECT_THAT(logs.records(), SizeIs(0));
}

// ---- What the matchers say.

RecordedSpan span_named(std::string name) {
  RecordedSpan span;
  span.name = std::move(name);
  span.attributes = {{"n", std::int64_t{3}}, {"x", 3.0}};
  return span;
}

template <class T>
std::string explain(const ::testing::Matcher<const T&>& matcher, const T& value) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(matcher.MatchAndExplain(value, &listener));
  return listener.str();
}

TEST(MatcherMessagesTest, SayWhatWasExpectedAndWhatWasFound) {
  const RecordedSpan charge = span_named("charge");
  EXPECT_EQ(::testing::DescribeMatcher<const mmf::SpanData&>(HasName("checkout")),
            "has name \"checkout\"");
  EXPECT_EQ(::testing::DescribeMatcher<const mmf::SpanData&>(HasName("checkout"), true),
            "not (has name \"checkout\")");
  EXPECT_EQ(explain<mmf::SpanData>(HasName("checkout"), charge), "whose name is \"charge\"");

  EXPECT_EQ(::testing::DescribeMatcher<const mmf::SpanData&>(HasAttribute("x", 3)),
            "has attribute x = 3");
  EXPECT_EQ(explain<mmf::SpanData>(HasAttribute("x", 3), charge), "whose attribute x is 3.0");
  EXPECT_EQ(explain<mmf::SpanData>(HasAttribute("y", "a"), charge),
            "which has no attribute y (it has {n=3, x=3.0})");
  EXPECT_FALSE(::testing::Matches(HasAttribute("n", 3.0))(charge));

  RecordedSpan parent = span_named("parent");
  parent.span_id = mmf::SpanId::from_hex("00f067aa0ba902b7").value();
  EXPECT_THAT(::testing::DescribeMatcher<const mmf::SpanData&>(IsChildOf(parent)),
              HasSubstr("is a child of span \"parent\" 00f067aa0ba902b7"));
  EXPECT_EQ(explain<mmf::SpanData>(IsChildOf(parent), charge),
            "whose parent is none of trace none");
  EXPECT_THAT(::testing::PrintToString(charge),
              AllOf(HasSubstr("span \"charge\" (internal, trace none"),
                    HasSubstr("attributes {n=3, x=3.0}")));
}

TEST(MatcherMessagesTest, LogRecordsSayTheirIds) {
  mmf::LogRecord record;
  record.message = "Payment processed";
  record.correlation_id = "req-1";
  RecordedSpan span = span_named("work");
  span.trace_id = mmf::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value();

  EXPECT_EQ(::testing::DescribeMatcher<const mmf::LogRecord&>(HasTraceIdOf(span)),
            "has trace ID 4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(explain<mmf::LogRecord>(HasTraceIdOf(span), record), "whose trace ID is none");
  EXPECT_EQ(explain<mmf::LogRecord>(HasCorrelationId("req-2"), record),
            "whose correlation ID is \"req-1\"");
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(HasLevel(mmf::LogLevel::kError), record, &listener));
  EXPECT_EQ(listener.str(), "whose level is info");
  EXPECT_THAT(::testing::PrintToString(record),
              HasSubstr("message \"Payment processed\", trace none, span none, "
                        "correlation_id \"req-1\""));
}

}  // namespace
