#include "demo_setup.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "mmf/http_client.h"
#include "mmf/version.h"

namespace marty {
namespace {

mmf::ObservabilityConfig demo_defaults(const DemoProcess& process) {
  mmf::ObservabilityConfig base{
      .service_name = process.service_name,
      .service_version = std::string(mmf::kVersion),
      .traces_exporter = {"console"},
      .batch = {.schedule_delay = std::chrono::milliseconds(200)},
      .metrics_exporter = {process.serves_metrics ? "prometheus" : "none"},
      .metrics_bind_address = "127.0.0.1",
      .allowed_business_fields = {"cart_id"}};
  if (process.serves_traffic) {
    // Trace-aware debug logs: each request's debug lines are held and written only when the
    // request fails (1 in 5,000 does) or its trace is sampled, so that a busy service keeps
    // them without the flood.
    base.log_level = mmf::LogLevel::kDebug;
    base.trace_aware_debug = true;
  }
  return base;
}

// The URL host for a bind address: loopback for the wildcard ones, brackets for IPv6.
std::string url_host(const std::string& address) {
  if (address == "0.0.0.0" || address == "::") return "127.0.0.1";
  if (address.find(':') != std::string::npos) return "[" + address + "]";
  return address;
}

// Where a signal goes over OTLP: the URL, without user:password@ (or secret query values).
std::string otlp_url(const mmf::ObservabilityConfig& config, const char* signal) {
  const mmf::OtlpHttpOptions http = config.otlp_exporter_options(signal).http;
  std::string url = http.endpoint;
  if (!http.endpoint_is_full_url) {
    url += std::string(url.ends_with('/') ? "" : "/") + "v1/" + signal;
  }
  return mmf::sanitized_url(url, mmf::HttpClientOptions{}.redacted_query_parameters);
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

std::unique_ptr<mmf::UnifiedObservability> try_start(const mmf::ObservabilityConfig& config,
                                                     bool port_may_fall_back) {
  try {
    auto observability = std::make_unique<mmf::UnifiedObservability>(config);
    observability->initialize();
    return observability;
  } catch (const std::system_error& error) {
    if (!port_may_fall_back || error.code() != std::errc::address_in_use) {
      std::fprintf(stderr, "marty demo: %s\n", error.what());
      return nullptr;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "marty demo: %s\n", error.what());
    return nullptr;
  }
  mmf::ObservabilityConfig any_port = config;
  any_port.prometheus_port = 0;
  std::fprintf(stderr, "marty demo: port %d is taken; serving the metrics on a free port\n",
               config.prometheus_port);
  return try_start(any_port, false);
}

}  // namespace

std::unique_ptr<mmf::UnifiedObservability> start_observability(const DemoOptions& options,
                                                               const DemoProcess& process) {
  mmf::ConfigErrors errors;
  mmf::ObservabilityConfig config = mmf::ObservabilityConfig::load(
      demo_defaults(process), mmf::process_environment(), options.config_file, errors);
  for (const mmf::ConfigError& error : errors) {
    std::fprintf(stderr, "marty demo: %s\n", error.to_string().c_str());
  }
  if (!errors.empty()) return nullptr;

  const auto stated = [&](const char* key) { return config.origins.contains(key); };
  // A collector named anywhere gets the spans, unless the exporters were chosen explicitly.
  if (!stated("tracing.exporter") && (stated("otlp.endpoint") || stated("otlp.traces_endpoint"))) {
    config.traces_exporter = {"otlp"};
  }
  // Services are sampled like production ones (so that the console is not flooded), unless a
  // rate or an environment preset says otherwise. The demo's first request arrives sampled,
  // and the parent-based sampler keeps it whatever the rate.
  if (process.serves_traffic && !config.trace_sample_rate && config.environment.empty()) {
    config.trace_sample_rate = 0.001;
  }
  bool port_may_fall_back = false;
  if (!process.honours_port) {
    config.prometheus_port = 0;
  } else if (options.metrics_port) {
    config.prometheus_port = *options.metrics_port;
  } else {
    port_may_fall_back = !stated("metrics.prometheus_port");
  }
  return try_start(config, port_may_fall_back);
}

std::string metrics_url(const mmf::UnifiedObservability& observability) {
  if (observability.metrics_port() <= 0) return {};
  return "http://" + url_host(observability.config().metrics_bind_address) + ":" +
         std::to_string(observability.metrics_port()) + "/metrics";
}

void report_destinations(const mmf::UnifiedObservability& observability) {
  const mmf::ObservabilityConfig& config = observability.config();
  using Config = mmf::ObservabilityConfig;
  if (config.sdk_disabled) {
    std::fprintf(stderr, "marty demo: OTEL_SDK_DISABLED: no spans, metrics or logs leave\n");
    return;
  }
  if (config.enable_metrics && Config::names_exporter(config.metrics_exporter, "otlp")) {
    std::fprintf(stderr, "marty demo: metrics pushed over OTLP to %s every %lld ms\n",
                 otlp_url(config, "metrics").c_str(),
                 static_cast<long long>(config.metrics_export_interval.count()));
  }
  std::string spans;
  if (config.enable_tracing && Config::names_exporter(config.traces_exporter, "otlp")) {
    spans = "OTLP to " + otlp_url(config, "traces");
  }
  if (config.enable_tracing && Config::names_exporter(config.traces_exporter, "console")) {
    spans += std::string(spans.empty() ? "" : " and ") + "stdout (one JSON line each)";
  }
  std::string sampler = config.sampler;
  if (sampler.ends_with("traceidratio")) {
    sampler += " " + number(config.effective_trace_sample_rate());
  } else if (sampler.ends_with("ratelimiting")) {
    sampler += " " + number(config.traces_per_second) + "/s";
  }
  std::fprintf(stderr, "marty demo: spans (sampler %s) go to %s\n", sampler.c_str(),
               spans.empty() ? ("nowhere (exporter " + join(config.traces_exporter) + ")").c_str()
                             : spans.c_str());
  std::string logs;
  if (config.enable_logging && Config::names_exporter(config.logs_exporter, "console")) {
    logs = config.effective_log_format() == mmf::LogFormat::kJson ? "stdout as JSON lines"
                                                                  : "stdout as console text";
  }
  if (config.enable_logging && Config::names_exporter(config.logs_exporter, "otlp")) {
    logs += std::string(logs.empty() ? "" : " and ") + "OTLP to " + otlp_url(config, "logs");
  }
  std::fprintf(stderr, "marty demo: logs (level %s) go to %s\n",
               std::string(mmf::log_level_name(config.effective_log_level())).c_str(),
               logs.empty() ? "nowhere" : logs.c_str());
}

}  // namespace marty
