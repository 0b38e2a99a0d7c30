#include "export/otlp_metrics_encoder.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>

#include "export/otlp_common.h"

namespace mmf::detail {
namespace {

// Field numbers of metrics.proto and metrics_service.proto.
namespace f {
constexpr std::uint32_t kRequestResourceMetrics = 1;
constexpr std::uint32_t kResourceMetricsResource = 1;
constexpr std::uint32_t kResourceMetricsScopeMetrics = 2;
constexpr std::uint32_t kScopeMetricsScope = 1;
constexpr std::uint32_t kScopeMetricsMetrics = 2;

constexpr std::uint32_t kMetricName = 1;
constexpr std::uint32_t kMetricDescription = 2;
constexpr std::uint32_t kMetricUnit = 3;
constexpr std::uint32_t kMetricGauge = 5;
constexpr std::uint32_t kMetricSum = 7;
constexpr std::uint32_t kMetricHistogram = 9;

// Gauge, Sum and Histogram share these numbers (Gauge has only the points).
constexpr std::uint32_t kDataPoints = 1;
constexpr std::uint32_t kDataAggregationTemporality = 2;
constexpr std::uint32_t kSumIsMonotonic = 3;

constexpr std::uint32_t kNumberPointStartTime = 2;
constexpr std::uint32_t kNumberPointTime = 3;
constexpr std::uint32_t kNumberPointAsDouble = 4;
constexpr std::uint32_t kNumberPointExemplars = 5;
constexpr std::uint32_t kNumberPointAttributes = 7;

constexpr std::uint32_t kHistogramPointStartTime = 2;
constexpr std::uint32_t kHistogramPointTime = 3;
constexpr std::uint32_t kHistogramPointCount = 4;
constexpr std::uint32_t kHistogramPointSum = 5;
constexpr std::uint32_t kHistogramPointBucketCounts = 6;
constexpr std::uint32_t kHistogramPointExplicitBounds = 7;
constexpr std::uint32_t kHistogramPointExemplars = 8;
constexpr std::uint32_t kHistogramPointAttributes = 9;

constexpr std::uint32_t kExemplarTime = 2;
constexpr std::uint32_t kExemplarAsDouble = 3;
constexpr std::uint32_t kExemplarSpanId = 4;
constexpr std::uint32_t kExemplarTraceId = 5;
}  // namespace f

// AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE.
constexpr std::int64_t kCumulative = 2;

// The OpenTelemetry SDKs' attribute for the overflow series of a metric past its cardinality
// limit, so backends that know the convention can tell it from a real series.
constexpr std::string_view kOverflowKey = "otel.metric.overflow";

// Which of Metric's data members a kind becomes, and what that message says about its points.
struct DataShape {
  std::uint32_t field;
  std::string_view json_name;
  bool cumulative;  // has aggregation_temporality (Sum, Histogram)
  bool monotonic;   // Sum.is_monotonic
};

DataShape shape_of(MetricKind kind) noexcept {
  switch (kind) {
    case MetricKind::kCounter:
      return {f::kMetricSum, "sum", true, true};
    case MetricKind::kUpDownCounter:
      return {f::kMetricSum, "sum", true, false};
    case MetricKind::kGauge:
      return {f::kMetricGauge, "gauge", false, false};
    case MetricKind::kHistogram:
      return {f::kMetricHistogram, "histogram", true, false};
  }
  return {f::kMetricGauge, "gauge", false, false};
}

std::uint64_t unix_nano(std::int64_t time) noexcept { return static_cast<std::uint64_t>(time); }

// Calls attribute(key, value) for each of a point's attributes: its labels, or the overflow
// marker. Hand-built data with fewer values than names stops at the shorter list.
template <class Visit>
void for_each_attribute(const MetricFamilyData& family, const PointData& point, Visit&& attribute) {
  if (point.overflow) {
    attribute(kOverflowKey, AttributeValue(true));
    return;
  }
  const std::size_t count = std::min(family.label_names.size(), point.label_values.size());
  for (std::size_t i = 0; i < count; ++i) {
    attribute(family.label_names[i], AttributeValue(point.label_values[i]));
  }
}

template <class Visit>
void for_each_exemplar(const PointData& point, Visit&& write) {
  for (const std::optional<Exemplar>& exemplar : point.exemplars) {
    if (exemplar) write(*exemplar);
  }
}

bool has_points(const std::vector<MetricFamilyData>& families) noexcept {
  return std::any_of(families.begin(), families.end(),
                     [](const MetricFamilyData& family) { return !family.points.empty(); });
}

// Protobuf. Each message's fields go in field-number order, as libprotobuf writes them.

void write_exemplar(ProtoWriter& w, std::uint32_t field, const Exemplar& exemplar) {
  // Time, value and two IDs take 46 bytes.
  const ProtoWriter::Message message = w.begin_message(field);
  w.fixed64_field(f::kExemplarTime, unix_nano(exemplar.time_unix_nano));
  w.oneof_double(f::kExemplarAsDouble, exemplar.value);
  if (exemplar.span_id.is_valid()) w.bytes_field(f::kExemplarSpanId, exemplar.span_id.bytes());
  if (exemplar.trace_id.is_valid()) w.bytes_field(f::kExemplarTraceId, exemplar.trace_id.bytes());
  w.end_message(message);
}

void write_number_point(ProtoWriter& w, const MetricFamilyData& family, const PointData& point,
                        std::int64_t time_unix_nano) {
  // Times, value and a few labels fit in 127 bytes; an exemplar takes it past.
  const ProtoWriter::Message message =
      w.begin_message(f::kDataPoints, point.exemplars.empty() ? 1 : 2);
  w.fixed64_field(f::kNumberPointStartTime, unix_nano(point.start_time_unix_nano));
  w.fixed64_field(f::kNumberPointTime, unix_nano(time_unix_nano));
  w.oneof_double(f::kNumberPointAsDouble, point.value);
  for_each_exemplar(point, [&](const Exemplar& exemplar) {
    write_exemplar(w, f::kNumberPointExemplars, exemplar);
  });
  for_each_attribute(family, point, [&](std::string_view key, const AttributeValue& value) {
    write_key_value(w, f::kNumberPointAttributes, key, value);
  });
  w.end_message(message);
}

void write_histogram_point(ProtoWriter& w, const MetricFamilyData& family, const PointData& point,
                           std::int64_t time_unix_nano) {
  // Each bucket takes 16 bytes (its count and bound): more than a few pass 127 bytes.
  const ProtoWriter::Message message =
      w.begin_message(f::kDataPoints, family.bounds.size() > 4 ? 2 : 1);
  w.fixed64_field(f::kHistogramPointStartTime, unix_nano(point.start_time_unix_nano));
  w.fixed64_field(f::kHistogramPointTime, unix_nano(time_unix_nano));
  w.fixed64_field(f::kHistogramPointCount, point.count);
  // sum is a proto3 `optional` field, which protobuf implements as a oneof of one member: the
  // encoding of a oneof member, written even when 0, is the encoding of a present sum.
  w.oneof_double(f::kHistogramPointSum, point.sum);
  w.packed_fixed64(f::kHistogramPointBucketCounts, point.bucket_counts);
  w.packed_double(f::kHistogramPointExplicitBounds, family.bounds);
  for_each_exemplar(point, [&](const Exemplar& exemplar) {
    write_exemplar(w, f::kHistogramPointExemplars, exemplar);
  });
  for_each_attribute(family, point, [&](std::string_view key, const AttributeValue& value) {
    write_key_value(w, f::kHistogramPointAttributes, key, value);
  });
  w.end_message(message);
}

void write_metric(ProtoWriter& w, const MetricFamilyData& family, std::int64_t time_unix_nano) {
  // A metric with its help and a few series takes 128 bytes to 16 KiB.
  const ProtoWriter::Message metric = w.begin_message(f::kScopeMetricsMetrics, 2);
  w.string_field(f::kMetricName, family.name);
  w.string_field(f::kMetricDescription, family.help);
  w.string_field(f::kMetricUnit, family.unit);
  const DataShape shape = shape_of(family.kind);
  const ProtoWriter::Message data = w.begin_message(shape.field, 2);
  for (const PointData& point : family.points) {
    if (family.kind == MetricKind::kHistogram) {
      write_histogram_point(w, family, point, time_unix_nano);
    } else {
      write_number_point(w, family, point, time_unix_nano);
    }
  }
  if (shape.cumulative) w.int64_field(f::kDataAggregationTemporality, kCumulative);
  w.bool_field(f::kSumIsMonotonic, shape.monotonic);
  w.end_message(data);
  w.end_message(metric);
}

// JSON. Members go in the order metrics.proto declares them, as the trace encoder's do.

void write_time(JsonWriter& w, std::string_view name, std::int64_t time) {
  if (time == 0) return;
  w.key(name);
  w.uint64_string(unix_nano(time));
}

void write_attributes(JsonWriter& w, const MetricFamilyData& family, const PointData& point) {
  JsonList attributes(w, "attributes");
  for_each_attribute(family, point, [&](std::string_view key, const AttributeValue& value) {
    attributes.next();
    write_key_value(w, key, value);
  });
  attributes.close();
}

void write_exemplars(JsonWriter& w, const PointData& point) {
  JsonList exemplars(w, "exemplars");
  for_each_exemplar(point, [&](const Exemplar& exemplar) {
    exemplars.next();
    w.begin_object();
    write_time(w, "timeUnixNano", exemplar.time_unix_nano);
    w.key("asDouble");
    w.number(exemplar.value);
    if (exemplar.span_id.is_valid()) {
      w.key("spanId");
      w.hex_string(exemplar.span_id.bytes());
    }
    if (exemplar.trace_id.is_valid()) {
      w.key("traceId");
      w.hex_string(exemplar.trace_id.bytes());
    }
    w.end_object();
  });
  exemplars.close();
}

void write_number_point(JsonWriter& w, const MetricFamilyData& family, const PointData& point,
                        std::int64_t time_unix_nano) {
  w.begin_object();
  write_attributes(w, family, point);
  write_time(w, "startTimeUnixNano", point.start_time_unix_nano);
  write_time(w, "timeUnixNano", time_unix_nano);
  w.key("asDouble");
  w.number(point.value);
  write_exemplars(w, point);
  w.end_object();
}

void write_histogram_point(JsonWriter& w, const MetricFamilyData& family, const PointData& point,
                           std::int64_t time_unix_nano) {
  w.begin_object();
  write_attributes(w, family, point);
  write_time(w, "startTimeUnixNano", point.start_time_unix_nano);
  write_time(w, "timeUnixNano", time_unix_nano);
  if (point.count != 0) {
    w.key("count");
    w.uint64_string(point.count);
  }
  w.key("sum");  // present even when 0: see the protobuf writer
  w.number(point.sum);
  if (!point.bucket_counts.empty()) {
    w.key("bucketCounts");
    w.begin_array();
    for (std::uint64_t count : point.bucket_counts) w.uint64_string(count);
    w.end_array();
  }
  if (!family.bounds.empty()) {
    w.key("explicitBounds");
    w.begin_array();
    for (double bound : family.bounds) w.number(bound);
    w.end_array();
  }
  write_exemplars(w, point);
  w.end_object();
}

void write_metric(JsonWriter& w, const MetricFamilyData& family, std::int64_t time_unix_nano) {
  w.begin_object();
  if (!family.name.empty()) {
    w.key("name");
    w.string(family.name);
  }
  if (!family.help.empty()) {
    w.key("description");
    w.string(family.help);
  }
  if (!family.unit.empty()) {
    w.key("unit");
    w.string(family.unit);
  }
  const DataShape shape = shape_of(family.kind);
  w.key(shape.json_name);
  w.begin_object();
  w.key("dataPoints");
  w.begin_array();
  for (const PointData& point : family.points) {
    if (family.kind == MetricKind::kHistogram) {
      write_histogram_point(w, family, point, time_unix_nano);
    } else {
      write_number_point(w, family, point, time_unix_nano);
    }
  }
  w.end_array();
  if (shape.cumulative) {
    w.key("aggregationTemporality");
    w.number(kCumulative);
  }
  if (shape.monotonic) {
    w.key("isMonotonic");
    w.boolean(true);
  }
  w.end_object();
  w.end_object();
}

}  // namespace

void encode_metrics_request_proto(const std::vector<MetricFamilyData>& families,
                                  const Resource& resource, const InstrumentationScope& scope,
                                  std::int64_t time_unix_nano, std::string& out) {
  out.clear();
  if (!has_points(families)) return;
  ProtoWriter w(out);
  // A registry's collection is usually 16 KiB to 2 MiB: a 3-byte length, as for a span batch.
  const ProtoWriter::Message resource_metrics = w.begin_message(f::kRequestResourceMetrics, 3);
  write_resource(w, f::kResourceMetricsResource, resource);
  const ProtoWriter::Message scope_metrics = w.begin_message(f::kResourceMetricsScopeMetrics, 3);
  write_scope(w, f::kScopeMetricsScope, scope);
  for (const MetricFamilyData& family : families) {
    if (!family.points.empty()) write_metric(w, family, time_unix_nano);
  }
  w.end_message(scope_metrics);
  w.end_message(resource_metrics);
  w.finish();
}

void encode_metrics_request_json(const std::vector<MetricFamilyData>& families,
                                 const Resource& resource, const InstrumentationScope& scope,
                                 std::int64_t time_unix_nano, std::string& out) {
  out.clear();
  JsonWriter w(out);
  w.begin_object();
  if (has_points(families)) {
    w.key("resourceMetrics");
    w.begin_array();
    w.begin_object();
    w.key("resource");
    write_resource(w, resource);
    w.key("scopeMetrics");
    w.begin_array();
    w.begin_object();
    w.key("scope");
    write_scope(w, scope);
    w.key("metrics");
    w.begin_array();
    for (const MetricFamilyData& family : families) {
      if (!family.points.empty()) write_metric(w, family, time_unix_nano);
    }
    w.end_array();
    w.end_object();
    w.end_array();
    w.end_object();
    w.end_array();
  }
  w.end_object();
  w.finish();
}

}  // namespace mmf::detail
