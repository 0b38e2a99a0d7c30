// The kit's printers: what failure messages show of attribute values, spans and log records.
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "mmf/testing.h"

namespace mmf::test {
namespace {

void write_one(std::ostream& out, const std::string& text) { out << std::quoted(text); }
void write_one(std::ostream& out, bool value) { out << (value ? "true" : "false"); }
void write_one(std::ostream& out, std::int64_t value) { out << value; }
// Doubles always show a decimal point or exponent, so 12.0 does not read as the integer 12.
void write_one(std::ostream& out, double value) {
  std::ostringstream text;
  text << std::setprecision(17) << value;
  const std::string digits = text.str();
  out << digits;
  if (digits.find_first_of(".eEn") == std::string::npos) out << ".0";
}

template <class T>
void write_value(std::ostream& out, const T& value) {
  if constexpr (std::is_same_v<T, std::vector<bool>>) {
    out << "[";
    for (std::size_t i = 0; i < value.size(); ++i) {
      out << (i > 0 ? ", " : "");
      write_one(out, static_cast<bool>(value[i]));
    }
    out << "]";
  } else if constexpr (requires { value.begin(); } && !std::is_same_v<T, std::string>) {
    out << "[";
    for (std::size_t i = 0; i < value.size(); ++i) {
      out << (i > 0 ? ", " : "");
      write_one(out, value[i]);
    }
    out << "]";
  } else {
    write_one(out, value);
  }
}

std::string status_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kError:
      return "ERROR";
    case StatusCode::kUnset:
      break;
  }
  return "UNSET";
}

}  // namespace

std::string describe(const OwnedAttributeValue& value) {
  std::ostringstream out;
  std::visit([&](const auto& alternative) { write_value(out, alternative); }, value);
  return out.str();
}

std::string describe(const std::vector<KeyValue>& attributes) {
  std::string text = "{";
  for (const KeyValue& attribute : attributes) {
    if (text.size() > 1) text += ", ";
    text += attribute.key + "=" + describe(attribute.value);
  }
  return text + "}";
}

std::string describe(const TraceId& id) { return id.is_valid() ? id.to_hex() : "none"; }
std::string describe(const SpanId& id) { return id.is_valid() ? id.to_hex() : "none"; }

void PrintTo(const RecordedSpan& span, std::ostream* out) {
  mmf::PrintTo(static_cast<const SpanData&>(span), out);
  if (!span.service_name.empty()) *out << " of " << std::quoted(span.service_name);
}

}  // namespace mmf::test

namespace mmf {

void PrintTo(const SpanData& span, std::ostream* out) {
  *out << "span " << std::quoted(span.name) << " (" << to_string(span.kind) << ", trace "
       << test::describe(span.trace_id) << ", span " << test::describe(span.span_id) << ", parent "
       << test::describe(span.parent_span_id) << ", status " << test::status_name(span.status_code);
  if (!span.status_message.empty()) *out << " " << std::quoted(span.status_message);
  *out << ", attributes " << test::describe(span.attributes);
  if (!span.events.empty()) {
    *out << ", events [";
    for (std::size_t i = 0; i < span.events.size(); ++i) {
      *out << (i > 0 ? ", " : "") << std::quoted(span.events[i].name);
      if (!span.events[i].attributes.empty()) {
        *out << " " << test::describe(span.events[i].attributes);
      }
    }
    *out << "]";
  }
  if (!span.links.empty()) *out << ", " << span.links.size() << " link(s)";
  *out << ")";
}

void PrintTo(const LogRecord& record, std::ostream* out) {
  *out << "log record (" << log_level_name(record.level) << ", logger "
       << std::quoted(record.logger) << ", message " << std::quoted(record.message) << ", trace "
       << test::describe(record.trace_id) << ", span " << test::describe(record.span_id);
  if (!record.correlation_id.empty()) {
    *out << ", correlation_id " << std::quoted(record.correlation_id);
  }
  if (!record.fields.empty()) *out << ", fields " << test::describe(record.fields);
  *out << ")";
}

}  // namespace mmf
