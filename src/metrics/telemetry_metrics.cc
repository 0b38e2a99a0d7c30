#include "mmf/telemetry_metrics.h"

#include <string>

#include "mmf/context.h"

namespace mmf {
namespace {

double value(std::uint64_t count) { return static_cast<double>(count); }

// A counter without labels whose value read() gives.
template <class Read>
void callback_total(MetricRegistry& registry, std::string_view name, std::string_view help,
                    Read read, std::string_view unit = {}) {
  registry.create_callback_counter(
      name, help, {}, [read](CallbackObserver& observer) { observer.observe(read()); }, unit);
}

}  // namespace

void publish_telemetry_metrics(MetricRegistry& registry) {
  registry.create_callback_counter(
      "mmf_telemetry_propagation_rejected_total",
      "Incoming propagation headers or fields refused, truncated or dropped, by reason.",
      {"reason"}, [](CallbackObserver& observer) {
        const PropagationCounters c = propagation_counters();
        observer.observe(value(c.ids_rejected), {"id_rejected"});
        observer.observe(value(c.traceparent_invalid), {"traceparent_invalid"});
        observer.observe(value(c.tracestate_invalid), {"tracestate_invalid"});
        observer.observe(value(c.tracestate_truncated), {"tracestate_truncated"});
        observer.observe(value(c.baggage_members_invalid), {"baggage_member_invalid"});
        observer.observe(value(c.baggage_members_dropped), {"baggage_member_dropped"});
        observer.observe(value(c.business_fields_dropped), {"business_field_dropped"});
        observer.observe(value(c.b3_invalid), {"b3_invalid"});
        observer.observe(value(c.headers_oversized), {"header_oversized"});
      });
  // The registry is captured by reference: the callbacks live inside it.
  const MetricRegistry* self = &registry;
  callback_total(registry, "mmf_telemetry_metric_label_errors_total",
                 "Metric recordings dropped because their labels did not match the instrument.",
                 [self] { return value(self->stats().label_errors); });
  callback_total(registry, "mmf_telemetry_metric_overflow_total",
                 "Metric recordings sent to an overflow series past the cardinality limit.",
                 [self] { return value(self->stats().overflowed); });
  registry.create_callback_gauge("mmf_telemetry_metric_series",
                                 "Series in all instruments of the registry.",
                                 [self] { return value(self->stats().series); });
}

void publish_tracer_metrics(MetricRegistry& registry, const Tracer& tracer) {
  const Tracer* t = &tracer;
  callback_total(registry, "mmf_telemetry_spans_started_total", "Recording spans started.",
                 [t] { return value(t->stats().spans_started); });
  callback_total(registry, "mmf_telemetry_spans_not_sampled_total",
                 "Spans the sampler did not record.",
                 [t] { return value(t->stats().spans_not_sampled); });
  callback_total(registry, "mmf_telemetry_spans_ended_total", "Recording spans ended.",
                 [t] { return value(t->stats().spans_ended); });
  callback_total(registry, "mmf_telemetry_spans_exported_total", "Spans the exporter accepted.",
                 [t] { return value(t->stats().spans_exported); });
  registry.create_callback_counter(
      "mmf_telemetry_spans_dropped_total", "Spans lost, by reason.", {"reason"},
      [t](CallbackObserver& observer) {
        const TracerStats s = t->stats();
        observer.observe(value(s.dropped_queue_full), {"queue_full"});
        observer.observe(value(s.dropped_memory), {"memory_budget"});
        observer.observe(value(s.dropped_export_failed), {"export_failed"});
        observer.observe(value(s.dropped_after_shutdown), {"after_shutdown"});
        observer.observe(value(s.dropped_retention_budget), {"retention_budget"});
      });
  registry.create_callback_counter(
      "mmf_telemetry_spans_retained_total",
      "Unsampled spans held by error/slow retention, by what became of them.", {"outcome"},
      [t](CallbackObserver& observer) {
        const TracerStats s = t->stats();
        observer.observe(value(s.retained_exported), {"exported"});
        observer.observe(value(s.retained_discarded), {"discarded"});
      });
  callback_total(registry, "mmf_telemetry_span_attributes_dropped_total",
                 "Span attributes dropped over the count limit.",
                 [t] { return value(t->stats().attributes_dropped); });
  callback_total(registry, "mmf_telemetry_span_export_batches_total",
                 "Batches of spans handed to the exporter.",
                 [t] { return value(t->stats().export_batches); });
  callback_total(registry, "mmf_telemetry_span_export_failures_total",
                 "Batches of spans the exporter failed to deliver.",
                 [t] { return value(t->stats().export_failures); });
  callback_total(
      registry, "mmf_telemetry_span_export_seconds_total", "Time spent exporting spans.",
      [t] { return static_cast<double>(t->stats().export_nanos_total) / 1e9; }, "seconds");
  registry.create_callback_gauge("mmf_telemetry_span_queue_depth", "Spans waiting to be exported.",
                                 [t] { return value(t->stats().queue_depth); });
}

void publish_logging_metrics(MetricRegistry& registry, const LoggingPipeline& logging) {
  const LoggingPipeline* l = &logging;
  callback_total(registry, "mmf_telemetry_logs_records_total",
                 "Log records made (at an enabled level).",
                 [l] { return value(l->stats().records); });
  callback_total(registry, "mmf_telemetry_logs_written_total", "Log records handed to the sinks.",
                 [l] { return value(l->stats().written); });
  registry.create_callback_counter(
      "mmf_telemetry_logs_dropped_total", "Log records lost, by reason.", {"reason"},
      [l](CallbackObserver& observer) {
        const LoggingStats s = l->stats();
        observer.observe(value(s.dropped_queue_full), {"queue_full"});
        observer.observe(value(s.dropped_priority_queue_full), {"priority_queue_full"});
        observer.observe(value(s.dropped_after_shutdown), {"after_shutdown"});
      });
  registry.create_callback_counter(
      "mmf_telemetry_logs_debug_total",
      "Debug records held by trace-aware debug logging, by what became of them.", {"outcome"},
      [l](CallbackObserver& observer) {
        const LoggingStats s = l->stats();
        observer.observe(value(s.debug_held), {"held"});
        observer.observe(value(s.debug_released), {"released"});
        observer.observe(value(s.debug_discarded), {"discarded"});
      });
}

}  // namespace mmf
