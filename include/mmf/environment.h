// Reading settings from environment variables, the OpenTelemetry way, with a seam for tests.
//
// The OpenTelemetry rules (and so this library's, for OTEL_* and MMF_* alike): an empty value
// means unset; a boolean is true only for "true" in any case and false for "false", anything
// else is an error; durations are whole milliseconds; numbers are decimal.
//
// Readers never throw. A bad value is reported as a ConfigError that names the variable, and
// the setting keeps its default; the caller decides whether to refuse to start (the unified
// configuration does).
//
// Thread-safety: EnvLookup objects are called from the configuring thread only;
// process_environment() reads the process environment with getenv(3), which is safe as long as
// nothing modifies the environment at the same time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mmf {

// Returns a variable's value, or nullopt when it is not set at all.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment.
EnvLookup process_environment();
// A fixed set of variables, for tests: {{"OTEL_SERVICE_NAME", "payments"}}.
EnvLookup environment_from(std::map<std::string, std::string, std::less<>> variables);

// One problem with one setting, e.g. {"environment variable OTEL_BSP_MAX_QUEUE_SIZE",
// "'abc' is not a whole number"}.
struct ConfigError {
  std::string source;   // where the bad value came from, naming the setting
  std::string message;  // what is wrong with it

  std::string to_string() const { return source + ": " + message; }
  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};
using ConfigErrors = std::vector<ConfigError>;

// Typed readers. Each returns nullopt when the variable is unset or empty, and also when its
// value is bad, after appending a ConfigError to errors.
std::optional<std::string> read_string(const EnvLookup& env, std::string_view name);
std::optional<bool> read_bool(const EnvLookup& env, std::string_view name, ConfigErrors& errors);
// A whole number in [min, max].
std::optional<std::int64_t> read_int(const EnvLookup& env, std::string_view name, std::int64_t min,
                                     std::int64_t max, ConfigErrors& errors);
// A number in [min, max] (e.g. a sampling ratio in [0, 1]).
std::optional<double> read_double(const EnvLookup& env, std::string_view name, double min,
                                  double max, ConfigErrors& errors);
// Whole milliseconds, at least 0.
std::optional<std::chrono::milliseconds> read_milliseconds(const EnvLookup& env,
                                                           std::string_view name,
                                                           ConfigErrors& errors);
// A comma-separated list of key=value pairs with percent-encoded values, as
// OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS use. Whitespace around keys and values
// is trimmed; an item without '=' or with an empty key is an error and is skipped.
std::optional<std::vector<std::pair<std::string, std::string>>> read_key_value_list(
    const EnvLookup& env, std::string_view name, ConfigErrors& errors);

}  // namespace mmf
