// The request Context: everything that travels with one request, and the thread's current one.
//
// A Context holds the trace context (SpanContext), the correlation fields (correlation ID,
// request ID and its parent, user ID, session ID, operation name and ID, plugin, business fields)
// and the W3C baggage. It is immutable and cheaply shared: copying one bumps a reference count.
// "Changing" a field makes a new Context.
//
// Each thread has a current Context. Scopes make a Context current and put the previous one back
// when they end, in any nesting and when an exception unwinds them:
//
//   mmf::CorrelationScope scope({.operation_name = "checkout", .user_id = "u-1"});
//   mmf::get_correlation_id();   // inherited from the enclosing scope, or freshly generated
//
// To carry the current Context to another thread, a thread pool or a callback, wrap the work in
// mmf::bind(fn), or use the capture()/restore() pair; for C++20 coroutines see mmf/coroutine.h.
//
// Thread-safety: Context values may be shared between threads. The current Context is per thread
// and only its own thread reads or changes it. Nothing here throws into the caller except the
// allocation failure of std::bad_alloc when building a new Context.
//
// Cost (docs/performance.md): reading a field of the current Context is a thread-local load;
// a ContextScope is two pointer swaps and one reference count increment and decrement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mmf/baggage.h"
#include "mmf/detail/context_data.h"
#include "mmf/trace_context.h"

namespace mmf {

// The longest correlation, request, user or session ID accepted.
inline constexpr std::size_t kMaxIdLength = 128;

// True when text is usable as a correlation, request, user or session ID: 1 to kMaxIdLength
// characters from [A-Za-z0-9] and "-_.:@/+=". Anything else (spaces, quotes, control bytes,
// separators of headers or logs) is refused, so an accepted ID can never forge a log field.
bool is_valid_id(std::string_view text) noexcept;

// Budgets for the business context of one Context. Beyond them, fields are dropped and counted.
struct BusinessContextLimits {
  static constexpr std::size_t kMaxFields = 32;
  static constexpr std::size_t kMaxKeyLength = 64;     // [A-Za-z0-9_.-], starts with a letter
  static constexpr std::size_t kMaxValueLength = 256;  // any bytes; escaped wherever written
  static constexpr std::size_t kMaxTotalBytes = 4096;  // keys plus values
};
bool is_valid_business_key(std::string_view key) noexcept;

// The fields a CorrelationScope sets. An empty field is inherited from the enclosing Context.
// Declared in the order of DESIGN.md's example so that designated initialisers read naturally.
struct CorrelationFields {
  std::string operation_name{};
  std::string correlation_id{};  // empty: inherit, or generate a UUIDv7 when there is none
  std::string request_id{};      // empty: a new UUIDv7 (a child scope is a new request)
  std::string user_id{};
  std::string session_id{};
  std::string plugin{};
  std::string operation_id{};          // the Python MMF's operation ID (X-MMF-Operation-ID)
  BusinessContext business_context{};  // merged over the enclosing one, key by key
};

class Context {
 public:
  // The empty Context: no trace, no correlation fields.
  Context() noexcept = default;
  Context(const Context& other) noexcept : data_(other.data_) { detail::retain(data_); }
  Context(Context&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  Context& operator=(const Context& other) noexcept {
    detail::retain(other.data_);
    detail::release(std::exchange(data_, other.data_));
    return *this;
  }
  Context& operator=(Context&& other) noexcept {
    if (this != &other) detail::release(std::exchange(data_, std::exchange(other.data_, nullptr)));
    return *this;
  }
  ~Context() { detail::release(data_); }

  // The calling thread's current Context (empty when none was made current).
  static Context current() noexcept {
    detail::retain(detail::tls_current);
    return Context(detail::tls_current);
  }

  bool empty() const noexcept { return data_ == nullptr; }

  const SpanContext& span_context() const noexcept;
  const std::string& correlation_id() const noexcept { return field(&Data::correlation_id); }
  const std::string& request_id() const noexcept { return field(&Data::request_id); }
  const std::string& parent_request_id() const noexcept { return field(&Data::parent_request_id); }
  const std::string& user_id() const noexcept { return field(&Data::user_id); }
  const std::string& session_id() const noexcept { return field(&Data::session_id); }
  const std::string& operation_name() const noexcept { return field(&Data::operation_name); }
  const std::string& plugin() const noexcept { return field(&Data::plugin); }
  const std::string& operation_id() const noexcept { return field(&Data::operation_id); }
  const BusinessContext& business_context() const noexcept {
    return data_ ? data_->business_context : detail::empty_business_context();
  }
  const Baggage& baggage() const noexcept;
  CorrelationOrigin correlation_origin() const noexcept {
    return data_ ? data_->correlation_origin : CorrelationOrigin::kNone;
  }

  // A child Context for a unit of work inside this one: keeps the trace, the correlation ID
  // (generating one when there is none), the user and session IDs, the business context and
  // the baggage; gets a new request ID and remembers this one as its parent. Non-empty fields
  // override. Invalid IDs among the fields are ignored and counted (see is_valid_id).
  Context child(const CorrelationFields& fields) const;

  // Copies with one part replaced. IDs are validated as above: an invalid one is ignored
  // (the copy keeps the old value) and counted; an empty one clears the field.
  Context with_span_context(SpanContext span_context) const&;
  // The same for a Context about to be discarded: when it is the only reference to its data,
  // that data is reused instead of copied (the request path builds its Context this way).
  Context with_span_context(SpanContext span_context) &&;
  Context with_correlation_id(std::string_view id) const;
  Context with_user_id(std::string_view id) const;
  Context with_session_id(std::string_view id) const;
  Context with_business_field(std::string_view key, std::string_view value) const;
  Context with_baggage(Baggage baggage) const;
  // The same request, marked as work of a plugin (mmf/plugins.h): no new request ID.
  Context with_plugin(std::string_view plugin) const;

  // True when both refer to the same immutable block (a cheap identity test).
  bool same_as(const Context& other) const noexcept { return data_ == other.data_; }

 private:
  using Data = detail::ContextData;
  friend class ContextScope;
  friend struct ContextAccess;

  explicit Context(const Data* adopted) noexcept : data_(adopted) {}
  const std::string& field(std::string Data::*member) const noexcept {
    return data_ ? data_->*member : detail::empty_string();
  }
  // A private copy of the data to modify before publishing (a fresh block when empty).
  Data* clone() const;

  const Data* data_ = nullptr;
};

// Makes a Context current for its lifetime, then restores the previous one. Scopes nest, and
// restore correctly when an exception unwinds them. Not copyable or movable: it lives on the
// stack (or in a coroutine frame) of the code it covers.
class [[nodiscard]] ContextScope {
 public:
  explicit ContextScope(Context context) noexcept
      : previous_(std::exchange(detail::tls_current, std::exchange(context.data_, nullptr))) {}
  ~ContextScope() { detail::release(std::exchange(detail::tls_current, previous_)); }

  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  const detail::ContextData* previous_;  // owned reference
};

// Runs the code it covers with no current Context, then restores the thread's own. For event
// loops, executors and thread pools that run work for many requests: wrapping each task (or
// each coroutine start or resumption) in one guarantees that nothing a task leaves current can
// reach the next one.
class [[nodiscard]] IsolationScope {
 public:
  IsolationScope() noexcept : scope_(Context()) {}

 private:
  ContextScope scope_;
};

// A child of the current Context (Context::child) made current for the scope's lifetime.
class [[nodiscard]] CorrelationScope {
 public:
  explicit CorrelationScope(const CorrelationFields& fields);
  CorrelationScope(const CorrelationScope&) = delete;
  CorrelationScope& operator=(const CorrelationScope&) = delete;

 private:
  ContextScope scope_;
};

// Runs fn inside a CorrelationScope built from fields and returns what fn returns.
template <class Fn>
decltype(auto) with_correlation(const CorrelationFields& fields, Fn&& fn) {
  CorrelationScope scope(fields);
  return std::invoke(std::forward<Fn>(fn));
}

// Fields of the current Context. Empty strings when unset. The reference stays valid until the
// current Context of this thread changes (a scope ends, a set_* call): copy it to keep it.
inline const std::string& get_correlation_id() noexcept {
  const detail::ContextData* data = detail::tls_current;
  return data ? data->correlation_id : detail::empty_string();
}
inline const std::string& get_request_id() noexcept {
  const detail::ContextData* data = detail::tls_current;
  return data ? data->request_id : detail::empty_string();
}
inline const std::string& get_user_id() noexcept {
  const detail::ContextData* data = detail::tls_current;
  return data ? data->user_id : detail::empty_string();
}
inline const std::string& get_session_id() noexcept {
  const detail::ContextData* data = detail::tls_current;
  return data ? data->session_id : detail::empty_string();
}
inline const BusinessContext& get_business_context() noexcept {
  const detail::ContextData* data = detail::tls_current;
  return data ? data->business_context : detail::empty_business_context();
}

// Change a field of the current Context (copy-on-write): the innermost scope sees the new
// value until it ends, then the enclosing value returns. Outside every scope the change stays
// on this thread until the thread ends. Invalid IDs are ignored and counted; returns whether
// the value was taken.
bool set_user_id(std::string_view id);
bool set_session_id(std::string_view id);
bool set_correlation_id(std::string_view id);
bool set_business_field(std::string_view key, std::string_view value);

// Hand-off to other threads. capture() takes the current Context; restore() makes it current
// in the scope it returns:  auto ctx = mmf::capture();  pool.post([ctx] { auto s =
// mmf::restore(ctx); ... });
inline Context capture() noexcept { return Context::current(); }
inline ContextScope restore(Context context) noexcept { return ContextScope(std::move(context)); }

// Wraps fn so that, wherever and whenever it runs, it runs with the Context that was current at
// bind() time (or the given one), and leaves the running thread's Context as it found it.
template <class Fn>
auto bind(Context context, Fn&& fn) {
  return [context = std::move(context),
          fn = std::forward<Fn>(fn)](auto&&... args) mutable -> decltype(auto) {
    ContextScope scope(context);
    return std::invoke(fn, std::forward<decltype(args)>(args)...);
  };
}
template <class Fn>
auto bind(Fn&& fn) {
  return bind(Context::current(), std::forward<Fn>(fn));
}

// Counters of what the context and propagation code refused, truncated or dropped, since the
// process started. The metrics endpoint publishes them as mmf_telemetry_* series.
struct PropagationCounters {
  std::uint64_t ids_rejected = 0;             // correlation/request/user/session IDs refused
  std::uint64_t traceparent_invalid = 0;      // traceparent present but unusable
  std::uint64_t tracestate_invalid = 0;       // tracestate dropped as invalid
  std::uint64_t tracestate_truncated = 0;     // tracestate members dropped to fit the limits
  std::uint64_t baggage_members_invalid = 0;  // baggage members skipped as malformed
  std::uint64_t baggage_members_dropped = 0;  // baggage members over the count or size limit
  std::uint64_t business_fields_dropped = 0;  // business fields over budget or badly named
  std::uint64_t b3_invalid = 0;               // B3 headers present but unusable
  std::uint64_t headers_oversized = 0;        // header values over the size limit, ignored
};
PropagationCounters propagation_counters() noexcept;

}  // namespace mmf
