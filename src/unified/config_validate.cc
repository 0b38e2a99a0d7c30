// ObservabilityConfig::validate(): every setting that cannot work, each error naming the source
// of the setting's value. The checks that belong to a component (URLs and headers, batch sizes,
// sampler names) are the component's own validate functions; their errors are renamed to the
// configuration's settings.
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string>
#include <utility>

#include "unified/config_settings.h"

namespace mmf {
namespace {

class Validator {
 public:
  explicit Validator(const ObservabilityConfig& config) : config_(config) {}

  void report(std::string_view key, std::string message) {
    errors_.push_back({detail::source_of(config_, key), std::move(message)});
  }

  // Moves a component's errors in, renaming each source (the component's name for the field)
  // to the setting's source; renames maps the component's names to setting keys.
  void adopt(ConfigErrors found,
             std::initializer_list<std::pair<std::string_view, std::string_view>> renames) {
    for (ConfigError& error : found) {
      std::string_view key = "";
      for (const auto& rename : renames) {
        if (error.source == rename.first) key = rename.second;
      }
      if (key.empty()) {
        errors_.push_back(std::move(error));
      } else {
        report(key, std::move(error.message));
      }
    }
  }

  void printable(std::string_view key, const std::string& value) {
    const bool ok = std::all_of(value.begin(), value.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
    if (!ok) report(key, "holds a control character");
  }

  void names(std::string_view key, const std::vector<std::string>& list,
             std::initializer_list<std::string_view> known, std::string_view what) {
    for (const std::string& name : list) {
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      std::string expected;
      for (std::string_view item : known) {
        if (!expected.empty()) expected += ", ";
        expected += item;
      }
      report(key, "unknown " + std::string(what) + " " + detail::quoted(name) + " (expected " +
                      expected + ")");
    }
  }

  void positive(std::string_view key, std::chrono::milliseconds value) {
    if (value.count() <= 0) report(key, "must be positive");
  }

  void check_service() {
    printable("service.name", config_.service_name);
    printable("service.version", config_.service_version);
    printable("service.environment", config_.environment);
  }

  void check_otlp() {
    OtlpHttpOptions http = config_.otlp_exporter_options("").http;
    ConfigErrors found;
    validate(http, "otlp", found);
    adopt(std::move(found), {{"otlp.endpoint", "otlp.endpoint"},
                             {"otlp.headers", "otlp.headers"},
                             {"otlp.timeout", "otlp.timeout_ms"},
                             {"otlp.client_key_file", "otlp.client_key_file"}});
    const std::pair<std::string_view, const std::string*> signal_endpoints[] = {
        {"otlp.traces_endpoint", &config_.otlp_traces_endpoint},
        {"otlp.metrics_endpoint", &config_.otlp_metrics_endpoint},
        {"otlp.logs_endpoint", &config_.otlp_logs_endpoint}};
    for (const auto& signal_endpoint : signal_endpoints) {
      if (signal_endpoint.second->empty()) continue;
      OtlpHttpOptions options;
      options.endpoint = *signal_endpoint.second;
      ConfigErrors endpoint_errors;
      validate(options, "signal", endpoint_errors);
      std::erase_if(endpoint_errors,
                    [](const ConfigError& e) { return e.source != "signal.endpoint"; });
      adopt(std::move(endpoint_errors), {{"signal.endpoint", signal_endpoint.first}});
    }
    const bool otlp_used = ObservabilityConfig::names_exporter(config_.traces_exporter, "otlp") ||
                           ObservabilityConfig::names_exporter(config_.metrics_exporter, "otlp") ||
                           ObservabilityConfig::names_exporter(config_.logs_exporter, "otlp");
    if (otlp_used && config_.otlp_protocol == OtlpProtocol::kGrpc &&
        !otlp_grpc_transport_available()) {
      report("otlp.protocol", "'grpc' needs the OTLP/gRPC transport: link mmf::observability_grpc");
    }
    if (config_.otlp_compression != "gzip" && config_.otlp_compression != "none") {
      report("otlp.compression",
             detail::quoted(config_.otlp_compression) + " is not a compression (use gzip or none)");
    }
  }

  void check_tracing() {
    names("tracing.exporter", config_.traces_exporter, {"otlp", "console", "none"}, "exporter");
    ConfigErrors found;
    sampler_from_config(config_.sampler, std::nullopt,
                        detail::source_of(config_, "tracing.sampler"), found);
    adopt(std::move(found), {});
    if (config_.trace_sample_rate &&
        !(*config_.trace_sample_rate >= 0.0 && *config_.trace_sample_rate <= 1.0)) {
      report("tracing.sample_rate",
             detail::number_text(*config_.trace_sample_rate) + " is outside [0, 1]");
    }
    if (!(config_.traces_per_second >= 0.0 && std::isfinite(config_.traces_per_second))) {
      report("tracing.traces_per_second", "must be a number of traces per second, at least 0");
    }
    for (const std::string& name : config_.propagators) {
      if (name == "jaeger" || name == "xray" || name == "ottrace") {
        report("tracing.propagators",
               "propagator " + detail::quoted(name) +
                   " is not supported (use tracecontext, baggage, b3, b3multi or none)");
      } else if (name != "tracecontext" && name != "baggage" && name != "b3" && name != "b3multi" &&
                 name != "none") {
        report("tracing.propagators", "unknown propagator " + detail::quoted(name) +
                                          " (expected tracecontext, baggage, b3, b3multi or none)");
      }
    }
    found.clear();
    validate(config_.batch, "batch", found);
    adopt(std::move(found), {{"batch.max_queue_size", "tracing.batch.max_queue_size"},
                             {"batch.max_export_batch_size", "tracing.batch.max_export_batch_size"},
                             {"batch.schedule_delay", "tracing.batch.schedule_delay_ms"},
                             {"batch.export_timeout", "tracing.batch.export_timeout_ms"}});
    if (config_.retention.latency_threshold.count() < 0) {
      report("tracing.retention.latency_threshold_ms", "must not be negative");
    }
    if (config_.retention.enabled && config_.retention.memory_budget_bytes == 0) {
      report("tracing.retention.memory_budget_bytes", "must be positive when retention is on");
    }
  }

  void check_metrics() {
    names("metrics.exporter", config_.metrics_exporter, {"prometheus", "otlp", "none"}, "exporter");
    if (config_.prometheus_port < 0 || config_.prometheus_port > 65535) {
      report("metrics.prometheus_port",
             std::to_string(config_.prometheus_port) + " is outside [0, 65535]");
    }
    unsigned char address[16];
    const std::string& bind = config_.metrics_bind_address;
    if (inet_pton(AF_INET, bind.c_str(), address) != 1 &&
        inet_pton(AF_INET6, bind.c_str(), address) != 1) {
      report("metrics.bind_address",
             detail::quoted(bind) + " is not an IPv4 or IPv6 address (e.g. 0.0.0.0 or ::1)");
    }
    // The token is compared with an Authorization header: it cannot hold what a header value
    // cannot, nor spaces (which would end the bearer credential). The value is a secret: never
    // quoted.
    const auto token = [&](std::string_view key, const std::string& value) {
      const bool ok = std::all_of(value.begin(), value.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
      });
      if (!ok) report(key, "must not hold spaces or control characters");
    };
    token("metrics.token", config_.metrics_token);
    token("admin.token", config_.admin_token);
    positive("metrics.export_interval_ms", config_.metrics_export_interval);
    positive("metrics.export_timeout_ms", config_.metrics_export_timeout);
    if (config_.cardinality_limit == 0) report("metrics.cardinality_limit", "must be at least 1");
  }

  void check_logging_and_context() {
    names("logging.exporter", config_.logs_exporter, {"console", "otlp", "none"}, "exporter");
    for (const std::string& name : config_.allowed_business_fields) {
      if (!is_valid_business_key(name)) {
        report("context.allowed_business_fields",
               detail::quoted(name) +
                   " is not a business field name (a letter, then letters, digits, _ . -; at "
                   "most 64)");
      }
    }
  }

  ConfigErrors take() { return std::move(errors_); }

 private:
  const ObservabilityConfig& config_;
  ConfigErrors errors_;
};

}  // namespace

ConfigErrors ObservabilityConfig::validate() const {
  if (sdk_disabled) return {};
  Validator validator(*this);
  validator.check_service();
  validator.check_otlp();
  validator.check_tracing();
  validator.check_metrics();
  validator.check_logging_and_context();
  return validator.take();
}

}  // namespace mmf
