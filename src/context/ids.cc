#include "mmf/ids.h"

#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>

#include "context/fast_ids.h"
#include "propagation/hex.h"

namespace mmf {

std::atomic<std::uint64_t> detail::g_seed_epoch{1};
constinit thread_local detail::Xoshiro detail::tls_rng{};

namespace {

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// This thread's last UUIDv7: (milliseconds << 12 | fraction) and its 62 random bits.
struct LastUuid {
  std::uint64_t stamp;
  std::uint64_t random;
};
constinit thread_local LastUuid tls_last_uuid{};

// In the child, only the thread that forked exists. Its generator goes back to the unseeded
// state (which new_span_ids() recognises by its zero draws, with no check of its own); the
// epoch makes next() re-seed too.
void on_fork_child() noexcept {
  detail::g_seed_epoch.fetch_add(1, std::memory_order_relaxed);
  detail::tls_rng = detail::Xoshiro{};
}

[[maybe_unused]] const int g_fork_handler = [] {
  pthread_atfork(nullptr, nullptr, &on_fork_child);
  return 0;
}();

class DefaultIdGenerator final : public IdGenerator {
 public:
  TraceId new_trace_id() noexcept override { return mmf::new_trace_id(); }
  SpanId new_span_id() noexcept override { return mmf::new_span_id(); }
  std::string new_correlation_id() override { return new_uuid_v7(); }
};

}  // namespace

void detail::Xoshiro::seed() noexcept {
  std::uint64_t seed_words[4] = {};
  ssize_t got = getrandom(seed_words, sizeof seed_words, GRND_NONBLOCK);
  // getrandom cannot fail once the kernel pool is initialised; the fallback only guards
  // against a very early boot or a seccomp filter, mixing what differs between threads.
  std::uint64_t mix = static_cast<std::uint64_t>(
      std::chrono::high_resolution_clock::now().time_since_epoch().count());
  mix ^= reinterpret_cast<std::uintptr_t>(this) ^ (static_cast<std::uint64_t>(getpid()) << 32);
  if (got != static_cast<ssize_t>(sizeof seed_words)) {
    for (auto& word : seed_words) word ^= splitmix64(mix);
  }
  for (int i = 0; i < 4; ++i) s[i] = splitmix64(seed_words[i]);
  epoch = g_seed_epoch.load(std::memory_order_relaxed);
}

using detail::tls_rng;

std::uint64_t random_u64() noexcept { return tls_rng.next(); }

// The IDs are built in registers (bit_cast), not in a byte array that is then copied: the copy
// would wait for the array's stores.
TraceId new_trace_id() noexcept {
  std::array<std::uint64_t, 2> words{};
  do {
    words[0] = tls_rng.next();
    words[1] = tls_rng.next();
  } while (words[0] == 0 && words[1] == 0);
  return TraceId(std::bit_cast<std::array<std::uint8_t, TraceId::kSize>>(words));
}

SpanId new_span_id() noexcept {
  std::uint64_t value = 0;
  do {
    value = tls_rng.next();
  } while (value == 0);
  return SpanId(std::bit_cast<std::array<std::uint8_t, SpanId::kSize>>(value));
}

void detail::redraw_zero_ids(TraceId* trace_id, SpanId& span_id) noexcept {
  if (trace_id != nullptr && !trace_id->is_valid()) *trace_id = new_trace_id();
  if (!span_id.is_valid()) span_id = new_span_id();
}

std::string new_uuid_v7() {
  using namespace std::chrono;
  const auto since_epoch = system_clock::now().time_since_epoch();
  const auto millis = static_cast<std::uint64_t>(duration_cast<milliseconds>(since_epoch).count());
  const auto nanos = static_cast<std::uint64_t>(duration_cast<nanoseconds>(since_epoch).count());
  // RFC 9562 §6.2 method 3: the 12 bits after the milliseconds carry the sub-millisecond
  // fraction (in units of 1/4096 ms). Within one such tick, a thread's next ID adds a random
  // increment to the previous random bits instead (method 2, "monotonic random"), so one
  // thread's IDs always sort in creation order and the time fields stay exact.
  std::uint64_t stamp = (millis << 12) | (((nanos % 1'000'000) * 4096) / 1'000'000);
  std::uint64_t random = 0;
  constexpr std::uint64_t kRandomBits = (std::uint64_t{1} << 62) - 1;
  if (stamp <= tls_last_uuid.stamp) {
    stamp = tls_last_uuid.stamp;
    random = tls_last_uuid.random + 1 + (tls_rng.next() & 0xffffffff);
    if (random > kRandomBits) {  // increments used up (needs ~2^29 IDs in one tick): next tick
      ++stamp;
      random = tls_rng.next() >> 3;
    }
  } else {
    random = tls_rng.next() >> 3;  // 61 bits: leaves room for the increments
  }
  tls_last_uuid = {stamp, random};
  const std::uint64_t stamp_millis = stamp >> 12;
  const std::uint64_t sub_ms = stamp & 0xfff;

  std::uint8_t b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(stamp_millis >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | ((sub_ms >> 8) & 0x0f));  // version 7
  b[7] = static_cast<std::uint8_t>(sub_ms & 0xff);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<std::uint8_t>(random >> (56 - 8 * i));
  b[8] |= 0x80;  // variant 10 (random holds 62 bits, so the top two are clear)

  // 32 hex digits at once, then the 8-4-4-4-12 groups.
  char hex[32];
  detail::encode_hex(b, 16, hex);
  char text[36];
  std::memcpy(text, hex, 8);
  text[8] = '-';
  std::memcpy(text + 9, hex + 8, 4);
  text[13] = '-';
  std::memcpy(text + 14, hex + 12, 4);
  text[18] = '-';
  std::memcpy(text + 19, hex + 16, 4);
  text[23] = '-';
  std::memcpy(text + 24, hex + 20, 12);
  return std::string(text, sizeof text);
}

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

IdGenerator& default_id_generator() noexcept {
  static DefaultIdGenerator generator;
  return generator;
}

}  // namespace mmf
