#include "unified/config_settings.h"

#include <array>
#include <charconv>
#include <string>

namespace mmf::detail {
namespace {

using Config = ObservabilityConfig;
using Problem = std::optional<std::string>;
using K = SettingKind;
using S = SecretKind;

// Storage bounds of the size settings: like the OTEL readers', far beyond any sane value.
constexpr std::int64_t kMaxSize = std::int64_t{1} << 40;
constexpr std::int64_t kMaxInt = 1 << 30;

std::string text(const std::string& value) { return value; }
std::string text(bool value) { return value ? "true" : "false"; }
std::string text(int value) { return std::to_string(value); }
std::string text(std::size_t value) {
  return value == SpanLimits::kUnlimited ? "unlimited" : std::to_string(value);
}
std::string text(double value) { return number_text(value); }
std::string text(std::chrono::milliseconds value) { return std::to_string(value.count()); }
std::string text(const std::vector<std::string>& value) { return join(value, ","); }
std::string text(const KeyValues& value) {
  std::string out;
  for (const auto& item : value) {
    if (!out.empty()) out += ',';
    out += item.first + '=' + item.second;
  }
  return out;
}
std::string text(const std::optional<double>& value) { return value ? text(*value) : ""; }
std::string text(const std::optional<bool>& value) { return value ? text(*value) : ""; }
std::string text(const std::optional<LogLevel>& value) {
  return value ? std::string(log_level_name(*value)) : "";
}
std::string text(const std::optional<LogFormat>& value) {
  return value ? std::string(log_format_name(*value)) : "";
}

// Stores a value whose kind the table guarantees (and whose bounds, for numbers).
Problem store(std::string& field, SettingValue&& value) {
  field = std::get<std::string>(std::move(value));
  return std::nullopt;
}
Problem store(bool& field, SettingValue&& value) {
  field = std::get<bool>(value);
  return std::nullopt;
}
Problem store(std::optional<bool>& field, SettingValue&& value) {
  field = std::get<bool>(value);
  return std::nullopt;
}
Problem store(int& field, SettingValue&& value) {
  field = static_cast<int>(std::get<std::int64_t>(value));
  return std::nullopt;
}
Problem store(std::size_t& field, SettingValue&& value) {
  field = static_cast<std::size_t>(std::get<std::int64_t>(value));
  return std::nullopt;
}
Problem store(double& field, SettingValue&& value) {
  field = std::get<double>(value);
  return std::nullopt;
}
Problem store(std::optional<double>& field, SettingValue&& value) {
  field = std::get<double>(value);
  return std::nullopt;
}
Problem store(std::chrono::milliseconds& field, SettingValue&& value) {
  field = std::get<std::chrono::milliseconds>(value);
  return std::nullopt;
}
Problem store(std::vector<std::string>& field, SettingValue&& value) {
  field = std::get<std::vector<std::string>>(std::move(value));
  return std::nullopt;
}
Problem store(KeyValues& field, SettingValue&& value) {
  field = std::get<KeyValues>(std::move(value));
  return std::nullopt;
}
Problem store(OtlpProtocol& field, SettingValue&& value) {
  const std::string& name = std::get<std::string>(value);
  const std::optional<OtlpProtocol> protocol = parse_otlp_protocol(name);
  if (!protocol) return quoted(name) + " is not an OTLP protocol (use http/protobuf, http/json or grpc)";
  field = *protocol;
  return std::nullopt;
}
Problem store(std::optional<LogLevel>& field, SettingValue&& value) {
  const std::string& name = std::get<std::string>(value);
  const std::optional<LogLevel> level = parse_log_level(name);
  if (!level) {
    return quoted(name) +
           " is not a log level (use trace, debug, info, warn, error, critical "
           "or off)";
  }
  field = *level;
  return std::nullopt;
}
Problem store(std::optional<LogFormat>& field, SettingValue&& value) {
  const std::string& name = std::get<std::string>(value);
  const std::optional<LogFormat> format = parse_log_format(name);
  if (!format) return quoted(name) + " is not a log format (use json or console)";
  field = *format;
  return std::nullopt;
}

// One table entry per member: its text and its assignment come from the same expression, so
// they cannot refer to different members.
#define MMF_SETTING_ACCESS(expr)                \
  [](const Config& c) { return text(c.expr); }, \
      [](Config& c, SettingValue&& value) -> Problem { return store(c.expr, std::move(value)); }

// clang-format off
const Setting kSettings[] = {
  {"sdk.disabled", "sdk_disabled", {"OTEL_SDK_DISABLED"}, K::kBool, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(sdk_disabled)},
  {"service.name", "service_name", {"OTEL_SERVICE_NAME"}, K::kString, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(service_name)},
  {"service.version", "service_version", {"MMF_SERVICE_VERSION"}, K::kString, S::kNone, false,
   0, 0, MMF_SETTING_ACCESS(service_version)},
  {"service.environment", "environment", {"MMF_ENVIRONMENT"}, K::kString, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(environment)},

  {"otlp.endpoint", "otlp_endpoint", {"OTEL_EXPORTER_OTLP_ENDPOINT"}, K::kString,
   S::kUrlPassword, false, 0, 0, MMF_SETTING_ACCESS(otlp_endpoint)},
  {"otlp.traces_endpoint", "otlp_traces_endpoint", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
   K::kString, S::kUrlPassword, false, 0, 0, MMF_SETTING_ACCESS(otlp_traces_endpoint)},
  {"otlp.metrics_endpoint", "otlp_metrics_endpoint", {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"},
   K::kString, S::kUrlPassword, false, 0, 0, MMF_SETTING_ACCESS(otlp_metrics_endpoint)},
  {"otlp.logs_endpoint", "otlp_logs_endpoint", {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"}, K::kString,
   S::kUrlPassword, false, 0, 0, MMF_SETTING_ACCESS(otlp_logs_endpoint)},
  {"otlp.protocol", "otlp_protocol", {"OTEL_EXPORTER_OTLP_PROTOCOL"}, K::kString, S::kNone, false,
   0, 0, [](const Config& c) { return std::string(otlp_protocol_name(c.otlp_protocol)); },
   [](Config& c, SettingValue&& value) { return store(c.otlp_protocol, std::move(value)); }},
  {"otlp.headers", "otlp_headers", {"OTEL_EXPORTER_OTLP_HEADERS"}, K::kKeyValues, S::kPairValues,
   false, 0, 0, MMF_SETTING_ACCESS(otlp_headers)},
  {"otlp.timeout_ms", "otlp_timeout", {"OTEL_EXPORTER_OTLP_TIMEOUT"}, K::kMillis, S::kNone, false,
   0, 0, MMF_SETTING_ACCESS(otlp_timeout)},
  {"otlp.compression", "otlp_compression", {"OTEL_EXPORTER_OTLP_COMPRESSION"}, K::kString,
   S::kNone, false, 0, 0, MMF_SETTING_ACCESS(otlp_compression)},
  {"otlp.certificate_file", "otlp_certificate_file", {"OTEL_EXPORTER_OTLP_CERTIFICATE"},
   K::kString, S::kNone, false, 0, 0, MMF_SETTING_ACCESS(otlp_certificate_file)},
  {"otlp.client_certificate_file", "otlp_client_certificate_file",
   {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"}, K::kString, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(otlp_client_certificate_file)},
  {"otlp.client_key_file", "otlp_client_key_file", {"OTEL_EXPORTER_OTLP_CLIENT_KEY"}, K::kString,
   S::kNone, false, 0, 0, MMF_SETTING_ACCESS(otlp_client_key_file)},

  {"tracing.enabled", "enable_tracing", {"MMF_TRACING_ENABLED"}, K::kBool, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(enable_tracing)},
  {"tracing.exporter", "traces_exporter", {"OTEL_TRACES_EXPORTER"}, K::kList, S::kNone, false, 0,
   0, MMF_SETTING_ACCESS(traces_exporter)},
  {"tracing.sampler", "sampler", {"OTEL_TRACES_SAMPLER"}, K::kString, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(sampler)},
  // OTEL_TRACES_SAMPLER_ARG is the ratio or the rate, depending on the sampler.
  {"tracing.sample_rate", "trace_sample_rate", {"OTEL_TRACES_SAMPLER_ARG"}, K::kDouble, S::kNone,
   true, 0, 0, MMF_SETTING_ACCESS(trace_sample_rate)},
  {"tracing.traces_per_second", "traces_per_second", {"OTEL_TRACES_SAMPLER_ARG"}, K::kDouble,
   S::kNone, true, 0, 0, MMF_SETTING_ACCESS(traces_per_second)},
  {"tracing.propagators", "propagators", {"OTEL_PROPAGATORS"}, K::kList, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(propagators)},
  {"tracing.batch.schedule_delay_ms", "batch.schedule_delay", {"OTEL_BSP_SCHEDULE_DELAY"},
   K::kMillis, S::kNone, true, 0, 0, MMF_SETTING_ACCESS(batch.schedule_delay)},
  {"tracing.batch.export_timeout_ms", "batch.export_timeout", {"OTEL_BSP_EXPORT_TIMEOUT"},
   K::kMillis, S::kNone, true, 0, 0, MMF_SETTING_ACCESS(batch.export_timeout)},
  {"tracing.batch.max_queue_size", "batch.max_queue_size", {"OTEL_BSP_MAX_QUEUE_SIZE"}, K::kInt,
   S::kNone, true, 0, kMaxSize, MMF_SETTING_ACCESS(batch.max_queue_size)},
  {"tracing.batch.max_export_batch_size", "batch.max_export_batch_size",
   {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE"}, K::kInt, S::kNone, true, 0, kMaxSize,
   MMF_SETTING_ACCESS(batch.max_export_batch_size)},
  {"tracing.span_limits.attribute_count", "span_limits.attribute_count",
   {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"}, K::kInt, S::kNone, true, 0,
   kMaxSize, MMF_SETTING_ACCESS(span_limits.attribute_count)},
  {"tracing.span_limits.attribute_value_length", "span_limits.attribute_value_length",
   {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"}, K::kInt,
   S::kNone, true, 0, kMaxSize, MMF_SETTING_ACCESS(span_limits.attribute_value_length)},
  {"tracing.span_limits.event_count", "span_limits.event_count", {"OTEL_SPAN_EVENT_COUNT_LIMIT"},
   K::kInt, S::kNone, true, 0, kMaxSize, MMF_SETTING_ACCESS(span_limits.event_count)},
  {"tracing.span_limits.link_count", "span_limits.link_count", {"OTEL_SPAN_LINK_COUNT_LIMIT"},
   K::kInt, S::kNone, true, 0, kMaxSize, MMF_SETTING_ACCESS(span_limits.link_count)},
  {"tracing.span_limits.event_attribute_count", "span_limits.event_attribute_count",
   {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"}, K::kInt, S::kNone, true, 0, kMaxSize,
   MMF_SETTING_ACCESS(span_limits.event_attribute_count)},
  {"tracing.span_limits.link_attribute_count", "span_limits.link_attribute_count",
   {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT"}, K::kInt, S::kNone, true, 0, kMaxSize,
   MMF_SETTING_ACCESS(span_limits.link_attribute_count)},
  {"tracing.retention.enabled", "retention.enabled", {"MMF_RETENTION_ENABLED"}, K::kBool,
   S::kNone, false, 0, 0, MMF_SETTING_ACCESS(retention.enabled)},
  {"tracing.retention.latency_threshold_ms", "retention.latency_threshold",
   {"MMF_RETENTION_LATENCY_THRESHOLD"}, K::kMillis, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(retention.latency_threshold)},
  {"tracing.retention.memory_budget_bytes", "retention.memory_budget_bytes",
   {"MMF_RETENTION_MEMORY_BUDGET_BYTES"}, K::kInt, S::kNone, false, 0, kMaxSize,
   MMF_SETTING_ACCESS(retention.memory_budget_bytes)},

  {"metrics.enabled", "enable_metrics", {"MMF_METRICS_ENABLED"}, K::kBool, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(enable_metrics)},
  {"metrics.exporter", "metrics_exporter", {"OTEL_METRICS_EXPORTER"}, K::kList, S::kNone, false,
   0, 0, MMF_SETTING_ACCESS(metrics_exporter)},
  {"metrics.prometheus_port", "prometheus_port", {"MMF_PROMETHEUS_PORT"}, K::kInt, S::kNone,
   false, -kMaxInt, kMaxInt, MMF_SETTING_ACCESS(prometheus_port)},
  {"metrics.bind_address", "metrics_bind_address", {"MMF_METRICS_BIND_ADDRESS"}, K::kString,
   S::kNone, false, 0, 0, MMF_SETTING_ACCESS(metrics_bind_address)},
  {"metrics.token", "metrics_token", {"MMF_METRICS_TOKEN"}, K::kString, S::kWhole, false, 0, 0,
   MMF_SETTING_ACCESS(metrics_token)},
  {"metrics.export_interval_ms", "metrics_export_interval", {"OTEL_METRIC_EXPORT_INTERVAL"},
   K::kMillis, S::kNone, false, 0, 0, MMF_SETTING_ACCESS(metrics_export_interval)},
  {"metrics.export_timeout_ms", "metrics_export_timeout", {"OTEL_METRIC_EXPORT_TIMEOUT"},
   K::kMillis, S::kNone, false, 0, 0, MMF_SETTING_ACCESS(metrics_export_timeout)},
  {"metrics.cardinality_limit", "cardinality_limit", {"MMF_CARDINALITY_LIMIT"}, K::kInt, S::kNone,
   false, 0, kMaxSize, MMF_SETTING_ACCESS(cardinality_limit)},

  {"logging.enabled", "enable_logging", {"MMF_LOGGING_ENABLED"}, K::kBool, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(enable_logging)},
  {"logging.exporter", "logs_exporter", {"OTEL_LOGS_EXPORTER"}, K::kList, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(logs_exporter)},
  {"logging.level", "log_level", {"MMF_LOG_LEVEL"}, K::kString, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(log_level)},
  {"logging.format", "log_format", {"MMF_LOG_FORMAT"}, K::kString, S::kNone, false, 0, 0,
   MMF_SETTING_ACCESS(log_format)},
  {"logging.debug_logging", "enable_debug_logging", {"MMF_DEBUG_LOGGING"}, K::kBool, S::kNone,
   false, 0, 0, MMF_SETTING_ACCESS(enable_debug_logging)},
  {"logging.trace_aware_debug", "trace_aware_debug", {"MMF_TRACE_AWARE_DEBUG"}, K::kBool,
   S::kNone, false, 0, 0, MMF_SETTING_ACCESS(trace_aware_debug)},

  {"context.allowed_business_fields", "allowed_business_fields", {"MMF_ALLOWED_BUSINESS_FIELDS"},
   K::kList, S::kNone, false, 0, 0, MMF_SETTING_ACCESS(allowed_business_fields)},

  {"admin.token", "admin_token", {"MMF_ADMIN_TOKEN"}, K::kString, S::kWhole, false, 0, 0,
   MMF_SETTING_ACCESS(admin_token)},
};
// clang-format on

#undef MMF_SETTING_ACCESS

}  // namespace

std::span<const Setting> settings() { return kSettings; }

const Setting* find_setting(std::string_view key) noexcept {
  for (const Setting& setting : kSettings) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

bool is_section(std::string_view section) noexcept {
  for (const Setting& setting : kSettings) {
    if (setting.key.size() > section.size() && setting.key.starts_with(section) &&
        setting.key[section.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string keys_in_section(std::string_view section) {
  std::vector<std::string> names;
  for (const Setting& setting : kSettings) {
    std::string_view rest = setting.key;
    if (!section.empty()) {
      if (!(rest.size() > section.size() && rest.starts_with(section) &&
            rest[section.size()] == '.')) {
        continue;
      }
      rest.remove_prefix(section.size() + 1);
    }
    std::string name(rest.substr(0, rest.find('.')));
    if (names.empty() || names.back() != name) names.push_back(std::move(name));
  }
  return join(names, ", ");
}

std::string source_of(const ObservabilityConfig& config, std::string_view key) {
  const Setting* setting = find_setting(key);
  if (setting == nullptr) return "ObservabilityConfig";  // not reached: keys come from the table
  const auto origin = config.origins.find(key);
  if (origin != config.origins.end() && origin->second.value == setting->text(config)) {
    return origin->second.source;
  }
  return "ObservabilityConfig." + std::string(setting->member);
}

void record_origin(ObservabilityConfig& config, const Setting& setting, std::string source) {
  config.origins[std::string(setting.key)] = {std::move(source), setting.text(config)};
}

std::string quoted(std::string_view value) {
  constexpr std::size_t kShown = 64;  // a pasted secret or a huge value is not echoed whole
  std::string out = "'";
  out.append(value.substr(0, kShown));
  if (value.size() > kShown) out.append("...");
  out.append("'");
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

std::optional<LogFormat> parse_log_format(std::string_view name) noexcept {
  if (name == "json") return LogFormat::kJson;
  if (name == "console") return LogFormat::kConsole;
  return std::nullopt;
}

std::string_view log_format_name(LogFormat format) noexcept {
  return format == LogFormat::kConsole ? "console" : "json";
}

bool is_ratio_sampler(std::string_view name) noexcept {
  return name == "traceidratio" || name == "parentbased_traceidratio";
}

bool is_rate_limiting_sampler(std::string_view name) noexcept {
  return name == "ratelimiting" || name == "parentbased_ratelimiting";
}

}  // namespace mmf::detail
