#include "mmf/config.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "unified/config_settings.h"

namespace mmf {
namespace {

bool mentions_sdk_disabled(const ConfigError& error) {
  return error.source.find("OTEL_SDK_DISABLED") != std::string::npos ||
         error.source.find("sdk.disabled") != std::string::npos;
}

// "http://user:secret@host" -> "http://***@host": the user and password are credentials.
std::string mask_url_password(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t start = scheme_end + 3;
  const std::size_t authority_end = url.find_first_of("/?#", start);
  const std::size_t at =
      url.rfind('@', authority_end == std::string::npos ? url.size() - 1 : authority_end);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

std::string masked(const detail::Setting& setting, const ObservabilityConfig& config) {
  switch (setting.secret) {
    case detail::SecretKind::kNone:
      break;
    case detail::SecretKind::kWhole:
      return setting.text(config).empty() ? "" : "***";
    case detail::SecretKind::kPairValues: {
      std::string out;
      for (const auto& item : config.otlp_headers) {
        if (!out.empty()) out += ',';
        out += item.first + "=***";
      }
      return out;
    }
    case detail::SecretKind::kUrlPassword:
      return mask_url_password(setting.text(config));
  }
  return setting.text(config);
}

std::string headline(std::size_t count) {
  return "invalid observability configuration (" + std::to_string(count) +
         (count == 1 ? " problem):" : " problems):");
}

std::string error_text(const ConfigErrors& errors) {
  std::string text = headline(errors.size());
  for (const ConfigError& error : errors) text += "\n  " + error.to_string();
  return text;
}

}  // namespace

EnvironmentPreset environment_preset(std::string_view environment) noexcept {
  if (environment == "development") {
    return {.trace_sample_rate = 1.0,
            .log_level = LogLevel::kDebug,
            .log_format = LogFormat::kConsole,
            .debug_logging = true};
  }
  if (environment == "staging") return {.trace_sample_rate = 0.3};
  if (environment == "production") return {.trace_sample_rate = 0.05};
  return {};
}

ObservabilityConfig ObservabilityConfig::load(ObservabilityConfig base, const EnvLookup& env,
                                              std::string_view file_path, ConfigErrors& errors) {
  ObservabilityConfig config = std::move(base);
  ConfigErrors found;
  std::string path(file_path);
  if (path.empty()) path = read_string(env, "MMF_CONFIG_FILE").value_or("");
  if (!path.empty()) detail::apply_file(config, path, found);
  detail::apply_environment(config, env, found);
  ConfigErrors invalid = config.validate();
  found.insert(found.end(), invalid.begin(), invalid.end());
  // A disabled SDK is the escape hatch: whatever else is wrong must not keep the service down.
  if (config.sdk_disabled)
    std::erase_if(found, [](const auto& e) { return !mentions_sdk_disabled(e); });
  errors.insert(errors.end(), found.begin(), found.end());
  return config;
}

ObservabilityConfig ObservabilityConfig::from_env(const EnvLookup& env) {
  return from_args(0, nullptr, env);
}

ObservabilityConfig ObservabilityConfig::from_args(int argc, const char* const* argv,
                                                   const EnvLookup& env) {
  ConfigErrors errors;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    std::optional<std::string_view> value;
    if (argument == "--config") {
      value = i + 1 < argc ? std::string_view(argv[++i]) : std::string_view();
    } else if (argument.starts_with("--config=")) {
      value = argument.substr(9);
    }
    if (value && value->empty()) {
      errors.push_back({"command-line argument --config", "has no file name"});
    } else if (value) {
      path = *value;
    }
  }
  ObservabilityConfig config = load({}, env, path, errors);
  if (!errors.empty()) throw ConfigurationError(std::move(errors));
  return config;
}

double ObservabilityConfig::effective_trace_sample_rate() const noexcept {
  return trace_sample_rate.value_or(environment_preset(environment).trace_sample_rate);
}
LogLevel ObservabilityConfig::effective_log_level() const noexcept {
  if (log_level) return *log_level;
  // Turning debug logging on or off is the short way of choosing the level.
  if (enable_debug_logging) return *enable_debug_logging ? LogLevel::kDebug : LogLevel::kInfo;
  return environment_preset(environment).log_level;
}
LogFormat ObservabilityConfig::effective_log_format() const noexcept {
  return log_format.value_or(environment_preset(environment).log_format);
}
bool ObservabilityConfig::effective_debug_logging() const noexcept {
  return enable_debug_logging.value_or(environment_preset(environment).debug_logging);
}

std::string ObservabilityConfig::describe(bool mask_secrets) const {
  const ObservabilityConfig defaults;
  // The preset-dependent settings are described resolved, as they will be used.
  ObservabilityConfig resolved = *this;
  resolved.trace_sample_rate = effective_trace_sample_rate();
  resolved.log_level = effective_log_level();
  resolved.log_format = effective_log_format();
  resolved.enable_debug_logging = effective_debug_logging();
  std::string out;
  for (const detail::Setting& setting : detail::settings()) {
    const std::string value = setting.text(*this);
    std::string source;
    const auto origin = origins.find(setting.key);
    if (origin != origins.end() && origin->second.value == value) {
      source = origin->second.source;
    } else if (setting.key == "logging.level" && !log_level && enable_debug_logging) {
      source = "follows logging.debug_logging";
    } else if (value.empty() && setting.text(resolved) != value) {
      source = environment.empty() ? std::string("preset for an unnamed environment")
                                   : "preset for environment '" + environment + "'";
    } else {
      source = value == setting.text(defaults) ? "default" : "code";
    }
    out.append(setting.key);
    out.append(" = ");
    out.append(mask_secrets ? masked(setting, resolved) : setting.text(resolved));
    out.append("  (" + source + ")\n");
  }
  return out;
}

std::shared_ptr<Sampler> ObservabilityConfig::make_sampler() const {
  const bool rate_limiting = detail::is_rate_limiting_sampler(sampler);
  // The argument goes through the sampler's own parser, written exactly (shortest round trip).
  const std::string argument =
      detail::number_text(rate_limiting ? traces_per_second : effective_trace_sample_rate());
  ConfigErrors errors;
  std::shared_ptr<Sampler> made =
      sampler_from_config(sampler, argument, detail::source_of(*this, "tracing.sampler"), errors,
                          detail::source_of(*this, rate_limiting ? "tracing.traces_per_second"
                                                                 : "tracing.sample_rate"));
  if (made == nullptr) throw ConfigurationError(std::move(errors));
  return made;
}

OtlpExporterOptions ObservabilityConfig::otlp_exporter_options(std::string_view signal) const {
  std::string name(signal);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string* specific = name == "traces"    ? &otlp_traces_endpoint
                                : name == "metrics" ? &otlp_metrics_endpoint
                                : name == "logs"    ? &otlp_logs_endpoint
                                                    : nullptr;
  const bool full_url = specific != nullptr && !specific->empty();
  OtlpExporterOptions options;
  options.protocol = otlp_protocol;
  OtlpHttpOptions& http = options.http;
  http.endpoint = full_url ? *specific : otlp_endpoint;
  http.endpoint_is_full_url = full_url;
  // OTLP/gRPC's default port is 4317: the default endpoint follows the protocol unless a source
  // set the endpoint.
  if (!full_url && otlp_protocol == OtlpProtocol::kGrpc &&
      otlp_endpoint == kDefaultOtlpHttpEndpoint &&
      detail::source_of(*this, "otlp.endpoint").starts_with("ObservabilityConfig.")) {
    http.endpoint = std::string(kDefaultOtlpGrpcEndpoint);
  }
  http.headers = otlp_headers;
  http.timeout = otlp_timeout;
  http.gzip = otlp_compression == "gzip";
  http.certificate_file = otlp_certificate_file;
  http.client_certificate_file = otlp_client_certificate_file;
  http.client_key_file = otlp_client_key_file;
  return options;
}

PropagationOptions ObservabilityConfig::propagation_options() const {
  const auto has = [this](std::string_view name) {
    return std::find(propagators.begin(), propagators.end(), "none") == propagators.end() &&
           std::find(propagators.begin(), propagators.end(), name) != propagators.end();
  };
  PropagationOptions options;
  options.trace_context = has("tracecontext");
  options.baggage = has("baggage");
  options.b3 = has("b3") || has("b3multi");
  options.allowed_business_fields = allowed_business_fields;
  return options;
}

ResourceOptions ObservabilityConfig::resource_options() const {
  return {
      .service_name = service_name, .service_version = service_version, .environment = environment};
}

bool ObservabilityConfig::names_exporter(const std::vector<std::string>& list,
                                         std::string_view exporter) {
  return std::find(list.begin(), list.end(), "none") == list.end() &&
         std::find(list.begin(), list.end(), exporter) != list.end();
}

ConfigurationError::ConfigurationError(ConfigErrors errors)
    : std::runtime_error(error_text(errors)), errors_(std::move(errors)) {}

}  // namespace mmf
