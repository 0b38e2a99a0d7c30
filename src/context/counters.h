// Process-wide counters behind mmf::propagation_counters(). They count rare events (refused
// or truncated input), so plain relaxed atomics are cheap enough and never contended in the
// common case.
#pragma once

#include <atomic>
#include <cstdint>

namespace mmf::detail {

struct Counters {
  std::atomic<std::uint64_t> ids_rejected{0};
  std::atomic<std::uint64_t> traceparent_invalid{0};
  std::atomic<std::uint64_t> tracestate_invalid{0};
  std::atomic<std::uint64_t> tracestate_truncated{0};
  std::atomic<std::uint64_t> baggage_members_invalid{0};
  std::atomic<std::uint64_t> baggage_members_dropped{0};
  std::atomic<std::uint64_t> business_fields_dropped{0};
  std::atomic<std::uint64_t> b3_invalid{0};
  std::atomic<std::uint64_t> headers_oversized{0};
};

Counters& counters() noexcept;

inline void count(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
  if (n != 0) counter.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace mmf::detail
