// OTLP trace encoding: spans made by the real Tracer, encoded inside export_spans(), decoded
// with real libprotobuf (and nlohmann::json for OTLP/JSON), field by field.
#include "export/otlp_trace_encoder.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mmf/tracer.h"
#include "unit/export/otlp_test_support.h"

namespace mmf::detail {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_trace = opentelemetry::proto::trace::v1;
using reference::ExportTraceServiceRequest;
using Json = nlohmann::json;

constexpr std::int64_t kStart = 1'700'000'000'123'456'789;
constexpr std::uint32_t kHasIsRemote = pb_trace::SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK;
constexpr std::uint32_t kIsRemote = pb_trace::SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK;

std::chrono::system_clock::time_point at(std::int64_t unix_nano) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(unix_nano)));
}

std::string bytes_of(const TraceId& id) { return reference::id_bytes(id.bytes()); }
std::string bytes_of(const SpanId& id) { return reference::id_bytes(id.bytes()); }

SpanContext remote_context(std::string_view trace_hex, std::string_view span_hex) {
  return SpanContext{.trace_id = *TraceId::from_hex(trace_hex),
                     .span_id = *SpanId::from_hex(span_hex),
                     .flags = TraceFlags(TraceFlags::kSampled),
                     .is_remote = true,
                     .trace_state = TraceState::parse("rojo=00f067aa0ba902b7")};
}

// One exported batch in each encoding, and libprotobuf's encoding of the same views.
struct Batch {
  std::string proto;
  std::string json;
  std::string reference;

  ExportTraceServiceRequest decoded() const {
    ExportTraceServiceRequest request;
    EXPECT_TRUE(request.ParseFromString(proto)) << "libprotobuf rejected the encoding";
    return request;
  }
  Json json_decoded() const { return Json::parse(json); }  // throws on invalid UTF-8 too
};

class Fixture {
 public:
  explicit Fixture(TracerOptions options = {}) : tracer(with_exporter(std::move(options))) {}

  // What was exported since the last call; the tests' spans fit one batch.
  Batch flushed() {
    EXPECT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
    std::lock_guard<std::mutex> lock(mutex_);
    EXPECT_EQ(batches_.size(), 1u);
    Batch batch = batches_.empty() ? Batch{} : std::move(batches_.front());
    batches_.clear();
    return batch;
  }

 private:
  TracerOptions with_exporter(TracerOptions options) {
    options.exporter = std::make_shared<reference::CallbackExporter>(
        [this](std::span<const SpanView> spans, const Resource& resource,
               const InstrumentationScope& scope) {
          Batch batch;
          encode_trace_request_proto(spans, resource, scope, batch.proto);
          encode_trace_request_json(spans, resource, scope, batch.json);
          ExportTraceServiceRequest request;
          reference::build_trace_request(spans, resource, scope, request);
          request.SerializeToString(&batch.reference);
          std::lock_guard<std::mutex> lock(mutex_);
          batches_.push_back(std::move(batch));
        });
    return options;
  }

  std::mutex mutex_;
  std::vector<Batch> batches_;

 public:
  Tracer tracer;  // last: its destructor flushes into the members above
};

const pb_common::AnyValue& value_of(
    const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& attributes,
    std::string_view key) {
  for (const pb_common::KeyValue& attribute : attributes) {
    if (attribute.key() == key) return attribute.value();
  }
  ADD_FAILURE() << "no attribute " << key;
  return pb_common::AnyValue::default_instance();
}

const Json& json_value_of(const Json& attributes, std::string_view key) {
  for (const Json& attribute : attributes) {
    if (attribute["key"] == key) return attribute["value"];
  }
  ADD_FAILURE() << "no attribute " << key;
  static const Json kNull;
  return kNull;
}

// A server span under a remote parent with attributes of every type, two events and two links,
// ended with an error; then a local child of it.
void record_full_trace(Tracer& tracer) {
  const SpanContext linked = remote_context("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
  const Attribute link_attributes[] = {{"link.kind", "batch"}, {"link.index", 3}};
  const Link links[] = {{linked, link_attributes}, {SpanContext{}, {}}};
  const Context parent = Context().with_span_context(
      remote_context("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"));
  Span server = tracer.start_span("GET /users/{id}", {.kind = SpanKind::kServer,
                                                      .parent = parent,
                                                      .start_time = at(kStart),
                                                      .attributes = {{"http.route", "/u/{id}"}},
                                                      .links = links});
  const std::string_view strings[] = {"a", "", "ü"};
  const bool bools[] = {true, false};
  const std::int64_t ints[] = {-1, 0, std::numeric_limits<std::int64_t>::max()};
  const double doubles[] = {0.5, -2.25, 1e300};
  server.set_attribute("s", "text")
      .set_attribute("empty", "")
      .set_attribute("b", false)
      .set_attribute("i", std::int64_t{-42})
      .set_attribute("zero", 0)
      .set_attribute("d", 3.25)
      .set_attribute("sa", std::span<const std::string_view>(strings))
      .set_attribute("ba", std::span<const bool>(bools))
      .set_attribute("ia", std::span<const std::int64_t>(ints))
      .set_attribute("da", std::span<const double>(doubles))
      .set_attribute("none", std::span<const std::int64_t>());
  server.add_event("cache.miss", {{"cache.key", "user:7"}, {"attempt", 2}}, at(kStart + 10));
  server.add_event("retry", {}, at(kStart + 20));
  {
    Span child = tracer.start_span("SELECT users", {.kind = SpanKind::kClient,
                                                    .parent = server.context_with_span(Context()),
                                                    .start_time = at(kStart + 30)});
    child.set_status(StatusCode::kOk);
    child.end(at(kStart + 40));
  }
  server.set_status(StatusCode::kError, "user not found");
  server.end(at(kStart + 1000));
}

TEST(OtlpTraceEncoderTest, ProtobufDecodesToEverySpanField) {
  Fixture f({.scope_name = "checkout", .scope_version = "2.1.0"});
  record_full_trace(f.tracer);
  const ExportTraceServiceRequest request = f.flushed().decoded();

  ASSERT_EQ(request.resource_spans_size(), 1);
  ASSERT_EQ(request.resource_spans(0).scope_spans_size(), 1);
  const pb_trace::ScopeSpans& scope_spans = request.resource_spans(0).scope_spans(0);
  EXPECT_EQ(scope_spans.scope().name(), "checkout");
  EXPECT_EQ(scope_spans.scope().version(), "2.1.0");
  ASSERT_EQ(scope_spans.spans_size(), 2);
  const pb_trace::Span& child = scope_spans.spans(0);  // ended first
  const pb_trace::Span& server = scope_spans.spans(1);

  const TraceId trace_id = *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(server.trace_id(), bytes_of(trace_id));
  EXPECT_EQ(server.span_id().size(), 8u);
  EXPECT_EQ(server.parent_span_id(), bytes_of(*SpanId::from_hex("00f067aa0ba902b7")));
  EXPECT_EQ(server.trace_state(), "rojo=00f067aa0ba902b7");
  EXPECT_EQ(server.name(), "GET /users/{id}");
  EXPECT_EQ(server.kind(), pb_trace::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(server.start_time_unix_nano(), static_cast<std::uint64_t>(kStart));
  EXPECT_EQ(server.end_time_unix_nano(), static_cast<std::uint64_t>(kStart + 1000));
  EXPECT_EQ(server.status().code(), pb_trace::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(server.status().message(), "user not found");
  EXPECT_EQ(server.flags(), 0x01 | kHasIsRemote | kIsRemote);
  EXPECT_EQ(server.dropped_attributes_count(), 0u);

  const auto& attributes = server.attributes();
  EXPECT_EQ(value_of(attributes, "http.route").string_value(), "/u/{id}");
  EXPECT_EQ(value_of(attributes, "s").string_value(), "text");
  EXPECT_EQ(value_of(attributes, "empty").value_case(), pb_common::AnyValue::kStringValue);
  EXPECT_EQ(value_of(attributes, "b").value_case(), pb_common::AnyValue::kBoolValue);
  EXPECT_FALSE(value_of(attributes, "b").bool_value());
  EXPECT_EQ(value_of(attributes, "i").int_value(), -42);
  EXPECT_EQ(value_of(attributes, "zero").value_case(), pb_common::AnyValue::kIntValue);
  EXPECT_EQ(value_of(attributes, "d").double_value(), 3.25);
  const pb_common::ArrayValue& sa = value_of(attributes, "sa").array_value();
  ASSERT_EQ(sa.values_size(), 3);
  EXPECT_EQ(sa.values(0).string_value(), "a");
  EXPECT_EQ(sa.values(1).value_case(), pb_common::AnyValue::kStringValue);
  EXPECT_EQ(sa.values(2).string_value(), "ü");
  const pb_common::ArrayValue& ba = value_of(attributes, "ba").array_value();
  ASSERT_EQ(ba.values_size(), 2);
  EXPECT_TRUE(ba.values(0).bool_value());
  EXPECT_EQ(ba.values(1).value_case(), pb_common::AnyValue::kBoolValue);
  const pb_common::ArrayValue& ia = value_of(attributes, "ia").array_value();
  ASSERT_EQ(ia.values_size(), 3);
  EXPECT_EQ(ia.values(0).int_value(), -1);
  EXPECT_EQ(ia.values(2).int_value(), std::numeric_limits<std::int64_t>::max());
  const pb_common::ArrayValue& da = value_of(attributes, "da").array_value();
  ASSERT_EQ(da.values_size(), 3);
  EXPECT_EQ(da.values(1).double_value(), -2.25);
  EXPECT_EQ(da.values(2).double_value(), 1e300);
  EXPECT_EQ(value_of(attributes, "none").value_case(), pb_common::AnyValue::kArrayValue);
  EXPECT_EQ(value_of(attributes, "none").array_value().values_size(), 0);

  ASSERT_EQ(server.events_size(), 2);
  EXPECT_EQ(server.events(0).name(), "cache.miss");
  EXPECT_EQ(server.events(0).time_unix_nano(), static_cast<std::uint64_t>(kStart + 10));
  EXPECT_EQ(value_of(server.events(0).attributes(), "cache.key").string_value(), "user:7");
  EXPECT_EQ(value_of(server.events(0).attributes(), "attempt").int_value(), 2);
  EXPECT_EQ(server.events(1).name(), "retry");
  EXPECT_EQ(server.events(1).attributes_size(), 0);

  ASSERT_EQ(server.links_size(), 2);
  const pb_trace::Span::Link& link = server.links(0);
  EXPECT_EQ(link.trace_id(), bytes_of(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c")));
  EXPECT_EQ(link.span_id(), bytes_of(*SpanId::from_hex("b7ad6b7169203331")));
  EXPECT_EQ(link.trace_state(), "rojo=00f067aa0ba902b7");
  EXPECT_EQ(link.flags(), 0x01 | kHasIsRemote | kIsRemote);
  EXPECT_EQ(value_of(link.attributes(), "link.kind").string_value(), "batch");
  EXPECT_EQ(value_of(link.attributes(), "link.index").int_value(), 3);
  EXPECT_EQ(server.links(1).flags(), kHasIsRemote) << "an unsampled local context";

  EXPECT_EQ(child.trace_id(), server.trace_id());
  EXPECT_EQ(child.parent_span_id(), server.span_id());
  EXPECT_EQ(child.kind(), pb_trace::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(child.flags() & ~0xffu, kHasIsRemote) << "a local parent";
  EXPECT_EQ(child.flags() & 0x01u, 0x01u);
  EXPECT_EQ(child.status().code(), pb_trace::Status::STATUS_CODE_OK);
  EXPECT_EQ(child.status().message(), "");
}

TEST(OtlpTraceEncoderTest, ProtobufIsByteIdenticalToLibprotobuf) {
  Fixture f({.resource = Resource({{"service.name", std::string("payments")},
                                   {"process.pid", std::int64_t{4242}},
                                   {"weights", std::vector<double>{0.25, 4.0}}})});
  record_full_trace(f.tracer);
  { Span root = f.tracer.start_span("root without status"); }
  const Batch batch = f.flushed();
  EXPECT_EQ(batch.proto, batch.reference);
}

TEST(OtlpTraceEncoderTest, RootSpanHasNoParentAndTheKnownLocalFlag) {
  Fixture f;
  { Span root = f.tracer.start_span("root"); }
  const ExportTraceServiceRequest request = f.flushed().decoded();
  const pb_trace::Span& span = request.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_TRUE(span.parent_span_id().empty());
  EXPECT_EQ(span.flags() & ~0xffu, kHasIsRemote);
  EXPECT_FALSE(span.has_status()) << "an unset status is left out";
  EXPECT_EQ(span.kind(), pb_trace::Span::SPAN_KIND_INTERNAL);
}

TEST(OtlpTraceEncoderTest, DroppedCountsAreCarried) {
  Fixture f({.limits = {.attribute_count = 1,
                        .event_count = 1,
                        .link_count = 1,
                        .event_attribute_count = 1,
                        .link_attribute_count = 1}});
  const Attribute link_attributes[] = {{"a", 1}, {"b", 2}, {"c", 3}};
  const Link links[] = {{SpanContext{}, link_attributes}, {SpanContext{}, {}}, {SpanContext{}, {}}};
  {
    Span span = f.tracer.start_span("s", {.links = links});
    span.set_attribute("one", 1).set_attribute("two", 2).set_attribute("three", 3);
    span.add_event("e", {{"k1", 1}, {"k2", 2}}).add_event("f").add_event("g");
  }
  const Batch batch = f.flushed();
  const ExportTraceServiceRequest request = batch.decoded();
  const pb_trace::Span& span = request.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.dropped_attributes_count(), 2u);
  EXPECT_EQ(span.dropped_events_count(), 2u);
  EXPECT_EQ(span.dropped_links_count(), 2u);
  ASSERT_EQ(span.events_size(), 1);
  EXPECT_EQ(span.events(0).dropped_attributes_count(), 1u);
  ASSERT_EQ(span.links_size(), 1);
  EXPECT_EQ(span.links(0).dropped_attributes_count(), 2u);
  EXPECT_EQ(batch.proto, batch.reference);

  const Json json = batch.json_decoded()["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(json["droppedAttributesCount"], 2);
  EXPECT_EQ(json["droppedEventsCount"], 2);
  EXPECT_EQ(json["droppedLinksCount"], 2);
  EXPECT_EQ(json["events"][0]["droppedAttributesCount"], 1);
  EXPECT_EQ(json["links"][0]["droppedAttributesCount"], 2);
}

TEST(OtlpTraceEncoderTest, ResourceAttributesOfEveryTypeAreEncoded) {
  Fixture f({.resource = Resource({{"service.name", std::string("payments")},
                                   {"process.pid", std::int64_t{4242}},
                                   {"debug", true},
                                   {"ratio", 0.5},
                                   {"tags", std::vector<std::string>{"x", "y"}},
                                   {"flags", std::vector<bool>{true}},
                                   {"ports", std::vector<std::int64_t>{80, 443}},
                                   {"weights", std::vector<double>{0.25}}})});
  { Span span = f.tracer.start_span("s"); }
  const Batch batch = f.flushed();
  const ExportTraceServiceRequest request = batch.decoded();
  const auto& attributes = request.resource_spans(0).resource().attributes();
  ASSERT_EQ(attributes.size(), 8);
  EXPECT_EQ(attributes[0].key(), "service.name");
  EXPECT_EQ(value_of(attributes, "service.name").string_value(), "payments");
  EXPECT_EQ(value_of(attributes, "process.pid").int_value(), 4242);
  EXPECT_TRUE(value_of(attributes, "debug").bool_value());
  EXPECT_EQ(value_of(attributes, "ratio").double_value(), 0.5);
  EXPECT_EQ(value_of(attributes, "tags").array_value().values(1).string_value(), "y");
  EXPECT_TRUE(value_of(attributes, "flags").array_value().values(0).bool_value());
  EXPECT_EQ(value_of(attributes, "ports").array_value().values(1).int_value(), 443);
  EXPECT_EQ(value_of(attributes, "weights").array_value().values(0).double_value(), 0.25);
  EXPECT_EQ(batch.proto, batch.reference);

  const Json resource = batch.json_decoded()["resourceSpans"][0]["resource"]["attributes"];
  EXPECT_EQ(json_value_of(resource, "service.name"), Json::parse(R"({"stringValue":"payments"})"));
  EXPECT_EQ(json_value_of(resource, "process.pid"), Json::parse(R"({"intValue":"4242"})"));
  EXPECT_EQ(json_value_of(resource, "debug"), Json::parse(R"({"boolValue":true})"));
  EXPECT_EQ(json_value_of(resource, "ratio"), Json::parse(R"({"doubleValue":0.5})"));
  EXPECT_EQ(json_value_of(resource, "ports"),
            Json::parse(R"({"arrayValue":{"values":[{"intValue":"80"},{"intValue":"443"}]}})"));
}

TEST(OtlpTraceEncoderTest, JsonFollowsTheOtlpJsonRules) {
  Fixture f({.scope_name = "checkout", .scope_version = "2.1.0"});
  record_full_trace(f.tracer);
  const Json request = f.flushed().json_decoded();
  const Json& scope_spans = request["resourceSpans"][0]["scopeSpans"][0];
  EXPECT_EQ(scope_spans["scope"], Json::parse(R"({"name":"checkout","version":"2.1.0"})"));
  const Json& child = scope_spans["spans"][0];
  const Json& server = scope_spans["spans"][1];

  EXPECT_EQ(server["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736") << "hex, not base64";
  EXPECT_EQ(server["parentSpanId"], "00f067aa0ba902b7");
  EXPECT_EQ(server["spanId"].get<std::string>().size(), 16u);
  EXPECT_EQ(child["parentSpanId"], server["spanId"]);
  EXPECT_EQ(server["traceState"], "rojo=00f067aa0ba902b7");
  EXPECT_EQ(server["flags"], 0x301);
  EXPECT_EQ(server["name"], "GET /users/{id}");
  EXPECT_EQ(server["kind"], 2) << "enums as numbers";
  EXPECT_EQ(server["startTimeUnixNano"], std::to_string(kStart)) << "64-bit as strings";
  EXPECT_EQ(server["endTimeUnixNano"], std::to_string(kStart + 1000));
  EXPECT_EQ(server["status"], Json::parse(R"({"message":"user not found","code":2})"));
  EXPECT_EQ(child["status"], Json::parse(R"({"code":1})"));

  const Json& attributes = server["attributes"];
  EXPECT_EQ(json_value_of(attributes, "empty"), Json::parse(R"({"stringValue":""})"));
  EXPECT_EQ(json_value_of(attributes, "b"), Json::parse(R"({"boolValue":false})"));
  EXPECT_EQ(json_value_of(attributes, "i"), Json::parse(R"({"intValue":"-42"})"));
  EXPECT_EQ(json_value_of(attributes, "d"), Json::parse(R"({"doubleValue":3.25})"));
  EXPECT_EQ(json_value_of(attributes, "sa"),
            Json::parse(R"({"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":""},
                                                    {"stringValue":"ü"}]}})"));
  EXPECT_EQ(json_value_of(attributes, "ba"),
            Json::parse(R"({"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}})"));
  EXPECT_EQ(json_value_of(attributes, "ia")["arrayValue"]["values"][2],
            Json::parse(R"({"intValue":"9223372036854775807"})"));
  EXPECT_EQ(json_value_of(attributes, "da")["arrayValue"]["values"][2]["doubleValue"], 1e300);
  EXPECT_EQ(json_value_of(attributes, "none"), Json::parse(R"({"arrayValue":{}})"));

  ASSERT_EQ(server["events"].size(), 2u);
  EXPECT_EQ(server["events"][0]["name"], "cache.miss");
  EXPECT_EQ(server["events"][0]["timeUnixNano"], std::to_string(kStart + 10));
  EXPECT_EQ(json_value_of(server["events"][0]["attributes"], "attempt"),
            Json::parse(R"({"intValue":"2"})"));
  EXPECT_FALSE(server["events"][1].contains("attributes")) << "empty lists are left out";
  ASSERT_EQ(server["links"].size(), 2u);
  EXPECT_EQ(server["links"][0]["traceId"], "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(server["links"][0]["spanId"], "b7ad6b7169203331");
  EXPECT_EQ(server["links"][0]["flags"], 0x301);
  EXPECT_EQ(json_value_of(server["links"][0]["attributes"], "link.kind"),
            Json::parse(R"({"stringValue":"batch"})"));
  EXPECT_EQ(server["links"][1]["flags"], 0x100);
}

// protobuf's own JSON parser reads OTLP/JSON except the IDs, which it expects in base64 (hex
// digits are valid base64, so they parse, to other bytes). With the IDs cleared, the message it
// reads must equal the binary one.
TEST(OtlpTraceEncoderTest, JsonReadsBackWithProtobufsJsonParser) {
  Fixture f({.resource = Resource({{"service.name", std::string("payments")},
                                   {"ports", std::vector<std::int64_t>{80, -443}}})});
  record_full_trace(f.tracer);
  const Batch batch = f.flushed();
  ExportTraceServiceRequest from_json;
  const auto status = google::protobuf::util::JsonStringToMessage(batch.json, &from_json);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ExportTraceServiceRequest from_proto = batch.decoded();
  for (ExportTraceServiceRequest* request : {&from_json, &from_proto}) {
    for (pb_trace::Span& span :
         *request->mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()) {
      span.clear_trace_id();
      span.clear_span_id();
      span.clear_parent_span_id();
      for (pb_trace::Span::Link& link : *span.mutable_links()) {
        link.clear_trace_id();
        link.clear_span_id();
      }
    }
  }
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(from_proto, from_json)) << differences;
}

TEST(OtlpTraceEncoderTest, IllFormedUtf8IsRepairedSoProtobufAcceptsIt) {
  // The reference encoding copies the bad bytes; libprotobuf would log each one.
  const google::protobuf::LogSilencer silence_reference;
  Fixture f({.resource = Resource({{"host.name", std::string("bad\xff")}})});
  {
    Span span = f.tracer.start_span("name\xc3");
    span.set_attribute("key\x80", "value\xed\xa0\x80");
    const std::string_view items[] = {"ok", "\xf0\x9f\x98"};
    span.set_attribute("list", std::span<const std::string_view>(items));
    span.add_event("event\xfe", {{"k", "v\xc0\xaf"}});
    span.set_status(StatusCode::kError, "message\xff");
  }
  const Batch batch = f.flushed();
  const ExportTraceServiceRequest request = batch.decoded();
  ASSERT_EQ(request.resource_spans_size(), 1);
  const pb_trace::Span& span = request.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.name(), "name\uFFFD");
  EXPECT_EQ(value_of(span.attributes(), "key\uFFFD").string_value(), "value\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(value_of(span.attributes(), "list").array_value().values(1).string_value(), "\uFFFD");
  EXPECT_EQ(span.events(0).name(), "event\uFFFD");
  EXPECT_EQ(value_of(span.events(0).attributes(), "k").string_value(), "v\uFFFD\uFFFD");
  EXPECT_EQ(span.status().message(), "message\uFFFD");
  EXPECT_EQ(value_of(request.resource_spans(0).resource().attributes(), "host.name").string_value(),
            "bad\uFFFD");

  const Json json = batch.json_decoded();  // nlohmann::json rejects ill-formed UTF-8
  EXPECT_EQ(json["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"], "name\uFFFD");
}

TEST(OtlpTraceEncoderTest, EmptyBatchIsAnEmptyRequest) {
  std::string proto = "left over";
  std::string json = "left over";
  encode_trace_request_proto({}, Resource(), {.name = "x"}, proto);
  encode_trace_request_json({}, Resource(), {.name = "x"}, json);
  EXPECT_EQ(proto, "");
  EXPECT_EQ(json, "{}");
  ExportTraceServiceRequest request;
  EXPECT_TRUE(request.ParseFromString(proto));
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
  EXPECT_EQ(request.resource_spans_size(), 0);
}

// Lengths that need 1 to 4 bytes at every level, so that the writer's reserved slots are too
// small for some messages and too large for others: a batch over 2 MiB (a span holds at most
// 64 KiB, so it takes many), a span over 16 KiB, values over 127 bytes and over 16 KiB, and an
// empty span.
TEST(OtlpTraceEncoderTest, HugeAndTinyValuesKeepCanonicalLengths) {
  // A queue large enough for 2.4 MB of spans, and one batch for all.
  Fixture f({.batch = {.max_queue_size = 16384, .max_export_batch_size = 16384}});
  const std::string large(40'000, 'l');
  const std::string medium(20'000, 'm');
  for (int i = 0; i < 60; ++i) {
    Span span = f.tracer.start_span("large");
    span.set_attribute("large", large);
  }
  {
    Span span = f.tracer.start_span("medium");
    span.set_attribute("medium", medium).set_attribute("tiny", "t");
    const std::vector<std::int64_t> many(3000, 1);
    span.set_attribute("many", std::span<const std::int64_t>(many));
    span.add_event("event", {{"long", std::string_view(medium).substr(0, 300)}});
  }
  { Span tiny = f.tracer.start_span(""); }
  const Batch batch = f.flushed();
  EXPECT_GT(batch.proto.size(), std::size_t{1} << 21);
  EXPECT_TRUE(batch.proto == batch.reference)
      << "sizes " << batch.proto.size() << " and " << batch.reference.size();
  const ExportTraceServiceRequest request = batch.decoded();
  const pb_trace::ScopeSpans& scope_spans = request.resource_spans(0).scope_spans(0);
  ASSERT_EQ(scope_spans.spans_size(), 62);
  auto named = [&](std::string_view name) -> const pb_trace::Span& {
    for (const pb_trace::Span& span : scope_spans.spans()) {
      if (span.name() == name) return span;
    }
    ADD_FAILURE() << "no span " << name;
    return pb_trace::Span::default_instance();
  };
  EXPECT_TRUE(value_of(named("large").attributes(), "large").string_value() == large);
  const pb_trace::Span& span = named("medium");
  EXPECT_TRUE(value_of(span.attributes(), "medium").string_value() == medium);
  EXPECT_EQ(value_of(span.attributes(), "many").array_value().values_size(), 3000);
  EXPECT_EQ(value_of(span.events(0).attributes(), "long").string_value().size(), 300u);
  EXPECT_EQ(named("").attributes_size(), 0);
  const Json json = batch.json_decoded();
  EXPECT_EQ(json["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 62u);
  for (const Json& json_span : json["resourceSpans"][0]["scopeSpans"][0]["spans"]) {
    if (json_span.value("name", "") != "medium") continue;  // the empty name is left out
    EXPECT_TRUE(json_span["attributes"][0]["value"]["stringValue"] == medium);
  }
}

TEST(OtlpTraceEncoderTest, SmallBatchesOfManySpansMatchLibprotobuf) {
  for (int count : {1, 3, 40, 700}) {
    Fixture f({.batch = {.max_queue_size = 4096, .max_export_batch_size = 4096}});
    for (int i = 0; i < count; ++i) {
      Span span = f.tracer.start_span("op");
      span.set_attribute("i", i);
    }
    const Batch batch = f.flushed();
    EXPECT_EQ(batch.proto, batch.reference) << count << " spans";
    EXPECT_EQ(batch.decoded().resource_spans(0).scope_spans(0).spans_size(), count);
  }
}

TEST(OtlpTraceEncoderTest, NonFiniteDoublesAreJsonStringsAndDecodeBack) {
  Fixture f;
  {
    Span span = f.tracer.start_span("s");
    span.set_attribute("nan", std::numeric_limits<double>::quiet_NaN())
        .set_attribute("inf", std::numeric_limits<double>::infinity())
        .set_attribute("-inf", -std::numeric_limits<double>::infinity());
  }
  const Batch batch = f.flushed();
  const Json attributes =
      batch.json_decoded()["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  EXPECT_EQ(json_value_of(attributes, "nan"), Json::parse(R"({"doubleValue":"NaN"})"));
  EXPECT_EQ(json_value_of(attributes, "inf"), Json::parse(R"({"doubleValue":"Infinity"})"));
  EXPECT_EQ(json_value_of(attributes, "-inf"), Json::parse(R"({"doubleValue":"-Infinity"})"));
  ExportTraceServiceRequest from_json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(batch.json, &from_json).ok());
  const auto& decoded = from_json.resource_spans(0).scope_spans(0).spans(0).attributes();
  EXPECT_TRUE(std::isnan(value_of(decoded, "nan").double_value()));
  EXPECT_EQ(value_of(decoded, "-inf").double_value(), -std::numeric_limits<double>::infinity());
  const ExportTraceServiceRequest from_proto = batch.decoded();
  const auto& binary = from_proto.resource_spans(0).scope_spans(0).spans(0).attributes();
  EXPECT_TRUE(std::isnan(value_of(binary, "nan").double_value()));
  EXPECT_EQ(value_of(binary, "inf").double_value(), std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace mmf::detail
