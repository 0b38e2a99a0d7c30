#include <array>

#include "mmf/carrier.h"
#include "mmf/log_record.h"

namespace mmf {

std::string_view log_level_name(LogLevel level) noexcept {
  static constexpr std::array<std::string_view, 7> kNames = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  const auto index = static_cast<std::size_t>(level);
  return index < kNames.size() ? kNames[index] : std::string_view("off");
}

std::optional<LogLevel> parse_log_level(std::string_view name) noexcept {
  if (iequals(name, "warning")) return LogLevel::kWarn;
  if (iequals(name, "fatal")) return LogLevel::kCritical;
  for (int i = 0; i <= static_cast<int>(LogLevel::kOff); ++i) {
    if (iequals(name, log_level_name(static_cast<LogLevel>(i)))) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

int otlp_severity_number(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace:
      return 1;
    case LogLevel::kDebug:
      return 5;
    case LogLevel::kInfo:
      return 9;
    case LogLevel::kWarn:
      return 13;
    case LogLevel::kError:
      return 17;
    case LogLevel::kCritical:
      return 21;
    case LogLevel::kOff:
      break;
  }
  return 0;
}

}  // namespace mmf
