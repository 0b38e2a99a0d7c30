// Implementation detail of mmf::Context, shown only so that the per-request reads
// (get_correlation_id() and friends) can be inlined. Do not use directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "mmf/baggage.h"
#include "mmf/trace_context.h"

namespace mmf {

// Business fields of a request (cart ID, tenant, order number...): a small ordered string map.
using BusinessContext = std::map<std::string, std::string, std::less<>>;

// Where a Context's correlation ID came from.
enum class CorrelationOrigin : std::uint8_t {
  kNone,       // no correlation ID
  kLocal,      // set or generated in this process (a CorrelationScope)
  kIncoming,   // arrived with the request (header or baggage) and passed validation
  kGenerated,  // the request carried none, so one was generated
  kRejected,   // the request carried an invalid one; it was replaced by a generated one
};

namespace detail {

// One immutable, reference-counted block per Context. Never modified after it is published;
// "changes" build a new block (copy-on-write).
struct ContextData {
  mutable std::atomic<std::uint32_t> refs{1};
  SpanContext span_context;
  std::string correlation_id;
  std::string request_id;
  std::string parent_request_id;
  std::string user_id;
  std::string session_id;
  std::string operation_name;
  std::string operation_id;
  std::string plugin;
  BusinessContext business_context;
  Baggage baggage;
  CorrelationOrigin correlation_origin = CorrelationOrigin::kNone;
};

void destroy(const ContextData* data) noexcept;

inline void retain(const ContextData* data) noexcept {
  if (data != nullptr) data->refs.fetch_add(1, std::memory_order_relaxed);
}

inline void release(const ContextData* data) noexcept {
  if (data != nullptr && data->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(data);
}

// The current Context of this thread. The slot owns one reference to what it points at.
// initial-exec: a single instruction to reach it, even when the library is a shared object.
extern constinit thread_local const ContextData* tls_current
    __attribute__((tls_model("initial-exec")));

// What the fields read as when no Context is current. Inline, so that a getter outside every
// scope costs a guard check and a load, where the call into the library cost most of
// get_correlation_id()'s 2.6-3.0 ns. (Both compilers check a guard: the objects have
// destructors to register. A constinit std::string would need none, but clang 14 cannot
// constant-initialise libstdc++ 12's.)
inline const std::string& empty_string() noexcept {
  static const std::string empty;
  return empty;
}
inline const BusinessContext& empty_business_context() noexcept {
  static const BusinessContext empty;
  return empty;
}

}  // namespace detail
}  // namespace mmf
