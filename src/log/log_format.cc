#include "log/log_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <span>
#include <type_traits>
#include <variant>

#include "export/json_writer.h"
#include "export/utf8.h"

namespace mmf::detail {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

// Floor division: times before 1970 belong to the second (and day) that started before them.
constexpr std::int64_t floor_div(std::int64_t value, std::int64_t divisor) noexcept {
  const std::int64_t quotient = value / divisor;
  return (value % divisor < 0) ? quotient - 1 : quotient;
}

struct UtcTime {
  std::int64_t year;
  int month;  // 1 to 12
  int day;    // 1 to 31
  int hour;
  int minute;
  int second;
  std::int64_t nanos;  // 0 to 999'999'999
};

// Howard Hinnant's civil_from_days (proleptic Gregorian): plain arithmetic instead of gmtime_r,
// exact before 1970 too, with no system call or C library state on the logging thread.
UtcTime split_utc(std::int64_t unix_nanos) noexcept {
  const std::int64_t seconds = floor_div(unix_nanos, kNanosPerSecond);
  // From the remainder, not unix_nanos - seconds * 1e9: that product overflows near INT64_MIN.
  const std::int64_t remainder = unix_nanos % kNanosPerSecond;
  const std::int64_t days = floor_div(seconds, kSecondsPerDay);
  const std::int64_t second_of_day = seconds - days * kSecondsPerDay;
  const std::int64_t z = days + 719'468;
  const std::int64_t era = floor_div(z, 146'097);
  const std::int64_t day_of_era = z - era * 146'097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const auto month =
      static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return UtcTime{
      .year = year_of_era + era * 400 + (month <= 2 ? 1 : 0),
      .month = month,
      .day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1),
      .hour = static_cast<int>(second_of_day / 3600),
      .minute = static_cast<int>(second_of_day / 60 % 60),
      .second = static_cast<int>(second_of_day % 60),
      .nanos = remainder < 0 ? remainder + kNanosPerSecond : remainder,
  };
}

// value in exactly width decimal digits (0 <= value < 10^width).
void append_digits(std::string& out, std::int64_t value, int width) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

constexpr std::array<std::string_view, 17> kReservedKeys = {
    "timestamp",   "level",      "message",   "logger",      "service",        "version",
    "environment", "trace_id",   "span_id",   "trace_flags", "correlation_id", "request_id",
    "user_id",     "session_id", "operation", "plugin",      "source"};

// The file name after the last '/': short, and the same wherever the code was built.
std::string_view base_name(std::string_view path) noexcept {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string source_text(const LogRecord& record) {
  std::string text(base_name(record.file));
  text += ':';
  char digits[16];
  text.append(digits, std::to_chars(digits, digits + sizeof digits, record.line).ptr);
  return text;
}

const std::string* resource_string(const Resource& resource, std::string_view key) noexcept {
  const OwnedAttributeValue* value = resource.get(key);
  return value != nullptr ? std::get_if<std::string>(value) : nullptr;
}

// The ID-like Context values, in the order both formats write them.
template <class Fn>
void for_each_context_text(const LogRecord& record, Fn&& fn) {
  fn("correlation_id", record.correlation_id);
  fn("request_id", record.request_id);
  fn("user_id", record.user_id);
  fn("session_id", record.session_id);
  fn("operation", record.operation);
  fn("plugin", record.plugin);
}

// ---- JSON ----

void write_field_key(JsonWriter& w, std::string_view key) {
  if (!is_reserved_log_key(key)) {
    w.key_text(key);
    return;
  }
  std::string prefixed = "field.";
  prefixed += key;
  w.key_text(prefixed);
}

void write_json_value(JsonWriter& w, const OwnedAttributeValue& value) {
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.string(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          w.boolean(v);
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          w.number(v);
        } else {
          w.begin_array();
          for (const auto& item : v) {
            using Item = std::decay_t<decltype(item)>;
            if constexpr (std::is_same_v<Item, std::string>) {
              w.string(item);
            } else if constexpr (std::is_same_v<Item, std::int64_t> ||
                                 std::is_same_v<Item, double>) {
              w.number(item);
            } else {
              w.boolean(static_cast<bool>(item));  // std::vector<bool>'s proxy reference
            }
          }
          w.end_array();
        }
      },
      value);
}

void write_json_object(JsonWriter& w, const LogRecord& record, const Resource& resource) {
  w.begin_object();
  w.key("timestamp");
  std::string timestamp;
  append_rfc3339_micros(record.time_unix_nano, timestamp);
  w.string(timestamp);
  w.key("level");
  w.string(log_level_name(record.level));
  w.key("message");
  w.string(record.message);
  if (!record.logger.empty()) {
    w.key("logger");
    w.string(record.logger);
  }
  constexpr std::pair<std::string_view, std::string_view> kResourceMembers[] = {
      {"service", "service.name"},
      {"version", "service.version"},
      {"environment", "deployment.environment.name"}};
  for (const auto& [member, attribute] : kResourceMembers) {
    if (const std::string* text = resource_string(resource, attribute)) {
      w.key(member);
      w.string(*text);
    }
  }
  if (record.trace_id.is_valid()) {
    w.key("trace_id");
    w.hex_string(record.trace_id.bytes());
    w.key("span_id");
    w.hex_string(record.span_id.bytes());
    w.key("trace_flags");
    const std::uint8_t flags = record.trace_flags.bits();
    w.hex_string(std::span<const std::uint8_t>(&flags, 1));
  }
  for_each_context_text(record, [&w](std::string_view member, const std::string& text) {
    if (text.empty()) return;
    w.key(member);
    w.string(text);
  });
  for (const auto& [key, text] : record.business) {
    write_field_key(w, key);
    w.string(text);
  }
  for (const KeyValue& field : record.fields) {
    write_field_key(w, field.key);
    write_json_value(w, field.value);
  }
  if (record.line != 0) {
    w.key("source");
    w.string(source_text(record));
  }
  w.end_object();
}

// ---- console ----

constexpr std::string_view kColorReset = "\x1b[0m";

std::string_view console_level(LogLevel level) noexcept {
  constexpr std::string_view kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRIT", "OFF"};
  const auto index = static_cast<std::size_t>(level);
  return index < std::size(kNames) ? kNames[index] : "OFF";
}

std::string_view console_color(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace:
    case LogLevel::kDebug:
      return "\x1b[2m";  // dim
    case LogLevel::kInfo:
      return "\x1b[32m";  // green
    case LogLevel::kWarn:
      return "\x1b[33m";  // yellow
    case LogLevel::kError:
      return "\x1b[31m";  // red
    case LogLevel::kCritical:
      return "\x1b[1;31m";  // bold red
    default:
      return {};
  }
}

// Whether the well-formed character at `at` (length bytes) is a C1 control, U+0080 to U+009F:
// terminals may act on those as they do on ESC sequences (U+009B is CSI).
bool is_c1_control(const unsigned char* at, std::size_t length) noexcept {
  return length == 2 && at[0] == 0xC2 && at[1] < 0xA0;
}

void append_hex_escape(std::string& out, std::string_view prefix, unsigned value, int digits) {
  constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
}

// Characters that make a value need quotes besides those that are escaped; in an array, the
// separators too.
bool is_quote_worthy(unsigned char c, bool in_array) noexcept {
  return c == ' ' || c == '"' || c == '=' || c == '\\' ||
         (in_array && (c == ',' || c == '[' || c == ']'));
}

// Calls on_plain(run) for each run of bytes written as they are and on_special(at, length,
// valid) for each control character, C1 control or ill-formed byte sequence.
template <class OnPlain, class OnSpecial>
void scan_console_text(std::string_view text, OnPlain&& on_plain, OnSpecial&& on_special) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = bytes[i];
    if (c >= 0x20 && c < 0x7f) {
      ++i;
      continue;
    }
    std::size_t length = 1;
    bool valid = c < 0x80;
    if (c >= 0x80) {
      std::size_t bad = 0;
      length = utf8_char_length(bytes + i, n - i, bad);
      valid = length != 0;
      if (valid && !is_c1_control(bytes + i, length)) {
        i += length;
        continue;
      }
      if (!valid) length = bad;
    }
    on_plain(text.substr(run, i - run));
    on_special(bytes + i, length, valid);
    i += length;
    run = i;
  }
  on_plain(text.substr(run));
}

bool needs_quotes(std::string_view text, bool in_array) noexcept {
  if (text.empty()) return true;
  bool non_ascii = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      non_ascii = true;
    } else if (byte < 0x20 || byte == 0x7f || is_quote_worthy(byte, in_array)) {
      return true;
    }
  }
  if (!non_ascii) return false;
  // Other non-ASCII text reads as it is; only C1 controls and ill-formed bytes are escaped.
  bool special = false;
  scan_console_text(
      text, [](std::string_view) {},
      [&special](const unsigned char*, std::size_t, bool) { special = true; });
  return special;
}

// text with every control character and ill-formed byte escaped; in quotes, '"' and '\' too.
void append_console_escaped(std::string& out, std::string_view text, bool in_quotes) {
  scan_console_text(
      text,
      [&](std::string_view run) {
        if (!in_quotes) {
          out += run;
          return;
        }
        for (const char c : run) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
      },
      [&out](const unsigned char* at, std::size_t length, bool valid) {
        if (!valid) {
          for (std::size_t k = 0; k < length; ++k) append_hex_escape(out, "\\x", at[k], 2);
          return;
        }
        if (length == 2) {  // a C1 control
          append_hex_escape(out, "\\u", ((at[0] & 0x1fU) << 6) | (at[1] & 0x3fU), 4);
          return;
        }
        switch (at[0]) {
          case '\n':
            out += "\\n";
            return;
          case '\r':
            out += "\\r";
            return;
          case '\t':
            out += "\\t";
            return;
          default:
            append_hex_escape(out, "\\x", at[0], 2);
        }
      });
}

void append_console_text(std::string& out, std::string_view text, bool in_array = false) {
  if (!needs_quotes(text, in_array)) {
    out += text;
    return;
  }
  out += '"';
  append_console_escaped(out, text, true);
  out += '"';
}

void append_console_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
  } else {
    char digits[32];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
  }
}

void append_console_number(std::string& out, std::int64_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

void append_console_value(std::string& out, const OwnedAttributeValue& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          append_console_text(out, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          append_console_number(out, v);
        } else {
          out += '[';
          bool first = true;
          for (const auto& item : v) {
            if (!first) out += ',';
            first = false;
            using Item = std::decay_t<decltype(item)>;
            if constexpr (std::is_same_v<Item, std::string>) {
              append_console_text(out, item, true);
            } else if constexpr (std::is_same_v<Item, std::int64_t> ||
                                 std::is_same_v<Item, double>) {
              append_console_number(out, item);
            } else {
              out += static_cast<bool>(item) ? "true" : "false";
            }
          }
          out += ']';
        }
      },
      value);
}

// " key=" with the separator before the first pair doubled, to set the pairs off the message.
void append_console_key(std::string& out, std::string_view key, bool& first) {
  out += first ? "  " : " ";
  first = false;
  if (is_reserved_log_key(key)) out += "field.";
  append_console_text(out, key);
  out += '=';
}

}  // namespace

bool is_reserved_log_key(std::string_view key) noexcept {
  for (const std::string_view reserved : kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

namespace {

// "HH:MM:SS." then the fraction of the second in the given number of digits (truncated).
void append_clock(const UtcTime& t, int fraction_digits, std::string& out) {
  append_digits(out, t.hour, 2);
  out += ':';
  append_digits(out, t.minute, 2);
  out += ':';
  append_digits(out, t.second, 2);
  out += '.';
  append_digits(out, fraction_digits == 6 ? t.nanos / 1000 : t.nanos / 1'000'000, fraction_digits);
}

}  // namespace

void append_rfc3339_micros(std::int64_t unix_nanos, std::string& out) {
  const UtcTime t = split_utc(unix_nanos);
  append_digits(out, t.year, 4);
  out += '-';
  append_digits(out, t.month, 2);
  out += '-';
  append_digits(out, t.day, 2);
  out += 'T';
  append_clock(t, 6, out);
  out += 'Z';
}

void append_time_of_day_millis(std::int64_t unix_nanos, std::string& out) {
  append_clock(split_utc(unix_nanos), 3, out);
}

void format_json_line(const LogRecord& record, const Resource& resource, std::string& out) {
  {
    // Scoped: the writer's destructor trims out to what it wrote, newline included.
    JsonWriter w(out);
    write_json_object(w, record, resource);
  }
  out += '\n';
}

// The resource is the same on every line of a process; the console leaves it out.
void format_console_line(const LogRecord& record, const Resource& /*resource*/, bool color,
                         std::string& out) {
  append_time_of_day_millis(record.time_unix_nano, out);
  out += ' ';
  const std::string_view level = console_level(record.level);
  const std::string_view level_color = color ? console_color(record.level) : std::string_view();
  out += level_color;
  out += level;
  if (!level_color.empty()) out += kColorReset;
  out.append(5 - std::min<std::size_t>(level.size(), 5), ' ');
  if (!record.logger.empty()) {
    out += " [";
    append_console_escaped(out, record.logger, false);
    out += ']';
  }
  out += ' ';
  append_console_escaped(out, record.message, false);
  bool first = true;
  for (const KeyValue& field : record.fields) {
    append_console_key(out, field.key, first);
    append_console_value(out, field.value);
  }
  for (const auto& [key, text] : record.business) {
    append_console_key(out, key, first);
    append_console_text(out, text);
  }
  auto append_pair = [&out, &first](std::string_view key, std::string_view text) {
    out += first ? "  " : " ";
    first = false;
    out += key;
    out += '=';
    append_console_text(out, text);
  };
  for_each_context_text(record, [&](std::string_view key, const std::string& text) {
    if (!text.empty()) append_pair(key, text);
  });
  if (record.trace_id.is_valid()) {
    char trace_hex[TraceId::kHexSize];
    record.trace_id.to_hex(trace_hex);
    append_pair("trace_id", std::string_view(trace_hex, sizeof trace_hex));
    char span_hex[SpanId::kHexSize];
    record.span_id.to_hex(span_hex);
    append_pair("span_id", std::string_view(span_hex, sizeof span_hex));
  }
  if (record.line != 0) append_pair("source", source_text(record));
  out += '\n';
}

}  // namespace mmf::detail
