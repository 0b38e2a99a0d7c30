// The span exporters besides OTLP, and the choice among them by OTEL_TRACES_EXPORTER.
//
//   ConsoleSpanExporter   one JSON object per finished span and line, for development and for
//                         containers whose log pipeline collects stdout
//   InMemorySpanExporter  keeps the spans, for tests (mmf/span_exporter.h)
//   OtlpSpanExporter      to a collector (mmf/otlp_exporter.h)
//
// A console line:
//   {"name":"GET /users/{id}","kind":"server","trace_id":"4bf9...","span_id":"00f0...",
//    "parent_span_id":"b7ad...","start_time":"2026-11-30T19:40:00.123456Z","duration_ms":1.25,
//    "status":"error","status_message":"timeout","service":"payments",
//    "attributes":{"http.route":"/users/{id}","correlation_id":"req_1"},
//    "events":[{"name":"exception","time":"...","attributes":{...}}],
//    "links":[{"trace_id":"...","span_id":"..."}]}
// Text is escaped (a value from a request cannot break the line or forge a field) and made
// well-formed UTF-8. parent_span_id, status_message, events and links appear when present.
//
// Thread-safety: the pipeline calls export_spans() from one thread; each batch is written with
// one fwrite, so lines from concurrent writers to the same FILE do not interleave mid-line.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "mmf/environment.h"
#include "mmf/otlp_exporter.h"
#include "mmf/span_exporter.h"

namespace mmf {

class ConsoleSpanExporter final : public SpanExporter {
 public:
  // Writes to out (default stdout), which must stay open while the exporter is used.
  explicit ConsoleSpanExporter(std::FILE* out = stdout) noexcept : out_(out) {}

  ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                            const InstrumentationScope& scope,
                            std::chrono::steady_clock::time_point deadline) noexcept override;

  // The line for one span, without the newline (also what export_spans() writes).
  static std::string format(const SpanView& span, const Resource& resource);

 private:
  std::FILE* out_;
  std::string buffer_;
};

// The exporter OTEL_TRACES_EXPORTER names: "otlp" (the default when unset: an OtlpSpanExporter
// configured by otlp_exporter_options_from_env), "console", or "none" (returns nullptr: spans
// are still recorded and counted, but go nowhere). A comma-separated list sends every batch to
// each exporter named. An unknown name is an error naming the variable, and is skipped.
std::shared_ptr<SpanExporter> span_exporter_from_env(const EnvLookup& env, ConfigErrors& errors);

// One exporter that sends every batch to each of exporters (null ones are left out): nullptr
// when none is left, the exporter itself when one is.
std::shared_ptr<SpanExporter> fan_out(std::vector<std::shared_ptr<SpanExporter>> exporters);

}  // namespace mmf
