// Identifier generation: trace and span IDs, and the UUIDv7 correlation and request IDs.
//
// The default generator keeps one small random state per thread (xoshiro256**, seeded from the
// operating system with getrandom(2) and re-seeded in a child after fork()), so generating an ID
// takes no lock and no system call. Trace IDs are fully random, which is what the W3C Level 2
// random flag promises; neither kind of ID is ever all zeros.
//
// IdGenerator is a seam: pass your own to the Propagator (and, later, to the Tracer) to get
// predictable IDs in tests. Implementations must be safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mmf/trace_context.h"

namespace mmf {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual TraceId new_trace_id() noexcept = 0;
  virtual SpanId new_span_id() noexcept = 0;
  // A correlation or request ID: 36 characters, the UUID text form.
  virtual std::string new_correlation_id() = 0;
};

// The process-wide default generator described above. Never null; lives forever.
IdGenerator& default_id_generator() noexcept;

// Fresh IDs from the default generator.
TraceId new_trace_id() noexcept;
SpanId new_span_id() noexcept;
// An RFC 9562 UUIDv7: 48-bit Unix milliseconds, 12 bits of sub-millisecond time (so IDs from one
// thread sort in creation order), 62 random bits; lowercase,
// "xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx".
std::string new_uuid_v7();

// A uniformly random 64-bit number from this thread's generator.
std::uint64_t random_u64() noexcept;

// Checks the text form of any UUID version (8-4-4-4-12 hex digits, any case).
bool is_uuid(std::string_view text) noexcept;

}  // namespace mmf
