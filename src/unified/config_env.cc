// The environment source of ObservabilityConfig: every variable in the settings table, read with
// the OpenTelemetry rules of mmf/environment.h. The batch and span-limit variables go through
// their own readers (batch_options_from_env, span_limits_from_env), so that their rules stay in
// one place; OTEL_TRACES_SAMPLER_ARG means a ratio or a rate, depending on the sampler.
#include <string>
#include <utility>
#include <vector>

#include "unified/config_settings.h"

namespace mmf::detail {
namespace {

std::string variable(std::string_view name) { return "environment variable " + std::string(name); }

// The first of the setting's variables that is set (not empty), or "".
std::string_view set_variable(const Setting& setting, const EnvLookup& env) {
  for (std::string_view name : setting.variables) {
    if (!name.empty() && read_string(env, name)) return name;
  }
  return {};
}

// Parses the variable as the setting's kind; nullopt (after adding an error) when it is bad.
std::optional<SettingValue> read_value(const Setting& setting, const EnvLookup& env,
                                       std::string_view name, ConfigErrors& errors) {
  switch (setting.kind) {
    case SettingKind::kString:
      if (auto value = read_string(env, name)) return SettingValue(std::move(*value));
      break;
    case SettingKind::kBool:
      if (auto value = read_bool(env, name, errors)) return SettingValue(*value);
      break;
    case SettingKind::kInt:
      if (auto value = read_int(env, name, setting.min, setting.max, errors)) {
        return SettingValue(*value);
      }
      break;
    case SettingKind::kDouble:
      if (auto value = read_double(env, name, -1e300, 1e300, errors)) return SettingValue(*value);
      break;
    case SettingKind::kMillis:
      if (auto value = read_milliseconds(env, name, errors)) return SettingValue(*value);
      break;
    case SettingKind::kList:
      if (auto value = read_string(env, name)) return SettingValue(split_list(*value));
      break;
    case SettingKind::kKeyValues:
      if (auto value = read_key_value_list(env, name, errors)) {
        return SettingValue(std::move(*value));
      }
      break;
  }
  return std::nullopt;
}

// OTEL_TRACES_SAMPLER_ARG, for the sampler chosen by now (from any source): the ratio of the
// ratio samplers, the rate of the rate-limiting ones, ignored by the others (as OpenTelemetry
// says).
void apply_sampler_argument(ObservabilityConfig& config, const EnvLookup& env,
                            ConfigErrors& errors) {
  constexpr std::string_view kName = "OTEL_TRACES_SAMPLER_ARG";
  const bool ratio = is_ratio_sampler(config.sampler);
  if (!ratio && !is_rate_limiting_sampler(config.sampler)) return;
  const std::optional<double> value =
      ratio ? read_double(env, kName, 0.0, 1.0, errors) : read_double(env, kName, 0.0, 1e9, errors);
  if (!value) return;
  const Setting& setting =
      *find_setting(ratio ? "tracing.sample_rate" : "tracing.traces_per_second");
  if (ratio) {
    config.trace_sample_rate = *value;
  } else {
    config.traces_per_second = *value;
  }
  record_origin(config, setting, variable(kName));
}

}  // namespace

void apply_environment(ObservabilityConfig& config, const EnvLookup& env, ConfigErrors& errors) {
  for (const Setting& setting : settings()) {
    if (setting.env_read_elsewhere) continue;
    const std::string_view name = set_variable(setting, env);
    if (name.empty()) continue;
    std::optional<SettingValue> value = read_value(setting, env, name, errors);
    if (!value) continue;
    if (std::optional<std::string> problem = setting.assign(config, std::move(*value))) {
      errors.push_back({variable(name), std::move(*problem)});
      continue;
    }
    record_origin(config, setting, variable(name));
  }
  // The batch and span-limit readers: a setting whose value they changed came from the first
  // of its variables that is set.
  std::vector<std::pair<const Setting*, std::string>> before;
  for (const Setting& setting : settings()) {
    if (setting.key.starts_with("tracing.batch.") || setting.key.starts_with("tracing.span_")) {
      before.emplace_back(&setting, setting.text(config));
    }
  }
  config.batch = batch_options_from_env(env, errors, config.batch);
  config.span_limits = span_limits_from_env(env, errors, config.span_limits);
  for (const auto& [setting, old_text] : before) {
    if (setting->text(config) != old_text) {
      record_origin(config, *setting, variable(set_variable(*setting, env)));
    }
  }
  apply_sampler_argument(config, env, errors);
}

}  // namespace mmf::detail
