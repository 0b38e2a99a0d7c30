// A small per-thread cache of the histogram series that instrumentation records into when a
// request or call ends, so that the usual request ends without label lookups (hashing and
// comparing three label values per histogram costs more than the observations themselves).
//
// Entries are keyed by an owner id, a small tag, a text and a code: for the HTTP server the
// instrumentation, the method, the route and the status; for gRPC the call metrics, nothing,
// the full method name and the status code. Owner ids come from new_series_cache_owner(), never
// from addresses: an owner made where a destroyed one lived (with another registry) gets a new
// id, so the series of the old one are never reached again. Only series that stay valid may be
// stored (MetricsAccess::find's `lasting`: never the overflow series, whose every recording is
// counted).
//
// Direct-mapped, sixteen entries a thread: a collision only costs the lookups. Texts longer
// than kMaxSeriesCacheText are not kept; the others are kept inline, so a thread's cache is a
// fixed array of about three kilobytes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "metrics/registry.h"

namespace mmf::detail {

inline constexpr std::size_t kMaxCachedSeries = 3;
inline constexpr std::size_t kMaxSeriesCacheText = 128;

using CachedSeries = std::array<HistogramSeries*, kMaxCachedSeries>;

// A process-unique owner id (never 0).
std::uint64_t new_series_cache_owner() noexcept;

// The series stored for the key on this thread, or nullptr.
const CachedSeries* find_cached_series(std::uint64_t owner, std::uint8_t tag, std::string_view text,
                                       int code) noexcept;

// Keeps series for the key on this thread (replacing what shared its slot). Does nothing when
// the text is too long.
void store_cached_series(std::uint64_t owner, std::uint8_t tag, std::string_view text, int code,
                         const CachedSeries& series) noexcept;

}  // namespace mmf::detail
