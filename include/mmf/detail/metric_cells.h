// The recording side of metrics, inline so that a bound instrument costs a few instructions.
//
// Each series keeps one cell per recording thread: a thread adds to its own cell with a plain
// load and store (no atomic read-modify-write, no shared cache line), and a collection sums the
// cells. Threads get a small dense index on first use (released when they end, for the next
// thread); a cell is allocated the first time a thread records into a series. Past kMaxThreads
// live recording threads, the others share one extra cell updated with atomic operations.
//
// Thread-safety: a cell has one writer (its thread); readers (collection) load relaxed values,
// so a total read during recording may miss the latest increments but never tears.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "mmf/detail/context_data.h"

namespace mmf::detail {

inline constexpr std::size_t kMaxRecordingThreads = 64;

// This thread's index in [0, kMaxRecordingThreads), or kMaxRecordingThreads when all are taken.
std::size_t acquire_metric_thread_index() noexcept;
inline constinit thread_local std::size_t tls_metric_index = static_cast<std::size_t>(-1);
inline std::size_t metric_thread_index() noexcept {
  const std::size_t index = tls_metric_index;
  if (index != static_cast<std::size_t>(-1)) [[likely]]
    return index;
  return acquire_metric_thread_index();
}

// Adds to a double with one writer: a plain read and write of the atomic, no lock prefix.
inline void add_single_writer(std::atomic<double>& cell, double value) noexcept {
  cell.store(cell.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
}
inline void add_shared(std::atomic<double>& cell, double value) noexcept {
  double current = cell.load(std::memory_order_relaxed);
  while (!cell.compare_exchange_weak(current, current + value, std::memory_order_relaxed)) {
  }
}
inline void add_single_writer(std::atomic<std::uint64_t>& cell, std::uint64_t value) noexcept {
  cell.store(cell.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
}
inline void add_single_writer(std::atomic<std::int64_t>& cell, std::int64_t value) noexcept {
  cell.store(cell.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
}

// Whether value is a whole number that an int64 holds exactly (|value| < 2^53). Whole
// increments go to an integer cell: an integer add is quicker than a floating-point one, and
// the cell is added to on every call.
inline bool is_whole(double value, std::int64_t& whole) noexcept {
  if (!(value > -9007199254740992.0 && value < 9007199254740992.0)) return false;
  whole = static_cast<std::int64_t>(value);
  return static_cast<double>(whole) == value;
}

// The latest exemplar of a cell: written by its thread under a sequence number, read by
// collection, which retries (or gives up) when it sees a write in progress.
struct ExemplarSlot {
  std::atomic<std::uint64_t> sequence{0};  // odd while written
  std::atomic<double> value{0};
  std::atomic<std::int64_t> time_unix_nano{0};
  std::atomic<std::uint64_t> trace_high{0};
  std::atomic<std::uint64_t> trace_low{0};
  std::atomic<std::uint64_t> span{0};
};

// The sampled span of the current Context, or nullptr: what an exemplar links to.
inline const SpanContext* sampled_current_span() noexcept {
  const ContextData* data = tls_current;
  if (data == nullptr || !data->span_context.is_sampled() || !data->span_context.is_valid()) {
    return nullptr;
  }
  return &data->span_context;
}

// time_unix_nano: when the value was measured, if the caller has read the clock already; 0: now.
void write_exemplar(ExemplarSlot& slot, double value, const SpanContext& span,
                    std::int64_t time_unix_nano = 0) noexcept;

struct alignas(64) ScalarCell {
  std::atomic<std::int64_t> whole{0};  // the whole-number increments
  std::atomic<double> value{0};        // the others
  ExemplarSlot exemplar;
};

struct alignas(64) HistogramCell {
  explicit HistogramCell(std::size_t buckets)
      : counts(new std::atomic<std::uint64_t>[buckets]()), exemplars(new ExemplarSlot[buckets]) {}
  std::atomic<double> sum{0};
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts;
  std::unique_ptr<ExemplarSlot[]> exemplars;
};

// Finds a value's histogram bucket: how many bounds are below it (a value equal to a bound
// belongs to that bound's bucket). A scan from the first bound would compare up to every bound
// (14 with the default buckets) and mispredict where it stops when values vary; instead, a
// positive value's binary exponent indexes a table of where its binade starts among the bounds,
// and the scan goes on from there past the few bounds (usually 0 to 2) inside the binade.
class BucketFinder {
 public:
  // bounds: ascending, finite; must outlive the finder.
  BucketFinder(const double* bounds, std::size_t count);

  std::size_t bound_count() const noexcept { return count_; }

  std::size_t bucket_of(double value) const noexcept {
    std::size_t bucket = 0;
    if (value > 0) [[likely]] {
      std::uint64_t bits;
      std::memcpy(&bits, &value, sizeof bits);
      std::uint32_t exponent = static_cast<std::uint32_t>(bits >> 52);  // sign bit is 0
      exponent = exponent < low_ ? low_ : exponent > high_ ? high_ : exponent;
      bucket = starts_[exponent - low_];
    }
    while (bucket < count_ && value > bounds_[bucket]) ++bucket;
    return bucket;
  }

 private:
  const double* bounds_;
  std::size_t count_;
  std::uint32_t low_ = 0;   // exponents below are treated as low_
  std::uint32_t high_ = 0;  // and above as high_
  // starts_[e - low_]: how many bounds are below 2^(e - 1023), the start of binade e.
  std::unique_ptr<std::uint32_t[]> starts_;
};

class ScalarSeries;
class HistogramSeries;
ScalarCell* make_scalar_cell(ScalarSeries& series, std::size_t index) noexcept;
HistogramCell* make_histogram_cell(HistogramSeries& series, std::size_t index) noexcept;

// A counter's or up-down counter's series.
class ScalarSeries {
 public:
  ScalarSeries() = default;
  ScalarSeries(const ScalarSeries&) = delete;
  ScalarSeries& operator=(const ScalarSeries&) = delete;
  ~ScalarSeries() {
    for (auto& cell : cells_) delete cell.load(std::memory_order_relaxed);
  }

  void add(double value, bool with_exemplar) noexcept {
    const std::size_t index = metric_thread_index();
    ScalarCell* cell = cells_[index].load(std::memory_order_acquire);
    if (cell == nullptr) [[unlikely]] {
      cell = make_scalar_cell(*this, index);
      if (cell == nullptr) return;  // out of memory: the value is lost
    }
    std::int64_t whole = 0;
    if (index == kMaxRecordingThreads) [[unlikely]] {
      if (is_whole(value, whole)) {
        cell->whole.fetch_add(whole, std::memory_order_relaxed);
      } else {
        add_shared(cell->value, value);
      }
    } else if (is_whole(value, whole)) [[likely]] {
      add_single_writer(cell->whole, whole);
    } else {
      add_single_writer(cell->value, value);
    }
    if (with_exemplar) {
      if (const SpanContext* span = sampled_current_span())
        write_exemplar(cell->exemplar, value, *span);
    }
  }

  std::atomic<ScalarCell*> cells_[kMaxRecordingThreads + 1] = {};
  // Bit i is set once cells_[i] exists (i < kMaxRecordingThreads), so that collection visits
  // the cells in use instead of every slot.
  std::atomic<std::uint64_t> used_cells{0};
  std::atomic<double> last_value{0};  // a gauge's value (set() writes it; the cells are unused)
  std::int64_t start_time_unix_nano = 0;
};

// A histogram's series. bounds_ points at the instrument's bounds (ascending).
class HistogramSeries {
 public:
  explicit HistogramSeries(const BucketFinder& buckets) noexcept : buckets_(&buckets) {}
  HistogramSeries(const HistogramSeries&) = delete;
  HistogramSeries& operator=(const HistogramSeries&) = delete;
  ~HistogramSeries() {
    for (auto& cell : cells_) delete cell.load(std::memory_order_relaxed);
  }

  // time_unix_nano: the exemplar's time, when the caller has read the clock already (one
  // reading for the several histograms of a request); 0: the clock is read if an exemplar is kept.
  void observe(double value, std::int64_t time_unix_nano = 0) noexcept {
    const std::size_t bucket = buckets_->bucket_of(value);
    const std::size_t index = metric_thread_index();
    HistogramCell* cell = cells_[index].load(std::memory_order_acquire);
    if (cell == nullptr) [[unlikely]] {
      cell = make_histogram_cell(*this, index);
      if (cell == nullptr) return;
    }
    if (index == kMaxRecordingThreads) [[unlikely]] {
      cell->counts[bucket].fetch_add(1, std::memory_order_relaxed);
      add_shared(cell->sum, value);
    } else {
      add_single_writer(cell->counts[bucket], 1);
      add_single_writer(cell->sum, value);
    }
    if (const SpanContext* span = sampled_current_span()) {
      write_exemplar(cell->exemplars[bucket], value, *span, time_unix_nano);
    }
  }

  std::size_t bucket_count() const noexcept { return buckets_->bound_count() + 1; }

  std::atomic<HistogramCell*> cells_[kMaxRecordingThreads + 1] = {};
  std::atomic<std::uint64_t> used_cells{0};  // as ScalarSeries::used_cells
  std::int64_t start_time_unix_nano = 0;

 private:
  const BucketFinder* buckets_;  // the instrument's
};

}  // namespace mmf::detail
