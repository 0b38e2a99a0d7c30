#include "metrics/series_cache.h"

#include <atomic>
#include <functional>
#include <string>

namespace mmf::detail {
namespace {

struct Entry {
  std::uint64_t owner = 0;  // 0: an empty slot
  int code = 0;
  std::uint8_t tag = 0;
  std::string text;
  CachedSeries series{};
};

constexpr std::size_t kSlots = 16;  // a power of two
thread_local std::array<Entry, kSlots> tls_entries;

std::atomic<std::uint64_t> next_owner{1};

Entry& slot(std::uint64_t owner, std::uint8_t tag, std::string_view text, int code) noexcept {
  std::uint64_t h = std::hash<std::string_view>{}(text);
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
  if (entry.owner == owner && entry.code == code && entry.tag == tag && entry.text == text) {
    return &entry.series;
  }
  return nullptr;
}

void store_cached_series(std::uint64_t owner, std::uint8_t tag, std::string_view text, int code,
                         const CachedSeries& series) noexcept {
  if (owner == 0 || text.size() > kMaxSeriesCacheText) return;
  Entry& entry = slot(owner, tag, text, code);
  entry.owner = 0;  // empty until filled: assigning the text may throw
  try {
    entry.text.assign(text);
  } catch (...) {  // no memory: not cached
    return;
  }
  entry.code = code;
  entry.tag = tag;
  entry.series = series;
  entry.owner = owner;
}

}  // namespace mmf::detail
