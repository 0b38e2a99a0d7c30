// A service that links mmf-observability, as a user would: proves that the installed package (or
// the source tree, through add_subdirectory) gives a working mmf::observability. Exits non-zero
// when something is off.
#include <mmf/exporters.h>
#include <mmf/observability.h>

#include <cstdio>
#include <map>
#include <string>

int main() {
  mmf::CorrelationScope scope({.operation_name = "consumer_check", .correlation_id = "req_12345"});
  if (mmf::get_correlation_id() != "req_12345") return 1;

  std::map<std::string, std::string> headers;
  mmf::Propagator().inject(headers);
  for (const auto& [name, value] : headers) {
    if (name != "traceparent") std::printf("%s: %s\n", name.c_str(), value.c_str());
  }
  if (headers["X-Correlation-ID"] != "req_12345") return 2;

  // Tracing and the exporters, so that the link proves the library's own dependencies (libcurl,
  // zlib) come with it: a span exported to a console exporter writing to stdout.
  mmf::ConfigErrors errors;
  auto exporter = mmf::span_exporter_from_env(
      mmf::environment_from({{"OTEL_TRACES_EXPORTER", "console"}}), errors);
  mmf::Tracer tracer({.exporter = exporter});
  { mmf::Span span = tracer.start_span("consumer_span"); }
  if (!tracer.force_flush(std::chrono::seconds(10)) || tracer.stats().spans_exported != 1) return 3;
  // An OTLP exporter is made (and so linked), not used.
  mmf::OtlpSpanExporter otlp(mmf::OtlpExporterOptions{});
  // Metrics: a registry with the library's own series, served on a free loopback port.
  mmf::MetricRegistry registry;
  registry.create_counter("consumer_checks_total", "Checks.").inc();
  mmf::publish_tracer_metrics(registry, tracer);
  mmf::MetricsServer server(registry, {.bind_address = "127.0.0.1", .port = 0});
  if (server.port() <= 0) return 5;
  const std::string scrape = mmf::scrape_metrics(registry, "", "").body;
  if (scrape.find("consumer_checks_total 1") == std::string::npos ||
      scrape.find("mmf_telemetry_spans_exported_total 1") == std::string::npos) {
    return 6;
  }
  std::printf("mmf-observability %s: ok\n", mmf::kVersion);
  return errors.empty() ? 0 : 4;
}
