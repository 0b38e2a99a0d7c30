#include "mmf/span.h"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <typeinfo>

#include "trace/clock.h"
#include "trace/tracer_core.h"
#include "trace/type_name.h"

namespace mmf {

Span::Span(Span&& other) noexcept
    : record_(std::exchange(other.record_, nullptr)), context_(std::move(other.context_)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    record_ = std::exchange(other.record_, nullptr);
    context_ = std::move(other.context_);
  }
  return *this;
}

void Span::record_attribute(std::string_view key, const AttributeValue& value) noexcept {
  if (key.empty()) return;
  const SpanLimits& limits = record_->core->limits();
  record_->set_attribute(key, value, limits.attribute_count, limits.attribute_value_length);
}

Span& Span::add_event(std::string_view name, std::initializer_list<Attribute> attributes,
                      std::optional<TimePoint> time) noexcept {
  if (record_ == nullptr) return *this;
  const SpanLimits& limits = record_->core->limits();
  if (record_->event_count >= limits.event_count) {
    ++record_->dropped_events;
    return *this;
  }
  const std::size_t kept = std::min(attributes.size(), limits.event_attribute_count);
  const auto dropped = static_cast<std::uint32_t>(attributes.size() - kept);
  const std::int64_t nanos = time ? detail::to_unix_nanos(*time) : detail::now_unix_nanos();
  char fixed[12];
  std::memcpy(fixed, &nanos, 8);
  std::memcpy(fixed + 8, &dropped, 4);
  if (!record_->append(detail::EntryKind::kEvent, AttributeType::kString, name,
                       {std::string_view(fixed, sizeof fixed)})) {
    ++record_->dropped_events;
    return *this;
  }
  ++record_->event_count;
  std::size_t written = 0;
  for (const Attribute& attribute : attributes) {
    if (written == kept) break;
    if (attribute.key.empty()) continue;
    record_->append_attribute(detail::EntryKind::kEventAttribute, attribute.key, attribute.value,
                              limits.attribute_value_length);
    ++written;
  }
  return *this;
}

Span& Span::record_exception(std::string_view type, std::string_view message,
                             std::string_view stacktrace) noexcept {
  if (stacktrace.empty()) {
    return add_event("exception", {{"exception.type", type}, {"exception.message", message}});
  }
  return add_event("exception", {{"exception.type", type},
                                 {"exception.message", message},
                                 {"exception.stacktrace", stacktrace}});
}

Span& Span::record_exception(const std::exception& exception) noexcept {
  if (record_ == nullptr) return *this;
  const char* what = exception.what();
  try {
    return record_exception(detail::exception_type_name(exception), what != nullptr ? what : "");
  } catch (const std::bad_alloc&) {
    return record_exception(typeid(exception).name(), what != nullptr ? what : "");
  }
}

std::string detail::exception_type_name(const std::exception& exception) {
  const char* mangled = typeid(exception).name();
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && demangled ? demangled.get() : mangled;
}

Span& Span::set_status(StatusCode code, std::string_view description) noexcept {
  if (record_ == nullptr || code == StatusCode::kUnset || record_->status == StatusCode::kOk) {
    return *this;
  }
  record_->status = code;
  if (code == StatusCode::kError && !description.empty()) {
    record_->has_status_message = record_->append(detail::EntryKind::kStatusMessage,
                                                  AttributeType::kString, description, {}) ||
                                  record_->has_status_message;
  } else {
    record_->has_status_message = false;  // the reader ignores an older message
  }
  return *this;
}

Span& Span::update_name(std::string_view name) noexcept {
  if (record_ != nullptr) {
    if (record_->append(detail::EntryKind::kName, AttributeType::kString, name, {})) {
      record_->renamed = true;
    }
  }
  return *this;
}

void Span::end(std::optional<TimePoint> end_time) noexcept {
  detail::SpanRecord* record = std::exchange(record_, nullptr);
  if (record == nullptr) return;
  record->set_end(end_time ? detail::ClockReading{detail::to_unix_nanos(*end_time), false}
                           : detail::read_clock());
  record->core->submit(record);
}

Context Span::context_with_span(const Context& base) const {
  return base.with_span_context(context_);
}

Context Span::context_with_span(Context&& base) const {
  return std::move(base).with_span_context(context_);
}

}  // namespace mmf
