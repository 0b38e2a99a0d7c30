// The library's own health as metrics: what the tracing pipeline, propagation and the metrics
// registry dropped, refused or did, published as mmf_telemetry_* series so that a dashboard (and
// an alert) sees telemetry being lost before anyone misses it.
//
//   mmf::MetricRegistry registry;
//   mmf::Tracer tracer(...);
//   mmf::publish_telemetry_metrics(registry);          // propagation and registry counters
//   mmf::publish_tracer_metrics(registry, tracer);     // the span pipeline's
//
// The values are read at each collection from the counters the components keep anyway
// (Tracer::stats(), LoggingPipeline::stats(), propagation_counters(), MetricRegistry::stats()),
// so publishing costs the
// recording paths nothing. docs/metrics.md lists every series.
//
// Thread-safety: call once per registry (calling again re-points the callbacks), from any
// thread. Lifetime: tracer and logging must outlive every later collection of registry
// (UnifiedObservability guarantees it by owning them all).
#pragma once

#include "mmf/log.h"
#include "mmf/metrics.h"
#include "mmf/tracer.h"

namespace mmf {

// mmf_telemetry_propagation_rejected_total{reason}, mmf_telemetry_metric_label_errors_total,
// mmf_telemetry_metric_overflow_total, mmf_telemetry_metric_series.
void publish_telemetry_metrics(MetricRegistry& registry);

// mmf_telemetry_spans_{started,not_sampled,ended,exported}_total,
// mmf_telemetry_spans_dropped_total{reason}, mmf_telemetry_spans_retained_total{outcome},
// mmf_telemetry_span_attributes_dropped_total, mmf_telemetry_span_export_batches_total,
// mmf_telemetry_span_export_failures_total, mmf_telemetry_span_export_seconds_total,
// mmf_telemetry_span_queue_depth.
void publish_tracer_metrics(MetricRegistry& registry, const Tracer& tracer);

// mmf_telemetry_logs_records_total, mmf_telemetry_logs_written_total,
// mmf_telemetry_logs_dropped_total{reason}, mmf_telemetry_logs_debug_total{outcome}.
void publish_logging_metrics(MetricRegistry& registry, const LoggingPipeline& logging);

}  // namespace mmf
