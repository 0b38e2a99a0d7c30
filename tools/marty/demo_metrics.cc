#include "demo_metrics.h"

#include <sstream>
#include <string>

#include "mmf/metrics_scrape.h"
#include "mmf/version.h"

namespace marty {

DemoMetrics::DemoMetrics(mmf::UnifiedObservability& observability)
    : registry_(observability.metrics()),
      request_duration_(observability.create_histogram(
          "http_server_request_duration_seconds", "Duration of HTTP server requests.",
          {"http_request_method", "http_route", "http_response_status_code"},
          mmf::default_seconds_buckets(), "seconds")),
      payments_(observability.create_counter("payments_processed_total", "Payments processed.",
                                             {"status", "method"})) {
  // mmf::PluginScope("fraud-plugin") records into observability.plugins(), the global ones.
  observability.plugins().set_status("fraud-plugin", mmf::kVersion, mmf::PluginStatus::kActive);
  observability.plugins().register_dependency_check("fraud-plugin", "risk-model",
                                                    [] { return true; });
}

void DemoMetrics::record_request(std::string_view method, std::string_view route, int status,
                                 double seconds) {
  const std::string code = std::to_string(status);
  request_duration_.observe(seconds, {{"http_request_method", method},
                                      {"http_route", route},
                                      {"http_response_status_code", code}});
}

void DemoMetrics::record_payment(std::string_view status, std::string_view method) {
  payments_.inc({{"status", status}, {"method", method}});
}

std::string DemoMetrics::excerpt() const {
  const mmf::MetricsScrape scrape = mmf::scrape_metrics(
      registry_, "application/openmetrics-text; version=1.0.0", {}, {.process_metrics = false});
  std::istringstream lines(scrape.body);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    // The demo's families and one self-metric; of the histogram's buckets only the one with
    // the exemplar and +Inf, to keep the narration short.
    const bool ours = line.find("payments_processed") != std::string::npos ||
                      line.find("http_server_request_duration_seconds") != std::string::npos ||
                      line.find("mmf_telemetry_spans_exported_total") != std::string::npos ||
                      line.find("mmf_plugin_operations_total{") != std::string::npos;
    const bool bucket = line.find("_bucket{") != std::string::npos;
    const bool wanted = ours && line.find("_created") == std::string::npos &&
                        (!bucket || line.find(" # ") != std::string::npos ||
                         line.find("le=\"+Inf\"") != std::string::npos);
    if (wanted && !line.starts_with("# HELP")) out += line + "\n";
  }
  return out;
}

}  // namespace marty
