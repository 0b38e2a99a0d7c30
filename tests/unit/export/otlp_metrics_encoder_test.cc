// OTLP metrics encoding: collections built by hand and by a real MetricRegistry, encoded, then
// decoded with real libprotobuf (and nlohmann::json and protobuf's JSON parser for OTLP/JSON),
// field by field, and compared byte for byte with libprotobuf's own encoding.
#include "export/otlp_metrics_encoder.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/registry.h"
#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/metrics.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "unit/export/otlp_test_support.h"

namespace mmf::detail {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
using ExportMetricsServiceRequest =
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using Json = nlohmann::json;
using ::testing::ElementsAre;
using KeyValues = google::protobuf::RepeatedPtrField<pb_common::KeyValue>;

constexpr std::int64_t kStart = 1'700'000'000'123'456'789;
constexpr std::int64_t kNow = 1'700'000'060'000'000'001;
constexpr std::string_view kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanHex = "00f067aa0ba902b7";
const InstrumentationScope kScope{.name = "mmf-observability", .version = "0.3.0"};

// Builders: the data structs have more fields than any one test sets.
Exemplar make_exemplar(double value, std::int64_t time_unix_nano) {
  return {value, time_unix_nano, *TraceId::from_hex(kTraceHex), *SpanId::from_hex(kSpanHex)};
}

MetricFamilyData make_family(std::string name, MetricKind kind,
                             std::vector<std::string> label_names = {}) {
  MetricFamilyData family;
  family.name = std::move(name);
  family.help = "help of " + family.name;
  family.kind = kind;
  family.label_names = std::move(label_names);
  return family;
}

PointData make_point(double value, std::vector<std::string> label_values = {}) {
  PointData point;
  point.value = value;
  point.label_values = std::move(label_values);
  point.start_time_unix_nano = kStart;
  return point;
}

// A histogram over bounds {0.1, 1, 10} with per-bucket counts.
MetricFamilyData make_histogram(std::vector<std::uint64_t> bucket_counts, double sum) {
  MetricFamilyData family = make_family("rpc_duration_seconds", MetricKind::kHistogram, {"method"});
  family.unit = "seconds";
  family.bounds = {0.1, 1, 10};
  PointData point = make_point(0, {"Get"});
  point.count = 0;
  for (std::uint64_t count : bucket_counts) point.count += count;
  point.bucket_counts = std::move(bucket_counts);
  point.sum = sum;
  family.points.push_back(std::move(point));
  return family;
}

// Every kind, labels, an overflow series, exemplars on a counter and on histogram buckets.
std::vector<MetricFamilyData> every_kind() {
  MetricFamilyData counter = make_family("http_requests", MetricKind::kCounter, {"method", "code"});
  counter.points = {make_point(1027, {"GET", "200"}), make_point(3, {"POST", "500"})};
  counter.points[0].exemplars = {make_exemplar(1, kStart + 5)};
  PointData overflow = make_point(12);
  overflow.overflow = true;
  counter.points.push_back(std::move(overflow));
  MetricFamilyData up_down = make_family("queue_depth", MetricKind::kUpDownCounter);
  up_down.points = {make_point(-2.5)};
  MetricFamilyData gauge = make_family("temperature", MetricKind::kGauge, {"room"});
  gauge.unit = "celsius";
  gauge.points = {make_point(0, {"attic"}), make_point(21.5, {"hall"})};
  MetricFamilyData histogram = make_histogram({2, 0, 5, 1}, 31.25);
  histogram.points[0].exemplars = {std::nullopt, std::nullopt, make_exemplar(0.7, kStart + 7),
                                   make_exemplar(11, kStart + 9)};
  return {counter, up_down, gauge, histogram};
}

// libprotobuf's encoding of the same families, by the mapping of otlp_metrics_encoder.h: the
// reference the encoder must match byte for byte. Text is copied as it is (well-formed only).
// Point is NumberDataPoint or HistogramDataPoint: the members they share.
template <class Point>
void set_point(const MetricFamilyData& family, const PointData& point, std::int64_t now,
               Point& out) {
  using reference::id_bytes;
  if (point.overflow) {
    pb_common::KeyValue* attribute = out.add_attributes();
    attribute->set_key("otel.metric.overflow");
    attribute->mutable_value()->set_bool_value(true);
  }
  for (std::size_t i = 0; i < point.label_values.size(); ++i) {
    pb_common::KeyValue* attribute = out.add_attributes();
    attribute->set_key(family.label_names[i]);
    attribute->mutable_value()->set_string_value(point.label_values[i]);
  }
  out.set_start_time_unix_nano(static_cast<std::uint64_t>(point.start_time_unix_nano));
  out.set_time_unix_nano(static_cast<std::uint64_t>(now));
  for (const std::optional<Exemplar>& exemplar : point.exemplars) {
    if (!exemplar) continue;
    pb_metrics::Exemplar* e = out.add_exemplars();
    e->set_time_unix_nano(static_cast<std::uint64_t>(exemplar->time_unix_nano));
    e->set_as_double(exemplar->value);
    if (exemplar->span_id.is_valid()) e->set_span_id(id_bytes(exemplar->span_id.bytes()));
    if (exemplar->trace_id.is_valid()) e->set_trace_id(id_bytes(exemplar->trace_id.bytes()));
  }
}

void add_number_points(const MetricFamilyData& family, std::int64_t now,
                       google::protobuf::RepeatedPtrField<pb_metrics::NumberDataPoint>& out) {
  for (const PointData& point : family.points) {
    pb_metrics::NumberDataPoint* p = out.Add();
    set_point(family, point, now, *p);
    p->set_as_double(point.value);
  }
}

std::string reference_encoding(const std::vector<MetricFamilyData>& families,
                               const Resource& resource, const InstrumentationScope& scope,
                               std::int64_t now) {
  ExportMetricsServiceRequest request;
  pb_metrics::ResourceMetrics* resource_metrics = request.add_resource_metrics();
  // The resource is present even without attributes, as the trace encoder writes it.
  auto* resource_attributes = resource_metrics->mutable_resource()->mutable_attributes();
  for (const KeyValue& attribute : resource.attributes()) {
    AttributeScratch scratch;
    reference::add_key_value(attribute.key, to_view(attribute.value, scratch),
                             *resource_attributes->Add());
  }
  pb_metrics::ScopeMetrics* scope_metrics = resource_metrics->add_scope_metrics();
  scope_metrics->mutable_scope()->set_name(std::string(scope.name));
  scope_metrics->mutable_scope()->set_version(std::string(scope.version));
  for (const MetricFamilyData& family : families) {
    if (family.points.empty()) continue;
    pb_metrics::Metric* metric = scope_metrics->add_metrics();
    metric->set_name(family.name);
    metric->set_description(family.help);
    metric->set_unit(family.unit);
    switch (family.kind) {
      case MetricKind::kCounter:
      case MetricKind::kUpDownCounter: {
        pb_metrics::Sum* sum = metric->mutable_sum();
        sum->set_aggregation_temporality(pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        sum->set_is_monotonic(family.kind == MetricKind::kCounter);
        add_number_points(family, now, *sum->mutable_data_points());
        break;
      }
      case MetricKind::kGauge:
        add_number_points(family, now, *metric->mutable_gauge()->mutable_data_points());
        break;
      case MetricKind::kHistogram: {
        pb_metrics::Histogram* histogram = metric->mutable_histogram();
        histogram->set_aggregation_temporality(pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (const PointData& point : family.points) {
          pb_metrics::HistogramDataPoint* p = histogram->add_data_points();
          set_point(family, point, now, *p);
          p->set_count(point.count);
          p->set_sum(point.sum);
          for (std::uint64_t count : point.bucket_counts) p->add_bucket_counts(count);
          for (double bound : family.bounds) p->add_explicit_bounds(bound);
        }
        break;
      }
    }
  }
  return request.SerializeAsString();
}

// One collection in each encoding, and libprotobuf's encoding of the same data.
struct Encoded {
  std::string proto;
  std::string json;
  std::string reference;

  ExportMetricsServiceRequest decoded() const {
    ExportMetricsServiceRequest request;
    EXPECT_TRUE(request.ParseFromString(proto)) << "libprotobuf rejected the encoding";
    return request;
  }
  Json json_decoded() const { return Json::parse(json); }  // throws on invalid UTF-8 too
};

Encoded encode(const std::vector<MetricFamilyData>& families, const Resource& resource = Resource(),
               const InstrumentationScope& scope = kScope) {
  Encoded encoded;
  encode_metrics_request_proto(families, resource, scope, kNow, encoded.proto);
  encode_metrics_request_json(families, resource, scope, kNow, encoded.json);
  encoded.reference = reference_encoding(families, resource, scope, kNow);
  return encoded;
}

const pb_metrics::Metric& metric_named(const ExportMetricsServiceRequest& request,
                                       std::string_view name) {
  for (const pb_metrics::Metric& metric : request.resource_metrics(0).scope_metrics(0).metrics()) {
    if (metric.name() == name) return metric;
  }
  ADD_FAILURE() << "no metric " << name;
  return pb_metrics::Metric::default_instance();
}

const Json& json_metric_named(const Json& request, std::string_view name) {
  for (const Json& metric : request["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]) {
    if (metric["name"] == name) return metric;
  }
  ADD_FAILURE() << "no metric " << name;
  static const Json kNull;
  return kNull;
}

std::string string_value_of(const KeyValues& attributes, std::string_view key) {
  for (const pb_common::KeyValue& attribute : attributes) {
    if (attribute.key() == key) return attribute.value().string_value();
  }
  ADD_FAILURE() << "no attribute " << key;
  return "";
}

TEST(OtlpMetricsEncoderTest, CounterIsAMonotonicCumulativeSumWithLabelledPoints) {
  const ExportMetricsServiceRequest request = encode(every_kind()).decoded();
  ASSERT_EQ(request.resource_metrics_size(), 1);
  ASSERT_EQ(request.resource_metrics(0).scope_metrics_size(), 1);
  ASSERT_EQ(request.resource_metrics(0).scope_metrics(0).metrics_size(), 4);
  const pb_metrics::Metric& metric = metric_named(request, "http_requests");
  EXPECT_EQ(metric.description(), "help of http_requests");
  ASSERT_EQ(metric.data_case(), pb_metrics::Metric::kSum);
  EXPECT_TRUE(metric.sum().is_monotonic());
  EXPECT_EQ(metric.sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(metric.sum().data_points_size(), 3);
  const pb_metrics::NumberDataPoint& point = metric.sum().data_points(0);
  EXPECT_EQ(point.value_case(), pb_metrics::NumberDataPoint::kAsDouble);
  EXPECT_EQ(point.as_double(), 1027);
  EXPECT_EQ(point.start_time_unix_nano(), static_cast<std::uint64_t>(kStart));
  EXPECT_EQ(point.time_unix_nano(), static_cast<std::uint64_t>(kNow));
  ASSERT_EQ(point.attributes_size(), 2);
  EXPECT_EQ(point.attributes(0).key(), "method");
  EXPECT_EQ(string_value_of(point.attributes(), "method"), "GET");
  EXPECT_EQ(string_value_of(point.attributes(), "code"), "200");
  EXPECT_EQ(string_value_of(metric.sum().data_points(1).attributes(), "code"), "500");
}

TEST(OtlpMetricsEncoderTest, UpDownCounterIsANonMonotonicCumulativeSum) {
  const ExportMetricsServiceRequest request = encode(every_kind()).decoded();
  const pb_metrics::Metric& metric = metric_named(request, "queue_depth");
  ASSERT_EQ(metric.data_case(), pb_metrics::Metric::kSum);
  EXPECT_FALSE(metric.sum().is_monotonic());
  EXPECT_EQ(metric.sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(metric.sum().data_points_size(), 1);
  EXPECT_EQ(metric.sum().data_points(0).as_double(), -2.5);
  EXPECT_EQ(metric.sum().data_points(0).attributes_size(), 0);
}

TEST(OtlpMetricsEncoderTest, GaugeIsAGaugeAndAZeroValueIsStillPresent) {
  const ExportMetricsServiceRequest request = encode(every_kind()).decoded();
  const pb_metrics::Metric& metric = metric_named(request, "temperature");
  EXPECT_EQ(metric.unit(), "celsius");
  ASSERT_EQ(metric.data_case(), pb_metrics::Metric::kGauge);
  ASSERT_EQ(metric.gauge().data_points_size(), 2);
  EXPECT_EQ(metric.gauge().data_points(0).value_case(), pb_metrics::NumberDataPoint::kAsDouble)
      << "a oneof member of 0 is written";
  EXPECT_EQ(metric.gauge().data_points(1).as_double(), 21.5);
  EXPECT_EQ(string_value_of(metric.gauge().data_points(1).attributes(), "room"), "hall");
}

TEST(OtlpMetricsEncoderTest, HistogramHasCountSumPerBucketCountsAndBounds) {
  const ExportMetricsServiceRequest request = encode(every_kind()).decoded();
  const pb_metrics::Metric& metric = metric_named(request, "rpc_duration_seconds");
  EXPECT_EQ(metric.unit(), "seconds");
  ASSERT_EQ(metric.data_case(), pb_metrics::Metric::kHistogram);
  EXPECT_EQ(metric.histogram().aggregation_temporality(),
            pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(metric.histogram().data_points_size(), 1);
  const pb_metrics::HistogramDataPoint& point = metric.histogram().data_points(0);
  EXPECT_EQ(point.count(), 8u);
  ASSERT_TRUE(point.has_sum());
  EXPECT_EQ(point.sum(), 31.25);
  EXPECT_THAT(point.bucket_counts(), ElementsAre(2, 0, 5, 1));
  EXPECT_THAT(point.explicit_bounds(), ElementsAre(0.1, 1, 10));
  EXPECT_FALSE(point.has_min()) << "not tracked";
  EXPECT_FALSE(point.has_max());
  EXPECT_EQ(string_value_of(point.attributes(), "method"), "Get");
  EXPECT_EQ(point.start_time_unix_nano(), static_cast<std::uint64_t>(kStart));
  EXPECT_EQ(point.time_unix_nano(), static_cast<std::uint64_t>(kNow));
}

TEST(OtlpMetricsEncoderTest, HistogramSumOfZeroIsPresent) {
  const Encoded encoded = encode({make_histogram({0, 0, 0, 0}, 0)});
  const ExportMetricsServiceRequest request = encoded.decoded();
  const pb_metrics::HistogramDataPoint& point =
      metric_named(request, "rpc_duration_seconds").histogram().data_points(0);
  EXPECT_TRUE(point.has_sum());
  EXPECT_EQ(point.sum(), 0);
  EXPECT_EQ(encoded.proto, encoded.reference);
  const Json json = json_metric_named(encoded.json_decoded(), "rpc_duration_seconds");
  const Json& json_point = json["histogram"]["dataPoints"][0];
  EXPECT_EQ(json_point["sum"], 0);
  EXPECT_FALSE(json_point.contains("count")) << "a count of 0 is a default";
}

TEST(OtlpMetricsEncoderTest, OverflowPointCarriesOnlyTheOverflowAttribute) {
  const Encoded encoded = encode(every_kind());
  const ExportMetricsServiceRequest request = encoded.decoded();
  const pb_metrics::NumberDataPoint& point =
      metric_named(request, "http_requests").sum().data_points(2);
  EXPECT_EQ(point.as_double(), 12);
  ASSERT_EQ(point.attributes_size(), 1);
  EXPECT_EQ(point.attributes(0).key(), "otel.metric.overflow");
  EXPECT_EQ(point.attributes(0).value().value_case(), pb_common::AnyValue::kBoolValue);
  EXPECT_TRUE(point.attributes(0).value().bool_value());
  const Json json = json_metric_named(encoded.json_decoded(), "http_requests");
  EXPECT_EQ(json["sum"]["dataPoints"][2]["attributes"],
            Json::parse(R"([{"key":"otel.metric.overflow","value":{"boolValue":true}}])"));
}

TEST(OtlpMetricsEncoderTest, ExemplarsOfCountersAndHistogramBucketsLinkToTraces) {
  const Encoded encoded = encode(every_kind());
  const ExportMetricsServiceRequest request = encoded.decoded();
  const std::string trace_id = reference::id_bytes(TraceId::from_hex(kTraceHex)->bytes());
  const std::string span_id = reference::id_bytes(SpanId::from_hex(kSpanHex)->bytes());

  const pb_metrics::Sum& sum = metric_named(request, "http_requests").sum();
  ASSERT_EQ(sum.data_points(0).exemplars_size(), 1);
  const pb_metrics::Exemplar& counter = sum.data_points(0).exemplars(0);
  EXPECT_EQ(counter.as_double(), 1);
  EXPECT_EQ(counter.time_unix_nano(), static_cast<std::uint64_t>(kStart + 5));
  EXPECT_EQ(counter.trace_id(), trace_id);
  EXPECT_EQ(counter.span_id(), span_id);
  EXPECT_EQ(sum.data_points(1).exemplars_size(), 0);

  const pb_metrics::HistogramDataPoint& point =
      metric_named(request, "rpc_duration_seconds").histogram().data_points(0);
  ASSERT_EQ(point.exemplars_size(), 2) << "buckets without one are skipped";
  EXPECT_EQ(point.exemplars(0).as_double(), 0.7);
  EXPECT_EQ(point.exemplars(1).as_double(), 11);
  EXPECT_EQ(point.exemplars(1).time_unix_nano(), static_cast<std::uint64_t>(kStart + 9));
  EXPECT_EQ(point.exemplars(1).trace_id(), trace_id);

  const Json json = encoded.json_decoded();
  const Json& json_counter =
      json_metric_named(json, "http_requests")["sum"]["dataPoints"][0]["exemplars"][0];
  EXPECT_EQ(json_counter, Json::parse(R"({"timeUnixNano":"1700000000123456794","asDouble":1,
                                          "spanId":"00f067aa0ba902b7",
                                          "traceId":"4bf92f3577b34da6a3ce929d0e0e4736"})"));
}

TEST(OtlpMetricsEncoderTest, ExemplarWithoutTraceHasNoIds) {
  MetricFamilyData counter = make_family("c", MetricKind::kCounter);
  counter.points = {make_point(4)};
  counter.points[0].exemplars = {Exemplar{}};
  const Encoded encoded = encode({counter});
  const ExportMetricsServiceRequest request = encoded.decoded();
  const pb_metrics::Exemplar& exemplar =
      metric_named(request, "c").sum().data_points(0).exemplars(0);
  EXPECT_EQ(exemplar.value_case(), pb_metrics::Exemplar::kAsDouble);
  EXPECT_TRUE(exemplar.trace_id().empty());
  EXPECT_TRUE(exemplar.span_id().empty());
  EXPECT_EQ(encoded.proto, encoded.reference);
  EXPECT_EQ(json_metric_named(encoded.json_decoded(), "c")["sum"]["dataPoints"][0]["exemplars"][0],
            Json::parse(R"({"asDouble":0})"));
}

TEST(OtlpMetricsEncoderTest, ResourceAndScopeAreEncoded) {
  const Resource resource({{"service.name", std::string("payments")},
                           {"process.pid", std::int64_t{4242}},
                           {"tags", std::vector<std::string>{"x", "y"}}});
  const Encoded encoded = encode(every_kind(), resource, {.name = "checkout", .version = "2.1.0"});
  const ExportMetricsServiceRequest request = encoded.decoded();
  const auto& attributes = request.resource_metrics(0).resource().attributes();
  ASSERT_EQ(attributes.size(), 3);
  EXPECT_EQ(attributes[0].key(), "service.name");
  EXPECT_EQ(attributes[0].value().string_value(), "payments");
  EXPECT_EQ(attributes[1].value().int_value(), 4242);
  EXPECT_EQ(attributes[2].value().array_value().values(1).string_value(), "y");
  const pb_common::InstrumentationScope& scope =
      request.resource_metrics(0).scope_metrics(0).scope();
  EXPECT_EQ(scope.name(), "checkout");
  EXPECT_EQ(scope.version(), "2.1.0");
  EXPECT_EQ(encoded.proto, encoded.reference);

  const Json json = encoded.json_decoded()["resourceMetrics"][0];
  EXPECT_EQ(json["resource"]["attributes"][1],
            Json::parse(R"({"key":"process.pid","value":{"intValue":"4242"}})"));
  EXPECT_EQ(json["scopeMetrics"][0]["scope"],
            Json::parse(R"({"name":"checkout","version":"2.1.0"})"));
}

TEST(OtlpMetricsEncoderTest, EmptyInputAndFamiliesWithoutPointsEncodeAnEmptyRequest) {
  std::vector<MetricFamilyData> no_points = {make_family("idle", MetricKind::kCounter),
                                             make_family("idle_h", MetricKind::kHistogram)};
  for (const std::vector<MetricFamilyData>& families :
       {std::vector<MetricFamilyData>{}, no_points}) {
    std::string proto = "left over";
    std::string json = "left over";
    encode_metrics_request_proto(families, Resource(), kScope, kNow, proto);
    encode_metrics_request_json(families, Resource(), kScope, kNow, json);
    EXPECT_EQ(proto, "");
    EXPECT_EQ(json, "{}");
    ExportMetricsServiceRequest request;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
    EXPECT_EQ(request.resource_metrics_size(), 0);
  }
}

TEST(OtlpMetricsEncoderTest, IllFormedUtf8IsRepairedSoProtobufAcceptsIt) {
  MetricFamilyData gauge = make_family("g", MetricKind::kGauge, {"path"});
  gauge.help = "help\xc3";
  gauge.points = {make_point(1, {"/caf\xe9"})};
  std::string proto;
  std::string json;
  encode_metrics_request_proto({gauge}, Resource(), kScope, kNow, proto);
  encode_metrics_request_json({gauge}, Resource(), kScope, kNow, json);
  ExportMetricsServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(proto));
  const pb_metrics::Metric& metric = metric_named(request, "g");
  EXPECT_EQ(metric.description(), "help\uFFFD");
  EXPECT_EQ(string_value_of(metric.gauge().data_points(0).attributes(), "path"), "/caf\uFFFD");
  const Json decoded = Json::parse(json);  // nlohmann::json rejects ill-formed UTF-8
  EXPECT_EQ(json_metric_named(decoded, "g")["gauge"]["dataPoints"][0]["attributes"][0]["value"],
            Json::parse(R"({"stringValue":"/caf\uFFFD"})"));
}

TEST(OtlpMetricsEncoderTest, ProtobufIsByteIdenticalToLibprotobufAndSkipsFamiliesWithoutPoints) {
  std::vector<MetricFamilyData> families = every_kind();
  families.insert(families.begin() + 1, make_family("idle", MetricKind::kGauge));
  const Encoded encoded = encode(families, Resource({{"service.name", std::string("payments")},
                                                     {"weights", std::vector<double>{0.25, 4.0}}}));
  EXPECT_EQ(encoded.proto, encoded.reference);
  const ExportMetricsServiceRequest request = encoded.decoded();
  ASSERT_EQ(request.resource_metrics(0).scope_metrics(0).metrics_size(), 4);
  EXPECT_EQ(request.resource_metrics(0).scope_metrics(0).metrics(1).name(), "queue_depth");
  EXPECT_EQ(encoded.json_decoded()["resourceMetrics"][0]["scopeMetrics"][0]["metrics"].size(), 4u);
}

// Lengths past 127 bytes, 16 KiB and 2 MiB at every level, so that the writer's reserved length
// slots are too small for some messages and too large for others.
TEST(OtlpMetricsEncoderTest, LargeAndTinyMessagesKeepCanonicalLengths) {
  MetricFamilyData tiny = make_family("", MetricKind::kGauge);
  tiny.help.clear();
  tiny.points = {PointData{}};
  MetricFamilyData wide = make_family("wide", MetricKind::kCounter, {"id"});
  for (int i = 0; i < 60'000; ++i) wide.points.push_back(make_point(i, {std::to_string(i)}));
  wide.points[7].label_values[0] = std::string(200, 'x');
  MetricFamilyData histogram = make_histogram({1, 1, 1, 1}, 1);
  histogram.bounds.clear();
  histogram.points[0].bucket_counts.assign(401, 3);
  for (int i = 0; i < 400; ++i) histogram.bounds.push_back(i);
  const Encoded encoded = encode({tiny, wide, histogram});
  EXPECT_GT(encoded.proto.size(), std::size_t{2} << 20) << "the request's length takes 4 bytes";
  // Not EXPECT_EQ: on a mismatch, gtest's diff of two 2 MiB strings takes gigabytes.
  EXPECT_TRUE(encoded.proto == encoded.reference);
}

TEST(OtlpMetricsEncoderTest, JsonFollowsTheOtlpJsonRules) {
  std::vector<MetricFamilyData> families = every_kind();
  families[2].points[0].value = std::numeric_limits<double>::quiet_NaN();
  families[2].points[1].value = -std::numeric_limits<double>::infinity();
  const Json json = encode(families).json_decoded();
  const Json& counter = json_metric_named(json, "http_requests");
  EXPECT_EQ(counter["description"], "help of http_requests");
  EXPECT_EQ(counter["sum"]["aggregationTemporality"], 2) << "enums as numbers";
  EXPECT_EQ(counter["sum"]["isMonotonic"], true);
  const Json& point = counter["sum"]["dataPoints"][0];
  EXPECT_EQ(point["startTimeUnixNano"], std::to_string(kStart)) << "64-bit as strings";
  EXPECT_EQ(point["timeUnixNano"], std::to_string(kNow));
  EXPECT_EQ(point["asDouble"], 1027);
  EXPECT_EQ(point["attributes"][0],
            Json::parse(R"({"key":"method","value":{"stringValue":"GET"}})"));
  EXPECT_FALSE(json_metric_named(json, "queue_depth")["sum"].contains("isMonotonic"))
      << "false is a default";
  const Json& gauge = json_metric_named(json, "temperature");
  EXPECT_EQ(gauge["unit"], "celsius");
  EXPECT_FALSE(gauge["gauge"].contains("aggregationTemporality"));
  EXPECT_EQ(gauge["gauge"]["dataPoints"][0]["asDouble"], "NaN");
  EXPECT_EQ(gauge["gauge"]["dataPoints"][1]["asDouble"], "-Infinity");
  const Json& histogram = json_metric_named(json, "rpc_duration_seconds")["histogram"];
  EXPECT_EQ(histogram["aggregationTemporality"], 2);
  EXPECT_EQ(histogram["dataPoints"][0]["count"], "8");
  EXPECT_EQ(histogram["dataPoints"][0]["sum"], 31.25);
  EXPECT_EQ(histogram["dataPoints"][0]["bucketCounts"], Json::parse(R"(["2","0","5","1"])"));
  EXPECT_EQ(histogram["dataPoints"][0]["explicitBounds"], Json::parse("[0.1,1,10]"));
}

// protobuf's own JSON parser reads OTLP/JSON except the IDs, which it expects in base64 (hex
// digits are valid base64, so they parse, to other bytes). With the exemplars' IDs cleared, the
// message it reads must equal the binary one.
TEST(OtlpMetricsEncoderTest, JsonReadsBackWithProtobufsJsonParser) {
  const Encoded encoded =
      encode(every_kind(), Resource({{"service.name", std::string("payments")}}));
  ExportMetricsServiceRequest from_json;
  const auto status = google::protobuf::util::JsonStringToMessage(encoded.json, &from_json);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ExportMetricsServiceRequest from_proto = encoded.decoded();
  auto clear_ids = [](auto& exemplars) {
    for (pb_metrics::Exemplar& exemplar : exemplars) {
      exemplar.clear_trace_id();
      exemplar.clear_span_id();
    }
  };
  for (ExportMetricsServiceRequest* request : {&from_json, &from_proto}) {
    for (pb_metrics::Metric& metric :
         *request->mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics()) {
      for (auto& point : *metric.mutable_sum()->mutable_data_points()) {
        clear_ids(*point.mutable_exemplars());
      }
      for (auto& point : *metric.mutable_histogram()->mutable_data_points()) {
        clear_ids(*point.mutable_exemplars());
      }
    }
  }
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(from_proto, from_json)) << differences;
}

// A real registry's collection: names as the registry keeps them, an overflow series, and
// exemplars of the sampled current span.
TEST(OtlpMetricsEncoderTest, RegistryCollectionEncodesEveryInstrument) {
  MetricRegistry registry({.cardinality_limit = 1});
  Counter payments =
      registry.create_counter("payments_processed_total", "Total payments", {"status", "method"});
  UpDownCounter in_flight = registry.create_up_down_counter("in_flight_requests", "In flight");
  Gauge temperature = registry.create_gauge("temperature", "Temperature", {"room"}, "celsius");
  registry.create_callback_gauge(
      "uptime_seconds", "Uptime", [] { return 42.0; }, "seconds");
  Histogram latency =
      registry.create_histogram("request_duration_seconds", "Latency", {}, {0.1, 1}, "seconds");
  registry.create_counter("never_recorded_total", "No series");
  const SpanContext span{.trace_id = new_trace_id(),
                         .span_id = new_span_id(),
                         .flags = TraceFlags(TraceFlags::kSampled)};
  {
    ContextScope scope(Context::current().with_span_context(span));
    payments.inc({{"status", "ok"}, {"method", "card"}}, 3);
    latency.observe(0.5);
  }
  payments.inc({{"status", "failed"}, {"method", "card"}});  // past the limit: overflow
  in_flight.add(2);
  in_flight.add(-1);
  temperature.set(21.5, {{"room", "hall"}});
  latency.observe(0);

  const std::vector<MetricFamilyData> families = registry.state().collect();
  const Encoded encoded = encode(families);
  EXPECT_EQ(encoded.proto, encoded.reference);
  const ExportMetricsServiceRequest request = encoded.decoded();
  EXPECT_EQ(request.resource_metrics(0).scope_metrics(0).metrics_size(), 5);

  const pb_metrics::Sum& sum = metric_named(request, "payments_processed").sum();
  EXPECT_TRUE(sum.is_monotonic());
  ASSERT_EQ(sum.data_points_size(), 2);
  EXPECT_EQ(sum.data_points(0).as_double(), 3);
  EXPECT_EQ(string_value_of(sum.data_points(0).attributes(), "status"), "ok");
  ASSERT_EQ(sum.data_points(0).exemplars_size(), 1);
  EXPECT_EQ(sum.data_points(0).exemplars(0).trace_id(), reference::id_bytes(span.trace_id.bytes()));
  EXPECT_EQ(sum.data_points(0).exemplars(0).span_id(), reference::id_bytes(span.span_id.bytes()));
  EXPECT_GT(sum.data_points(0).start_time_unix_nano(), 0u);
  EXPECT_EQ(sum.data_points(1).attributes(0).key(), "otel.metric.overflow");
  EXPECT_EQ(sum.data_points(1).as_double(), 1);

  EXPECT_EQ(metric_named(request, "in_flight_requests").sum().data_points(0).as_double(), 1);
  EXPECT_FALSE(metric_named(request, "in_flight_requests").sum().is_monotonic());
  EXPECT_EQ(metric_named(request, "temperature").gauge().data_points(0).as_double(), 21.5);
  EXPECT_EQ(metric_named(request, "uptime_seconds").gauge().data_points(0).as_double(), 42);
  EXPECT_EQ(metric_named(request, "uptime_seconds").unit(), "seconds");

  const pb_metrics::HistogramDataPoint& point =
      metric_named(request, "request_duration_seconds").histogram().data_points(0);
  EXPECT_EQ(point.count(), 2u);
  EXPECT_EQ(point.sum(), 0.5);
  EXPECT_THAT(point.bucket_counts(), ElementsAre(1, 1, 0));
  ASSERT_EQ(point.exemplars_size(), 1);
  EXPECT_EQ(point.exemplars(0).as_double(), 0.5);
}

}  // namespace
}  // namespace mmf::detail
