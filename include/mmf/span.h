// Span: one timed operation of a trace, ended by its destructor.
//
//   mmf::Span span = tracer.start_span("charge_card", {.kind = mmf::SpanKind::kClient});
//   span.set_attribute("payment.amount", 12.5);
//   auto scope = span.activate();   // logs, metrics and outgoing calls now see this span
//   ...
//   span.set_status(mmf::StatusCode::kError, "card declined");
//   // the span ends when it goes out of scope (or at span.end())
//
// A Span is a move-only handle. A span the sampler dropped is a cheap, non-recording handle:
// every call on it returns at once, but it still has a valid SpanContext, so propagation and
// child spans keep the trace together. Ending twice, or using a span after its end, is harmless
// (ignored). All calls are noexcept: trouble (limits reached, memory budget exhausted) is
// counted in the tracer's statistics, never thrown.
//
// Thread-safety: a Span may be moved to and ended on another thread, but one Span must not be
// used from two threads at once (as with any object without internal locking).
#pragma once

#include <chrono>
#include <exception>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

#include "mmf/attributes.h"
#include "mmf/context.h"
#include "mmf/span_kind.h"
#include "mmf/trace_context.h"

namespace mmf {

class Tracer;
namespace detail {
struct SpanRecord;
class TracerCore;
}  // namespace detail

// A link to another span (e.g. the messages a batch job consumed).
struct Link {
  SpanContext context;
  std::span<const Attribute> attributes{};
};

struct SpanOptions {
  SpanKind kind = SpanKind::kInternal;
  // The parent: this Context's span. Unset: the thread's current Context. A Context without a
  // valid trace (for example an empty one) starts a new trace.
  std::optional<Context> parent{};
  // Unset: now.
  std::optional<std::chrono::system_clock::time_point> start_time{};
  std::initializer_list<Attribute> attributes{};
  std::span<const Link> links{};
};

class Span {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // A non-recording span with an invalid SpanContext.
  Span() noexcept = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&& other) noexcept;  // ends the span this one held
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  // The check is inline: a span that records nothing (most, at a low sampling rate) ends
  // without a call.
  ~Span() {
    if (record_ != nullptr) end();
  }

  // True while the span is recorded (sampled, or kept for error/slow retention) and not ended.
  bool is_recording() const noexcept { return record_ != nullptr; }
  // The span's identity, for propagation and for children. Valid even when not recording.
  const SpanContext& context() const noexcept { return context_; }

  // Attribute keys are copied; setting a key again replaces its value. Over the attribute count
  // limit, new keys are dropped (and counted); values longer than the length limit are cut at a
  // UTF-8 character boundary. An empty key is ignored.
  Span& set_attribute(std::string_view key, const AttributeValue& value) noexcept {
    if (record_ != nullptr) record_attribute(key, value);
    return *this;
  }
  Span& add_event(std::string_view name, std::initializer_list<Attribute> attributes = {},
                  std::optional<TimePoint> time = std::nullopt) noexcept;
  // The OpenTelemetry exception event: exception.type, exception.message and, when given,
  // exception.stacktrace. Does not change the status: call set_status() for that.
  Span& record_exception(std::string_view type, std::string_view message,
                         std::string_view stacktrace = {}) noexcept;
  // The same for a caught exception (its dynamic type name and what()).
  Span& record_exception(const std::exception& exception) noexcept;
  // Unset < Error < Ok: an Ok status is final, and a later Error does not replace it (the
  // specification's rule). The description is kept for Error only.
  Span& set_status(StatusCode code, std::string_view description = {}) noexcept;
  Span& update_name(std::string_view name) noexcept;

  // Ends the span now (or at end_time) and hands it to the tracer's pipeline: never blocks.
  void end(std::optional<TimePoint> end_time = std::nullopt) noexcept;

  // The given Context (default: the current one) with this span as its trace context: what a
  // child operation or an outgoing call should see.
  Context context_with_span(const Context& base = Context::current()) const;
  // The same from a Context the caller gives up: its data is reused when nothing else shares it.
  Context context_with_span(Context&& base) const;
  // Makes this span current for the returned scope's lifetime (on this thread).
  [[nodiscard]] ContextScope activate() const { return ContextScope(context_with_span()); }

 private:
  friend class detail::TracerCore;
  void record_attribute(std::string_view key, const AttributeValue& value) noexcept;

  Span(detail::SpanRecord* record, SpanContext context) noexcept
      : record_(record), context_(std::move(context)) {}

  detail::SpanRecord* record_ = nullptr;  // owned until end()
  SpanContext context_;  // default-initialised: "{}" would zero its tracestate buffer too
};

}  // namespace mmf
