// GoogleTest matchers for the recordings of mmf/testing.h (link mmf::testing).
//
//   using namespace mmf::test;
//   const RecordedSpan* checkout = traces.find("checkout");
//   const RecordedSpan* charge = traces.find("charge_card");
//   EXPECT_THAT(*checkout, AllOf(IsRoot(), HasAttribute("http.route", "/checkout")));
//   EXPECT_THAT(*charge, AllOf(IsChildOf(*checkout), HasStatusError(), HasEvent("exception")));
//   EXPECT_THAT(logs.records(), Contains(AllOf(HasMessage("card declined"),
//                                              HasLevel(mmf::LogLevel::kError),
//                                              HasCorrelationId("req-1"),
//                                              HasTraceIdOf(*checkout))));
//
// The span matchers take a SpanData, so they read mmf::InMemorySpanExporter's copies too. Each
// matcher says what it expects and, on a mismatch, what it found ("whose name is "charge"").
// Attribute and field values compare by type as well as value: HasAttribute("n", 3) matches the
// integer 3, not the double 3.0 (the message shows 3 against 3.0).
#pragma once

#include <gmock/gmock.h>

#include <functional>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/log_record.h"
#include "mmf/span.h"
#include "mmf/span_exporter.h"
#include "mmf/testing.h"
#include "mmf/trace_context.h"

namespace mmf::test {
namespace internal {

// A matcher of T from a description and a check that explains what it found.
template <class T>
class Predicate {
 public:
  using is_gtest_matcher = void;
  using Check = std::function<bool(const T&, std::ostream& found)>;

  Predicate(std::string description, Check check)
      : description_(std::move(description)), check_(std::move(check)) {}

  bool MatchAndExplain(const T& value, std::ostream* explanation) const {
    std::ostringstream found;
    const bool matched = check_(value, found);
    if (explanation != nullptr) *explanation << found.str();
    return matched;
  }
  void DescribeTo(std::ostream* out) const { *out << description_; }
  void DescribeNegationTo(std::ostream* out) const { *out << "not (" << description_ << ")"; }

 private:
  std::string description_;
  Check check_;
};

template <class T>
::testing::Matcher<const T&> make(std::string description, typename Predicate<T>::Check check) {
  return ::testing::Matcher<const T&>(Predicate<T>(std::move(description), std::move(check)));
}

inline std::string quote(std::string_view text) {
  std::ostringstream out;
  out << std::quoted(text);
  return out.str();
}

// Whether attributes hold key (with the expected value, when given), saying what they hold.
inline bool has_key_value(const std::vector<KeyValue>& attributes, std::string_view key,
                          const std::optional<OwnedAttributeValue>& expected, std::ostream& found,
                          std::string_view what) {
  for (const KeyValue& attribute : attributes) {
    if (attribute.key != key) continue;
    found << "whose " << what << " " << key << " is " << describe(attribute.value);
    return !expected || attribute.value == *expected;
  }
  found << "which has no " << what << " " << key << " (it has " << describe(attributes) << ")";
  return false;
}

inline std::string key_value_description(std::string_view what, std::string_view key,
                                         const std::optional<OwnedAttributeValue>& expected) {
  std::string description = "has " + std::string(what) + " " + std::string(key);
  return expected ? description + " = " + describe(*expected) : description;
}

}  // namespace internal

// ---- Spans (RecordedSpan, SpanData).

inline ::testing::Matcher<const SpanData&> HasName(std::string name) {
  std::string description = "has name " + internal::quote(name);
  return internal::make<SpanData>(
      std::move(description), [name = std::move(name)](const SpanData& span, std::ostream& found) {
        found << "whose name is " << internal::quote(span.name);
        return span.name == name;
      });
}

inline ::testing::Matcher<const SpanData&> HasKind(SpanKind kind) {
  return internal::make<SpanData>("has kind " + std::string(to_string(kind)),
                                  [kind](const SpanData& span, std::ostream& found) {
                                    found << "whose kind is " << to_string(span.kind);
                                    return span.kind == kind;
                                  });
}

// The span has the attribute key (with any value).
inline ::testing::Matcher<const SpanData&> HasAttribute(std::string key) {
  std::string description = internal::key_value_description("attribute", key, std::nullopt);
  return internal::make<SpanData>(
      std::move(description), [key = std::move(key)](const SpanData& span, std::ostream& found) {
        return internal::has_key_value(span.attributes, key, std::nullopt, found, "attribute");
      });
}

// The span's attribute key has this value and type (a string, bool, integer, double or array).
inline ::testing::Matcher<const SpanData&> HasAttribute(std::string key,
                                                        const AttributeValue& value) {
  OwnedAttributeValue expected = to_owned(value);
  std::string description = internal::key_value_description("attribute", key, expected);
  return internal::make<SpanData>(
      std::move(description),
      [key = std::move(key), expected](const SpanData& span, std::ostream& found) {
        return internal::has_key_value(span.attributes, key, expected, found, "attribute");
      });
}

// The span has no parent (in this process or another).
inline ::testing::Matcher<const SpanData&> IsRoot() {
  return internal::make<SpanData>("is a root span", [](const SpanData& span, std::ostream& found) {
    if (span.parent_span_id.is_valid())
      found << "whose parent is " << describe(span.parent_span_id);
    return !span.parent_span_id.is_valid();
  });
}

namespace internal {
inline ::testing::Matcher<const SpanData&> child_of(const TraceId& trace_id, const SpanId& span_id,
                                                    std::string_view parent_name) {
  std::string description = "is a child of span " +
                            (parent_name.empty() ? "" : quote(parent_name) + " ") +
                            describe(span_id) + " of trace " + describe(trace_id);
  return make<SpanData>(std::move(description),
                        [trace_id, span_id](const SpanData& span, std::ostream& found) {
                          found << "whose parent is " << describe(span.parent_span_id)
                                << " of trace " << describe(span.trace_id);
                          return span.trace_id == trace_id && span.parent_span_id == span_id;
                        });
}
}  // namespace internal

// The span's parent is parent: a recorded span, or a live Span's context().
inline ::testing::Matcher<const SpanData&> IsChildOf(const SpanData& parent) {
  return internal::child_of(parent.trace_id, parent.span_id, parent.name);
}
inline ::testing::Matcher<const SpanData&> IsChildOf(const SpanContext& parent) {
  return internal::child_of(parent.trace_id, parent.span_id, {});
}

inline ::testing::Matcher<const SpanData&> InSameTraceAs(const SpanData& other) {
  return internal::make<SpanData>(
      "is in trace " + describe(other.trace_id) + " (of span " + internal::quote(other.name) + ")",
      [trace_id = other.trace_id](const SpanData& span, std::ostream& found) {
        found << "which is in trace " << describe(span.trace_id);
        return span.trace_id == trace_id;
      });
}

// The span's status is Error (with this description, when given).
inline ::testing::Matcher<const SpanData&> HasStatusError(
    std::optional<std::string> description = std::nullopt) {
  std::string text = "has status ERROR";
  if (description) text += " " + internal::quote(*description);
  return internal::make<SpanData>(std::move(text),
                                  [description](const SpanData& span, std::ostream& found) {
                                    found << "whose status is "
                                          << (span.status_code == StatusCode::kError ? "ERROR"
                                              : span.status_code == StatusCode::kOk  ? "OK"
                                                                                     : "UNSET");
                                    if (!span.status_message.empty())
                                      found << " " << internal::quote(span.status_message);
                                    return span.status_code == StatusCode::kError &&
                                           (!description || span.status_message == *description);
                                  });
}

namespace internal {
inline ::testing::Matcher<const SpanData&> has_event(std::string name, std::string key,
                                                     std::optional<OwnedAttributeValue> value) {
  std::string description = "has event " + quote(name);
  if (!key.empty()) description += " with attribute " + key;
  if (!key.empty() && value) description += " = " + describe(*value);
  return make<SpanData>(std::move(description), [name = std::move(name), key = std::move(key),
                                                 value](const SpanData& span, std::ostream& found) {
    found << "whose events are [";
    bool matched = false;
    for (std::size_t i = 0; i < span.events.size(); ++i) {
      const SpanData::Event& event = span.events[i];
      found << (i > 0 ? ", " : "") << quote(event.name) << " " << describe(event.attributes);
      std::ostringstream ignored;
      matched =
          matched || (event.name == name &&
                      (key.empty() || has_key_value(event.attributes, key, value, ignored, "")));
    }
    found << "]";
    return matched;
  });
}
}  // namespace internal

// The span has an event called name (with the attribute key, of this value when given), such
// as the "exception" event of Span::record_exception.
inline ::testing::Matcher<const SpanData&> HasEvent(std::string name) {
  return internal::has_event(std::move(name), {}, std::nullopt);
}
inline ::testing::Matcher<const SpanData&> HasEvent(std::string name, std::string key) {
  return internal::has_event(std::move(name), std::move(key), std::nullopt);
}
inline ::testing::Matcher<const SpanData&> HasEvent(std::string name, std::string key,
                                                    const AttributeValue& value) {
  return internal::has_event(std::move(name), std::move(key), to_owned(value));
}

// ---- Log records.

inline ::testing::Matcher<const LogRecord&> HasMessage(std::string message) {
  std::string description = "has message " + internal::quote(message);
  return internal::make<LogRecord>(
      std::move(description),
      [message = std::move(message)](const LogRecord& record, std::ostream& found) {
        found << "whose message is " << internal::quote(record.message);
        return record.message == message;
      });
}

inline ::testing::Matcher<const LogRecord&> HasLevel(LogLevel level) {
  return internal::make<LogRecord>("has level " + std::string(log_level_name(level)),
                                   [level](const LogRecord& record, std::ostream& found) {
                                     found << "whose level is " << log_level_name(record.level);
                                     return record.level == level;
                                   });
}

inline ::testing::Matcher<const LogRecord&> HasLogger(std::string logger) {
  std::string description = "was logged by " + internal::quote(logger);
  return internal::make<LogRecord>(
      std::move(description),
      [logger = std::move(logger)](const LogRecord& record, std::ostream& found) {
        found << "whose logger is " << internal::quote(record.logger);
        return record.logger == logger;
      });
}

inline ::testing::Matcher<const LogRecord&> HasCorrelationId(std::string id) {
  std::string description = "has correlation ID " + internal::quote(id);
  return internal::make<LogRecord>(
      std::move(description), [id = std::move(id)](const LogRecord& record, std::ostream& found) {
        found << "whose correlation ID is " << internal::quote(record.correlation_id);
        return record.correlation_id == id;
      });
}

// The record was made inside the span's trace (its trace ID is the span's).
inline ::testing::Matcher<const LogRecord&> HasTraceIdOf(const SpanContext& span) {
  return internal::make<LogRecord>(
      "has trace ID " + describe(span.trace_id),
      [trace_id = span.trace_id](const LogRecord& record, std::ostream& found) {
        found << "whose trace ID is " << describe(record.trace_id);
        return record.trace_id == trace_id;
      });
}
inline ::testing::Matcher<const LogRecord&> HasTraceIdOf(const Span& span) {
  return HasTraceIdOf(span.context());
}
inline ::testing::Matcher<const LogRecord&> HasTraceIdOf(const SpanData& span) {
  return HasTraceIdOf(SpanContext{.trace_id = span.trace_id, .span_id = span.span_id});
}

// The record was made while the span was the current one (its span ID is the span's).
inline ::testing::Matcher<const LogRecord&> HasSpanIdOf(const SpanContext& span) {
  return internal::make<LogRecord>(
      "has span ID " + describe(span.span_id),
      [span_id = span.span_id](const LogRecord& record, std::ostream& found) {
        found << "whose span ID is " << describe(record.span_id);
        return record.span_id == span_id;
      });
}
inline ::testing::Matcher<const LogRecord&> HasSpanIdOf(const Span& span) {
  return HasSpanIdOf(span.context());
}
inline ::testing::Matcher<const LogRecord&> HasSpanIdOf(const SpanData& span) {
  return HasSpanIdOf(SpanContext{.trace_id = span.trace_id, .span_id = span.span_id});
}

// The record has the caller's field key (with this value and type, when given).
inline ::testing::Matcher<const LogRecord&> HasLogField(std::string key) {
  std::string description = internal::key_value_description("field", key, std::nullopt);
  return internal::make<LogRecord>(
      std::move(description), [key = std::move(key)](const LogRecord& record, std::ostream& found) {
        return internal::has_key_value(record.fields, key, std::nullopt, found, "field");
      });
}
inline ::testing::Matcher<const LogRecord&> HasLogField(std::string key,
                                                        const AttributeValue& value) {
  OwnedAttributeValue expected = to_owned(value);
  std::string description = internal::key_value_description("field", key, expected);
  return internal::make<LogRecord>(
      std::move(description),
      [key = std::move(key), expected](const LogRecord& record, std::ostream& found) {
        return internal::has_key_value(record.fields, key, expected, found, "field");
      });
}

}  // namespace mmf::test
