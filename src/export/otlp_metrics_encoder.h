// OTLP encoding of a collection of the metrics registry: the body of an OTLP/HTTP request to
// /v1/metrics (and of the gRPC MetricsService/Export call), as protobuf or as JSON.
//
//   const std::vector<MetricFamilyData> families = registry.state().collect();
//   std::string body;
//   encode_metrics_request_proto(families, resource, {.name = "mmf-observability"},
//                                collected_unix_nano, body);
//
// The request holds one ResourceMetrics (the process's resource) with one ScopeMetrics (the
// registry's instrumentation scope) holding one Metric per family that has points, in the order
// given. Like the trace encoder, the encoders write bytes directly (export/proto_writer.h,
// export/json_writer.h), and out is replaced, its capacity kept. Input without any point encodes
// an empty request (no bytes; "{}" in JSON), since a Metric must carry data.
//
// Mapping (tests/proto/.../metrics.proto):
//   - Metric.name is the family's name as the registry keeps it (a counter's without "_total":
//     OTLP names carry no type suffix), description its help, unit its unit.
//   - kCounter       -> Sum { is_monotonic = true,  CUMULATIVE } of NumberDataPoint.as_double;
//     kUpDownCounter -> Sum { is_monotonic = false, CUMULATIVE };
//     kGauge         -> Gauge;
//     kHistogram     -> Histogram { CUMULATIVE } of HistogramDataPoint: count, sum,
//                       bucket_counts (per bucket, not cumulative, as PointData keeps them) and
//                       explicit_bounds = the family's bounds. No min or max: not tracked.
//     Cumulative, because the registry's values grow from each series' first recording
//     (start_time_unix_nano) and are never reset.
//   - A point's attributes are its labels, as string attributes. The overflow series (past the
//     cardinality limit) has the single attribute otel.metric.overflow = true (bool), as the
//     OpenTelemetry SDKs write it; Prometheus shows it as otel_metric_overflow="true".
//   - start_time_unix_nano is the series' start; time_unix_nano is the collection time given.
//   - Exemplars (a counter's latest, a histogram's per bucket) become Exemplar { time,
//     as_double, span_id, trace_id }; an all-zero ID is left out, as OTLP makes both optional.
//
// What OTLP asks for beyond the field numbers:
//   - NumberDataPoint.as_double and Exemplar.as_double are oneof members and
//     HistogramDataPoint.sum is a proto3 `optional`: all are written even when 0, since their
//     presence is part of the value (a sum of 0 is not "no sum");
//   - fields are written in field-number order, as libprotobuf writes them, so the encoding is
//     byte for byte libprotobuf's;
//   - OTLP/JSON writes IDs as lowercase hex, enums (aggregationTemporality) as numbers, 64-bit
//     integers (times, count, bucketCounts) as decimal strings, and leaves out default values
//     (isMonotonic false) except the members above; NaN and infinite values as "NaN",
//     "Infinity", "-Infinity".
// All text (names, help, label values) is repaired to well-formed UTF-8, since protobuf parsers
// reject a message with an ill-formed string field.
//
// Errors: may throw std::bad_alloc while out grows; out is then unspecified.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/metric_data.h"
#include "mmf/resource.h"
#include "mmf/span_exporter.h"

namespace mmf::detail {

// ExportMetricsServiceRequest { ResourceMetrics { Resource, ScopeMetrics { scope, metrics... } } }
// time_unix_nano: when the families were collected.
void encode_metrics_request_proto(const std::vector<MetricFamilyData>& families,
                                  const Resource& resource, const InstrumentationScope& scope,
                                  std::int64_t time_unix_nano, std::string& out);
void encode_metrics_request_json(const std::vector<MetricFamilyData>& families,
                                 const Resource& resource, const InstrumentationScope& scope,
                                 std::int64_t time_unix_nano, std::string& out);

}  // namespace mmf::detail
