#include "metrics/series_cache.h"

#include <atomic>
#include <cstring>

namespace mmf::detail {
namespace {

// The text is kept inline, so an entry (and the thread's array of them) has no destructor:
// the array is constant-initialised and read with no initialisation check per access.
struct Entry {
  std::uint64_t owner = 0;  // 0: an empty slot
  int code = 0;
  std::uint8_t tag = 0;
  std::uint8_t text_size = 0;
  char text[kMaxSeriesCacheText];
  CachedSeries series{};

  std::string_view view() const noexcept { return {text, text_size}; }
};
static_assert(kMaxSeriesCacheText <= 255, "text_size is one byte");

constexpr std::size_t kSlots = 16;  // a power of two
constinit thread_local std::array<Entry, kSlots> tls_entries{};

std::atomic<std::uint64_t> next_owner{1};

// A few words of the text, mixed (its first, middle and last eight bytes and its length): a
// handful of instructions where std::hash reads every byte through a library call. Two texts
// that agree on those bytes only share a slot, and the full comparison tells them apart.
std::uint64_t text_hash(std::string_view text) noexcept {
  const std::size_t size = text.size();
  std::uint64_t first = 0;
  std::uint64_t middle = 0;
  std::uint64_t last = 0;
  if (size >= 8) {
    std::memcpy(&first, text.data(), 8);
    std::memcpy(&middle, text.data() + size / 2 - 4, 8);
    std::memcpy(&last, text.data() + size - 8, 8);
  } else {
    for (std::size_t i = 0; i < size; ++i) {
      first |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[i])) << (8 * i);
    }
  }
  std::uint64_t h = (first ^ (size * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ middle ^ (h >> 31)) * 0x94d049bb133111ebULL;
  return (h ^ last ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
}

Entry& slot(std::uint64_t owner, std::uint8_t tag, std::string_view text, int code) noexcept {
  std::uint64_t h = text_hash(text);
  h ^= owner * 0x9e3779b97f4a7c15ULL ^ (static_cast<std::uint64_t>(code) << 8) ^ tag;
  h ^= h >> 29;
  return tls_entries[h & (kSlots - 1)];
}

}  // namespace

std::uint64_t new_series_cache_owner() noexcept {
  return next_owner.fetch_add(1, std::memory_order_relaxed);
}

const CachedSeries* find_cached_series(std::uint64_t owner, std::uint8_t tag, std::string_view text,
                                       int code) noexcept {
  if (owner == 0 || text.size() > kMaxSeriesCacheText) return nullptr;
  const Entry& entry = slot(owner, tag, text, code);
  if (entry.owner == owner && entry.code == code && entry.tag == tag && entry.view() == text) {
    return &entry.series;
  }
  return nullptr;
}

void store_cached_series(std::uint64_t owner, std::uint8_t tag, std::string_view text, int code,
                         const CachedSeries& series) noexcept {
  if (owner == 0 || text.size() > kMaxSeriesCacheText) return;
  Entry& entry = slot(owner, tag, text, code);
  std::memcpy(entry.text, text.data(), text.size());
  entry.text_size = static_cast<std::uint8_t>(text.size());
  entry.code = code;
  entry.tag = tag;
  entry.series = series;
  entry.owner = owner;
}

}  // namespace mmf::detail
