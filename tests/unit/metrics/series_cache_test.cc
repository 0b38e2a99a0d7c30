// The per-thread cache of histogram series (metrics/series_cache.h): a hit only for the exact
// key it was stored under, one cache per thread, nothing kept for overlong texts. The series
// pointers are never followed, so stand-ins do.
#include "metrics/series_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace mmf::detail {
namespace {

HistogramSeries* stand_in(int n) {
  static char bytes[8];
  return reinterpret_cast<HistogramSeries*>(&bytes[n]);
}

const CachedSeries kSeries = {stand_in(1), stand_in(2), stand_in(3)};

TEST(SeriesCache, OwnersAreUniqueAndNeverZero) {
  const std::uint64_t first = new_series_cache_owner();
  const std::uint64_t second = new_series_cache_owner();
  EXPECT_NE(first, 0u);
  EXPECT_NE(second, 0u);
  EXPECT_NE(first, second);
}

TEST(SeriesCache, FindsWhatWasStoredUnderTheSameKeyOnly) {
  const std::uint64_t owner = new_series_cache_owner();
  EXPECT_EQ(find_cached_series(owner, 1, "/users/{id}", 200), nullptr);
  store_cached_series(owner, 1, "/users/{id}", 200, kSeries);
  const CachedSeries* found = find_cached_series(owner, 1, "/users/{id}", 200);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, kSeries);

  EXPECT_EQ(find_cached_series(owner, 2, "/users/{id}", 200), nullptr);  // another tag
  EXPECT_EQ(find_cached_series(owner, 1, "/users/{id}", 404), nullptr);  // another code
  EXPECT_EQ(find_cached_series(owner, 1, "/users/{name}", 200), nullptr);
  EXPECT_EQ(find_cached_series(new_series_cache_owner(), 1, "/users/{id}", 200), nullptr);
}

TEST(SeriesCache, AnotherThreadHasItsOwnCache) {
  const std::uint64_t owner = new_series_cache_owner();
  store_cached_series(owner, 0, "pkg.Service/Method", 0, kSeries);
  const CachedSeries* elsewhere = &kSeries;
  std::thread([&] { elsewhere = find_cached_series(owner, 0, "pkg.Service/Method", 0); }).join();
  EXPECT_EQ(elsewhere, nullptr);
  EXPECT_NE(find_cached_series(owner, 0, "pkg.Service/Method", 0), nullptr);
}

TEST(SeriesCache, OverlongTextsAndTheNullOwnerAreNotKept) {
  const std::uint64_t owner = new_series_cache_owner();
  const std::string longest(kMaxSeriesCacheText, 'a');
  const std::string too_long(kMaxSeriesCacheText + 1, 'a');
  store_cached_series(owner, 0, longest, 0, kSeries);
  store_cached_series(owner, 0, too_long, 0, kSeries);
  store_cached_series(0, 0, "x", 0, kSeries);
  EXPECT_NE(find_cached_series(owner, 0, longest, 0), nullptr);
  EXPECT_EQ(find_cached_series(owner, 0, too_long, 0), nullptr);
  EXPECT_EQ(find_cached_series(0, 0, "x", 0), nullptr);
}

TEST(SeriesCache, ManyKeysOnOneThreadNeverGiveAnotherKeysSeries) {
  const std::uint64_t owner = new_series_cache_owner();
  for (int code = 0; code < 200; ++code) {
    const CachedSeries series = {stand_in(code % 8), nullptr, nullptr};
    store_cached_series(owner, 0, "m", code, series);
  }
  for (int code = 0; code < 200; ++code) {
    if (const CachedSeries* found = find_cached_series(owner, 0, "m", code)) {
      EXPECT_EQ((*found)[0], stand_in(code % 8)) << code;
    }
  }
  EXPECT_NE(find_cached_series(owner, 0, "m", 199), nullptr);  // the last one stored stays
}

// The slot comes from a few words of the text (its first, middle and last eight bytes): two
// texts that agree there share a slot, and the full comparison still tells them apart.
TEST(SeriesCache, TextsThatShareASlotNeverGetEachOthersSeries) {
  const std::uint64_t owner = new_series_cache_owner();
  std::string one(40, 'r');
  std::string other = one;
  one[10] = 'a';  // outside bytes 0-7, 16-23 and 32-39
  other[10] = 'b';
  const CachedSeries other_series = {stand_in(4), nullptr, nullptr};
  store_cached_series(owner, 0, one, 200, kSeries);
  EXPECT_EQ(find_cached_series(owner, 0, other, 200), nullptr);
  store_cached_series(owner, 0, other, 200, other_series);
  const CachedSeries* found = find_cached_series(owner, 0, other, 200);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, other_series);
  EXPECT_EQ(find_cached_series(owner, 0, one, 200), nullptr);  // replaced in their shared slot
}

TEST(SeriesCache, TextsOfEveryLengthComeBackWhole) {
  const std::uint64_t owner = new_series_cache_owner();
  for (std::size_t size = 0; size <= kMaxSeriesCacheText; ++size) {
    std::string text(size, ' ');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    store_cached_series(owner, 3, text, 200, kSeries);
    EXPECT_NE(find_cached_series(owner, 3, text, 200), nullptr) << size;
    if (size > 0) {
      std::string changed = text;
      changed[size - 1] = '#';
      EXPECT_EQ(find_cached_series(owner, 3, changed, 200), nullptr) << size;
    }
  }
}

}  // namespace
}  // namespace mmf::detail
