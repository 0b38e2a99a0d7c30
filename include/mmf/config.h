// ObservabilityConfig: every setting of the unified observability layer, from three sources.
//
//   // Typical: the environment (and the file MMF_CONFIG_FILE names), then code on top.
//   mmf::ObservabilityConfig config = mmf::ObservabilityConfig::from_env();
//   config.service_name = "payment-service";
//   config.environment = "production";  // trace_sample_rate 0.05 and JSON logs, unless set
//
//   // Or: code gives the defaults, and a file and the environment may override them.
//   mmf::ConfigErrors errors;
//   auto config = mmf::ObservabilityConfig::load({.service_name = "payments"},
//                                                mmf::process_environment(), "", errors);
//
// Sources, later ones win: the values in code (the `base` of load()), then a YAML file (an
// explicit path, the --config argument, else the MMF_CONFIG_FILE variable), then environment
// variables (the standard OTEL_* ones that apply, and MMF_* for the rest). docs/configuration.md
// lists every setting with its file key, variable and default.
//
// Presets: four settings take their default from the environment name when no source set them
// (they are std::optional, so "not set" stays visible until the configuration is used):
//   development  trace_sample_rate 1.0, log_level debug, log_format console, debug logging on
//   staging      0.3, info, json, off
//   production   0.05, info, json, off
//   anything else (the default is "", meaning not stated): 0.1, info, json, off
// The effective_*() functions resolve them; setting environment in code after from_env() still
// picks its preset.
//
// Errors: no reader throws on a bad value; each problem becomes one ConfigError naming the
// setting and where its value came from ("environment variable MMF_PROMETHEUS_PORT",
// "tracing.sample_rate in config file /etc/svc.yaml line 3",
// "ObservabilityConfig.prometheus_port"). from_env() throws ConfigurationError listing all of them;
// UnifiedObservability calls validate() and throws the same, so that a program never starts
// half-configured:
//
//   int main() try { ... } catch (const mmf::ConfigurationError& e) {
//     std::fprintf(stderr, "%s\n", e.what());
//     return 2;
//   }
//
// OTEL_SDK_DISABLED=true (sdk_disabled) turns all telemetry off and is the escape hatch: with it,
// no other setting is checked, so a service can always be started without telemetry.
//
// Untrusted input: the file is limited to kMaxConfigFileBytes, and error messages quote at most
// a short prefix of a bad value; describe() masks secrets.
//
// Thread-safety: a plain value. Loading reads the environment and the file from the calling
// thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/batch_options.h"
#include "mmf/environment.h"
#include "mmf/log_record.h"
#include "mmf/log_sinks.h"
#include "mmf/otlp_exporter.h"
#include "mmf/propagation.h"
#include "mmf/sampler.h"
#include "mmf/span_limits.h"
#include "mmf/tracer.h"

namespace mmf {

// The defaults an environment name stands for (see the top of this file).
struct EnvironmentPreset {
  double trace_sample_rate = 0.1;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kJson;
  bool debug_logging = false;
};
// "development", "staging", "production" (exactly, lower case) or any other name.
EnvironmentPreset environment_preset(std::string_view environment) noexcept;

// Where a setting that load() read came from, and its value (as describe() writes it) at that
// time: a value changed in code afterwards no longer matches, and is reported as set in code.
struct SettingOrigin {
  std::string source;  // e.g. "environment variable OTEL_TRACES_SAMPLER"
  std::string value;
  friend bool operator==(const SettingOrigin&, const SettingOrigin&) = default;
};

// A configuration file larger than this is refused (a configuration is a few KiB at most).
inline constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

struct ObservabilityConfig {
  // --- Service identity (resource attributes).
  std::string service_name{};     // "": OTEL_RESOURCE_ATTRIBUTES, else unknown_service:<exe>
  std::string service_version{};  // service.version when set
  std::string environment{};      // deployment.environment.name when set; picks the preset
  bool sdk_disabled = false;      // true: no telemetry at all, and nothing else is checked

  // --- OTLP export, shared by traces, metrics and logs.
  std::string otlp_endpoint = "http://localhost:4318";  // base URL; "/v1/<signal>" is appended
  // Full URLs for one signal each, used as they are; "" means otlp_endpoint + "/v1/<signal>".
  std::string otlp_traces_endpoint{};
  std::string otlp_metrics_endpoint{};
  std::string otlp_logs_endpoint{};
  OtlpProtocol otlp_protocol = OtlpProtocol::kHttpProtobuf;
  std::vector<std::pair<std::string, std::string>> otlp_headers{};  // values are secrets
  std::chrono::milliseconds otlp_timeout{10000};
  std::string otlp_compression = "none";       // "gzip" or "none"
  std::string otlp_certificate_file{};         // PEM CA bundle; "" = the system's
  std::string otlp_client_certificate_file{};  // for mutual TLS
  std::string otlp_client_key_file{};

  // --- Tracing.
  bool enable_tracing = true;
  std::vector<std::string> traces_exporter{"otlp"};  // otlp, console; none (or empty): none
  // An OTEL_TRACES_SAMPLER name (see mmf/sampler.h). The default follows the parent's decision
  // and samples new traces at trace_sample_rate.
  std::string sampler = "parentbased_traceidratio";
  std::optional<double> trace_sample_rate{};  // [0, 1], for the ratio samplers; unset: preset
  double traces_per_second = 100;             // for the rate-limiting samplers
  // Header formats, as OTEL_PROPAGATORS names them: tracecontext, baggage, b3 and b3multi (both
  // read B3 headers when no traceparent came), none.
  std::vector<std::string> propagators{"tracecontext", "baggage"};
  BatchOptions batch{};
  SpanLimits span_limits{};
  RetentionOptions retention{};  // error and slow-request retention of unsampled spans

  // --- Metrics.
  bool enable_metrics = true;
  std::vector<std::string> metrics_exporter{"prometheus"};  // prometheus, otlp (push); none
  int prometheus_port = 9464;                               // 0: any free port
  std::string metrics_bind_address = "0.0.0.0";             // an IPv4 or IPv6 literal
  std::string metrics_token{};  // a secret; when set, scrapes need "Bearer <token>"
  std::chrono::milliseconds metrics_export_interval{60000};  // OTLP push period
  std::chrono::milliseconds metrics_export_timeout{30000};
  std::size_t cardinality_limit = 2000;  // series per instrument

  // --- Logging.
  bool enable_logging = true;
  std::vector<std::string> logs_exporter{"console"};  // console (stdout), otlp; none
  std::optional<LogLevel> log_level{};  // unset: debug or info by enable_debug_logging, else preset
  std::optional<LogFormat> log_format{};  // unset: preset
  // Debug records are written: the short way of setting log_level to debug (true) or info
  // (false) when log_level itself is not set. Unset: preset (on in development only).
  std::optional<bool> enable_debug_logging{};
  // Debug and trace records of requests whose trace is not sampled are held per request (a
  // DebugLogScope, which the HTTP and gRPC integrations open) and written only when the
  // request fails; otherwise discarded. Takes effect with log_level debug or trace.
  bool trace_aware_debug = false;

  // --- Context.
  // Business fields that may leave the process in baggage (see PropagationOptions).
  std::vector<std::string> allowed_business_fields{};

  // --- Admin endpoint (on the metrics port): off unless a token is set. A secret.
  std::string admin_token{};

  // Filled by load(): where each setting read from a file or the environment came from, by
  // file key ("metrics.prometheus_port"). Leave it alone in code.
  std::map<std::string, SettingOrigin, std::less<>> origins{};

  // ObservabilityConfig{} with the file named by MMF_CONFIG_FILE and the environment applied.
  // Throws ConfigurationError listing every problem.
  static ObservabilityConfig from_env(const EnvLookup& env = process_environment());
  // The same, with the file named by a "--config PATH" or "--config=PATH" argument when there
  // is one (other arguments are ignored); else as from_env().
  static ObservabilityConfig from_args(int argc, const char* const* argv,
                                       const EnvLookup& env = process_environment());
  // The full load: base <- file (file_path, else MMF_CONFIG_FILE, else none) <- environment.
  // Appends to errors every problem found reading the sources and what validate() reports; a
  // setting whose value is bad keeps its earlier value. Never throws for bad input.
  static ObservabilityConfig load(ObservabilityConfig base, const EnvLookup& env,
                                  std::string_view file_path, ConfigErrors& errors);

  // One error per setting that cannot work (URLs, ranges, names, the batch sizes...), naming
  // the setting's source. Empty when sdk_disabled.
  ConfigErrors validate() const;
  // The effective configuration, one "key = value  (source)" line per setting, with presets
  // resolved. With mask_secrets, OTLP header values, the metrics and admin tokens and passwords in
  // URLs are written as "***".
  std::string describe(bool mask_secrets = true) const;

  // The preset-dependent settings, resolved: the value set, else the environment's preset.
  double effective_trace_sample_rate() const noexcept;
  LogLevel effective_log_level() const noexcept;
  LogFormat effective_log_format() const noexcept;
  bool effective_debug_logging() const noexcept;

  // What the pieces of the pipeline take, built from this configuration. Each assumes that
  // validate() found nothing wrong.
  // The sampler named by sampler, with effective_trace_sample_rate() or traces_per_second;
  // throws ConfigurationError for a sampler validate() would refuse.
  std::shared_ptr<Sampler> make_sampler() const;
  // For signal "traces", "metrics" or "logs".
  OtlpExporterOptions otlp_exporter_options(std::string_view signal) const;
  PropagationOptions propagation_options() const;
  ResourceOptions resource_options() const;
  // Whether list (traces_exporter, metrics_exporter, logs_exporter) names exporter; "none"
  // anywhere in it means no exporter at all, as OpenTelemetry says.
  static bool names_exporter(const std::vector<std::string>& list, std::string_view exporter);
};

// Thrown when a configuration cannot work. what() is a headline followed by one problem per
// line ("  environment variable MMF_PROMETHEUS_PORT: 70000 is outside [0, 65535]").
class ConfigurationError : public std::runtime_error {
 public:
  explicit ConfigurationError(ConfigErrors errors);
  const ConfigErrors& errors() const noexcept { return errors_; }

 private:
  ConfigErrors errors_;
};

}  // namespace mmf
