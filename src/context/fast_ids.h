// The default ID generator's per-thread state, and the tracer's fast path to it: a new span
// needs a span ID and, for a root, a trace ID. Going through IdGenerator's two virtual calls
// (each checking for a fork) cost a third of an unsampled span, and a call into ids.cc a sixth:
// the three random words are drawn here, inline, with the state loaded into registers once.
// Inside the library only.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

#include "mmf/ids.h"

namespace mmf::detail {

// Bumped in a forked child so that every thread's generator re-seeds: a child must never
// repeat its parent's IDs.
extern std::atomic<std::uint64_t> g_seed_epoch;

// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, good statistical quality.
struct Xoshiro {
  std::uint64_t s[4];
  std::uint64_t epoch;

  // Seeds from the OS (getrandom), out of line: once per thread and after a fork.
  void seed() noexcept;

  void reseed_after_fork() noexcept {
    if (epoch != g_seed_epoch.load(std::memory_order_relaxed)) [[unlikely]] {
      seed();
    }
  }

  std::uint64_t next() noexcept {
    reseed_after_fork();
    std::uint64_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    const std::uint64_t result = step(s0, s1, s2, s3);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  static std::uint64_t step(std::uint64_t& s0, std::uint64_t& s1, std::uint64_t& s2,
                            std::uint64_t& s3) noexcept {
    const std::uint64_t result = std::rotl(s1 * 5, 7) * 9;
    const std::uint64_t t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = std::rotl(s3, 45);
    return result;
  }
};

// Zero-initialised (epoch 0 never matches g_seed_epoch, and the state draws only zeros), so the
// first use seeds it, through next() or through new_span_ids()'s redraw. constinit
// and trivially destructible: other files read it directly, with no initialisation check.
extern constinit thread_local Xoshiro tls_rng;

// Draws again, from the generator's next words, whichever of the IDs came out all zeros (one
// draw in 2^64): out of line, so that new_span_ids() has no loop and no second path.
void redraw_zero_ids(TraceId* trace_id, SpanId& span_id) noexcept;

// Fresh IDs from this thread's default generator: a span ID, and a trace ID when trace_id is
// not null. Neither is ever all zeros. The IDs are built in registers (bit_cast), not in a byte
// array that is then copied: the copy would wait for the array's stores.
//
// It does not check whether the thread's generator is seeded, or was before a fork: an unseeded
// state is all zeros (tls_rng's initial state, and what the fork handler leaves in the child's
// one thread), and xoshiro draws only zeros from it, so the first draw takes the redraw path,
// whose generator calls seed it.
inline void new_span_ids(TraceId* trace_id, SpanId& span_id) noexcept {
  Xoshiro& rng = tls_rng;
  // Three words whether a trace ID is wanted or not: one path, with the generator's state in
  // registers from load to store (two paths made the compiler spill it to the stack).
  std::uint64_t s0 = rng.s[0], s1 = rng.s[1], s2 = rng.s[2], s3 = rng.s[3];
  const std::uint64_t span_word = Xoshiro::step(s0, s1, s2, s3);
  const std::array<std::uint64_t, 2> trace_words{Xoshiro::step(s0, s1, s2, s3),
                                                 Xoshiro::step(s0, s1, s2, s3)};
  rng.s[0] = s0;
  rng.s[1] = s1;
  rng.s[2] = s2;
  rng.s[3] = s3;
  span_id = SpanId(std::bit_cast<std::array<std::uint8_t, SpanId::kSize>>(span_word));
  bool zero = span_word == 0;
  if (trace_id != nullptr) {
    *trace_id = TraceId(std::bit_cast<std::array<std::uint8_t, TraceId::kSize>>(trace_words));
    zero |= (trace_words[0] | trace_words[1]) == 0;
  }
  if (zero) [[unlikely]] {
    redraw_zero_ids(trace_id, span_id);
  }
}

}  // namespace mmf::detail
