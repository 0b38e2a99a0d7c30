#include "mmf/environment.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "mmf/carrier.h"
#include "propagation/text.h"

namespace mmf {
namespace {

std::string variable(std::string_view name) { return "environment variable " + std::string(name); }

std::string quoted(std::string_view value) {
  constexpr std::size_t kShown = 64;  // a pasted secret or a huge value is not echoed whole
  std::string text = "'";
  text.append(value.substr(0, kShown));
  if (value.size() > kShown) text.append("...");
  text.append("'");
  return text;
}

}  // namespace

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvLookup environment_from(std::map<std::string, std::string, std::less<>> variables) {
  return [variables = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

std::optional<std::string> read_string(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::optional<bool> read_bool(const EnvLookup& env, std::string_view name, ConfigErrors& errors) {
  const std::optional<std::string> value = read_string(env, name);
  if (!value) return std::nullopt;
  const std::string_view text = detail::trim_ows(*value);
  if (iequals(text, "true")) return true;
  if (iequals(text, "false")) return false;
  errors.push_back({variable(name), quoted(*value) + " is not a boolean (use true or false)"});
  return std::nullopt;
}

std::optional<std::int64_t> read_int(const EnvLookup& env, std::string_view name, std::int64_t min,
                                     std::int64_t max, ConfigErrors& errors) {
  const std::optional<std::string> value = read_string(env, name);
  if (!value) return std::nullopt;
  const std::string_view text = detail::trim_ows(*value);
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    errors.push_back({variable(name), quoted(*value) + " is not a whole number"});
    return std::nullopt;
  }
  if (number < min || number > max) {
    errors.push_back({variable(name), std::to_string(number) + " is outside [" +
                                          std::to_string(min) + ", " + std::to_string(max) + "]"});
    return std::nullopt;
  }
  return number;
}

std::optional<double> read_double(const EnvLookup& env, std::string_view name, double min,
                                  double max, ConfigErrors& errors) {
  const std::optional<std::string> value = read_string(env, name);
  if (!value) return std::nullopt;
  const std::string_view text = detail::trim_ows(*value);
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(number)) {
    errors.push_back({variable(name), quoted(*value) + " is not a number"});
    return std::nullopt;
  }
  if (number < min || number > max) {
    errors.push_back({variable(name), std::string(text) + " is outside [" +
                                          detail::number_text(min) + ", " +
                                          detail::number_text(max) + "]"});
    return std::nullopt;
  }
  return number;
}

std::optional<std::chrono::milliseconds> read_milliseconds(const EnvLookup& env,
                                                           std::string_view name,
                                                           ConfigErrors& errors) {
  const std::optional<std::int64_t> number =
      read_int(env, name, 0, std::int64_t{1} << 40, errors);  // about 35 years
  if (!number) return std::nullopt;
  return std::chrono::milliseconds(*number);
}

std::optional<std::vector<std::pair<std::string, std::string>>> read_key_value_list(
    const EnvLookup& env, std::string_view name, ConfigErrors& errors) {
  const std::optional<std::string> value = read_string(env, name);
  if (!value) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> items;
  std::string_view rest = *value;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = detail::trim_ows(rest.substr(0, comma));
    if (!item.empty()) {
      const std::size_t eq = item.find('=');
      const std::string_view key =
          eq == std::string_view::npos ? item : detail::trim_ows(item.substr(0, eq));
      if (eq == std::string_view::npos || key.empty()) {
        errors.push_back({variable(name), "item " + quoted(item) + " is not key=value"});
      } else if (std::optional<std::string> decoded =
                     detail::percent_decode(detail::trim_ows(item.substr(eq + 1)))) {
        items.emplace_back(std::string(key), std::move(*decoded));
      } else {
        errors.push_back(
            {variable(name), "the value of " + quoted(key) + " has a bad percent-encoding"});
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace mmf
