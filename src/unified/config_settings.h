// The table of ObservabilityConfig's settings: one entry per setting, with its file key, its
// member, its environment variables, how to parse a value and how to write it. The environment
// reader, the file reader, validate() and describe() all work from this one table, so that a
// setting's names cannot differ between them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mmf/config.h"
#include "propagation/text.h"

namespace mmf::detail {

enum class SettingKind : std::uint8_t {
  kString,     // any text
  kBool,       // true or false (OpenTelemetry rules)
  kInt,        // a whole number
  kDouble,     // a finite number
  kMillis,     // whole milliseconds, at least 0
  kList,       // names: comma-separated in a variable, a sequence (or that text) in a file
  kKeyValues,  // pairs: key=value,... in a variable, a mapping in a file
};

// How describe() hides a setting's value.
enum class SecretKind : std::uint8_t { kNone, kWhole, kPairValues, kUrlPassword };

using KeyValues = std::vector<std::pair<std::string, std::string>>;
using SettingValue = std::variant<std::string, bool, std::int64_t, double,
                                  std::chrono::milliseconds, std::vector<std::string>, KeyValues>;

struct Setting {
  std::string_view key;     // the file key, e.g. "metrics.prometheus_port"
  std::string_view member;  // the ObservabilityConfig member, e.g. "prometheus_port"
  // Environment variables, the first one set wins; empty entries are unused.
  std::string_view variables[2];
  SettingKind kind;
  SecretKind secret;
  // Read by a reader of its own (batch_options_from_env, span_limits_from_env, or the sampler
  // argument), not by the generic environment reader: the table then only records the origin.
  bool env_read_elsewhere;
  // Storage bounds for kInt; the setting's meaningful range is validate()'s business.
  std::int64_t min;
  std::int64_t max;
  // The value as describe() writes it, unmasked.
  std::string (*text)(const ObservabilityConfig&);
  // Stores a parsed value of this kind; returns what is wrong with it, if anything.
  std::optional<std::string> (*assign)(ObservabilityConfig&, SettingValue&&);
};

std::span<const Setting> settings();
const Setting* find_setting(std::string_view key) noexcept;
// Whether some setting's key starts with section + "." (e.g. "tracing", "tracing.batch").
bool is_section(std::string_view section) noexcept;
// The keys directly under section, comma-separated, for an "unknown key" message.
std::string keys_in_section(std::string_view section);

// Where the current value of a setting came from: its recorded origin while the value is
// unchanged, else "ObservabilityConfig.<member>".
std::string source_of(const ObservabilityConfig& config, std::string_view key);
// Records that source set the setting, with its value now.
void record_origin(ObservabilityConfig& config, const Setting& setting, std::string source);

// The text of a value for messages: quoted, at most 64 characters of it.
std::string quoted(std::string_view value);
// Splits a comma-separated list, trimming spaces; empty items are dropped.
std::vector<std::string> split_list(std::string_view text);
std::string join(const std::vector<std::string>& items, std::string_view separator);
// "json" or "console"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name) noexcept;
std::string_view log_format_name(LogFormat format) noexcept;
// The samplers whose argument is a ratio in [0, 1], and those whose argument is traces per
// second (mmf/sampler.h).
bool is_ratio_sampler(std::string_view name) noexcept;
bool is_rate_limiting_sampler(std::string_view name) noexcept;

// The readers of the two outer sources (config_env.cc, config_file.cc).
void apply_environment(ObservabilityConfig& config, const EnvLookup& env, ConfigErrors& errors);
void apply_file(ObservabilityConfig& config, const std::string& path, ConfigErrors& errors);

}  // namespace mmf::detail
