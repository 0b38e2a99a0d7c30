// What a collection of the metrics registry yields: every instrument's series with their values
// at one moment, owned, so that the writers (Prometheus text, OpenMetrics, OTLP) work on a
// stable copy while recording goes on.
//
// Naming: a family's name is the Prometheus metric name without the suffixes the formats add.
// For a counter, name has no "_total" (the registry strips it from "payments_processed_total");
// Prometheus text 0.0.4 writes the samples as <name>_total, OpenMetrics writes
// "# TYPE <name> counter" and samples <name>_total and <name>_created. A histogram's samples are
// <name>_bucket{le=...}, <name>_sum, <name>_count (and <name>_created in OpenMetrics).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mmf/trace_context.h"

namespace mmf::detail {

enum class MetricKind : std::uint8_t {
  kCounter,        // monotonic; Prometheus/OpenMetrics "counter"
  kUpDownCounter,  // goes up and down; exposed as a "gauge"
  kGauge,          // a value set, or read by a callback at collection; "gauge"
  kHistogram,      // explicit buckets; "histogram"
};

// A sample linked to the trace that was current when it was recorded (OpenMetrics exemplars).
struct Exemplar {
  double value = 0;
  std::int64_t time_unix_nano = 0;
  TraceId trace_id;
  SpanId span_id;
};

// One series: one combination of label values.
struct PointData {
  std::vector<std::string> label_values;  // in the order of MetricFamilyData::label_names
  // The overflow series of an instrument past its cardinality limit: written with the single
  // label otel_metric_overflow="true" instead of label_values (which are then empty).
  bool overflow = false;
  // Counter, up-down counter, gauge.
  double value = 0;
  // Histogram: count per bucket, not cumulative; bucket i holds observations <= bounds[i]
  // (and > bounds[i-1]); the last one (index bounds.size()) holds those above every bound.
  std::vector<std::uint64_t> bucket_counts;
  double sum = 0;
  std::uint64_t count = 0;
  // When the series began (its first recording), for OpenMetrics' _created.
  std::int64_t start_time_unix_nano = 0;
  // Counter: at most one exemplar (the latest). Histogram: one per bucket at most, indexed like
  // bucket_counts (nullopt where none).
  std::vector<std::optional<Exemplar>> exemplars;
};

struct MetricFamilyData {
  std::string name;  // see the naming rules above
  std::string help;
  std::string unit;  // e.g. "seconds", "bytes"; may be empty. OpenMetrics "# UNIT" when set
  MetricKind kind = MetricKind::kCounter;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histogram bucket upper bounds, ascending, finite
  std::vector<PointData> points;
};

}  // namespace mmf::detail
