#include "metrics/registry.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "trace/clock.h"

namespace mmf::detail {
namespace {

constexpr std::size_t kInitialSlots = 16;

// The first and last up-to-8 bytes of text as two words, with fixed-size loads only (no call
// to memcpy, no byte loop for the usual short label values and names).
inline Ends ends_of(std::string_view text) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  Ends ends;
  if (n >= 8) {
    std::memcpy(&ends.first, p, 8);
    std::memcpy(&ends.last, p + n - 8, 8);
  } else if (n >= 4) {
    std::uint32_t a;
    std::uint32_t b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    ends.first = a;
    ends.last = b;
  } else if (n > 0) {
    ends.first = std::uint64_t{static_cast<unsigned char>(p[0])} |
                 std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
                 std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
  }
  return ends;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text.substr(0, 128)) + (text.size() > 128 ? "...'" : "'");
}

bool is_identity_label(std::string_view name) noexcept {
  return name == "user_id" || name == "session_id" || name == "user" || name == "session" ||
         name == "userid" || name == "sessionid";
}

const char* kind_name(MetricKind kind) noexcept {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kUpDownCounter:
      return "up-down counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "instrument";
}

// Reads an exemplar slot written under a sequence number; nullopt when none was written or a
// write kept racing with the read.
std::optional<Exemplar> read_exemplar(const ExemplarSlot& slot) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::uint64_t before = slot.sequence.load(std::memory_order_acquire);
    if (before == 0) return std::nullopt;
    if ((before & 1) != 0) continue;
    Exemplar exemplar;
    exemplar.value = slot.value.load(std::memory_order_relaxed);
    exemplar.time_unix_nano = slot.time_unix_nano.load(std::memory_order_relaxed);
    const std::uint64_t words[2] = {slot.trace_high.load(std::memory_order_relaxed),
                                    slot.trace_low.load(std::memory_order_relaxed)};
    const std::uint64_t span = slot.span.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) != before) continue;
    std::array<std::uint8_t, 16> trace_bytes;
    std::memcpy(trace_bytes.data(), words, 16);
    std::array<std::uint8_t, 8> span_bytes;
    std::memcpy(span_bytes.data(), &span, 8);
    exemplar.trace_id = TraceId(trace_bytes);
    exemplar.span_id = SpanId(span_bytes);
    return exemplar;
  }
  return std::nullopt;
}

// The newer of two exemplars (by time).
void keep_latest(std::optional<Exemplar>& kept, const std::optional<Exemplar>& candidate) {
  if (candidate && (!kept || candidate->time_unix_nano > kept->time_unix_nano)) kept = candidate;
}

// Dense thread indices for the per-thread cells; an ending thread gives its index back.
std::mutex g_index_mutex;
std::vector<std::size_t> g_free_indices;
std::size_t g_next_index = 0;

struct IndexReleaser {
  ~IndexReleaser() {
    const std::size_t index = tls_metric_index;
    if (index >= kMaxRecordingThreads) return;
    std::lock_guard<std::mutex> lock(g_index_mutex);
    g_free_indices.push_back(index);
    tls_metric_index = kMaxRecordingThreads;  // a recording later in this thread's exit shares
  }
};
thread_local IndexReleaser tls_index_releaser;

}  // namespace

std::size_t acquire_metric_thread_index() noexcept {
  std::size_t index = kMaxRecordingThreads;
  try {
    std::lock_guard<std::mutex> lock(g_index_mutex);
    if (!g_free_indices.empty()) {
      index = g_free_indices.back();
      g_free_indices.pop_back();
    } else if (g_next_index < kMaxRecordingThreads) {
      index = g_next_index++;
    }
  } catch (...) {
    index = kMaxRecordingThreads;
  }
  tls_metric_index = index;
  (void)&tls_index_releaser;  // constructs the releaser, so the index is given back at exit
  return index;
}

void write_exemplar(ExemplarSlot& slot, double value, const SpanContext& span,
                    std::int64_t time_unix_nano) noexcept {
  const std::uint64_t sequence = slot.sequence.load(std::memory_order_relaxed);
  slot.sequence.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  std::uint64_t words[2];
  std::memcpy(words, span.trace_id.bytes().data(), 16);
  std::uint64_t span_word;
  std::memcpy(&span_word, span.span_id.bytes().data(), 8);
  slot.value.store(value, std::memory_order_relaxed);
  slot.time_unix_nano.store(time_unix_nano != 0 ? time_unix_nano : now_unix_nanos(),
                            std::memory_order_relaxed);
  slot.trace_high.store(words[0], std::memory_order_relaxed);
  slot.trace_low.store(words[1], std::memory_order_relaxed);
  slot.span.store(span_word, std::memory_order_relaxed);
  slot.sequence.store(sequence + 2, std::memory_order_release);
}

namespace {

void mark_used(std::atomic<std::uint64_t>& used, std::size_t index) noexcept {
  if (index < kMaxRecordingThreads) {
    used.fetch_or(std::uint64_t{1} << index, std::memory_order_release);
  }
}

// Calls fn(cell) for each cell of series that exists: those whose bit is set in used_cells, and
// the shared one. A cell created while this runs may be missed; it holds no value yet.
template <class Series, class Fn>
void for_each_cell(const Series& series, Fn fn) {
  std::uint64_t used = series.used_cells.load(std::memory_order_acquire);
  while (used != 0) {
    const int index = std::countr_zero(used);
    used &= used - 1;
    if (const auto* cell = series.cells_[index].load(std::memory_order_acquire)) fn(*cell);
  }
  if (const auto* cell = series.cells_[kMaxRecordingThreads].load(std::memory_order_acquire)) {
    fn(*cell);
  }
}

}  // namespace

ScalarCell* make_scalar_cell(ScalarSeries& series, std::size_t index) noexcept {
  auto* cell = new (std::nothrow) ScalarCell();
  if (cell == nullptr) return nullptr;
  ScalarCell* expected = nullptr;
  // The shared cell (index kMaxRecordingThreads) may be raced for by several threads.
  if (!series.cells_[index].compare_exchange_strong(expected, cell, std::memory_order_acq_rel)) {
    delete cell;
    return expected;
  }
  mark_used(series.used_cells, index);
  return cell;
}

BucketFinder::BucketFinder(const double* bounds, std::size_t count)
    : bounds_(bounds), count_(count) {
  // The window of exponents: from the smallest positive bound's to one above the largest
  // bound's. A positive value below the window is below every positive bound (its start is the
  // count of the others, as for low_); one above is above every bound (start = count).
  const auto exponent_of = [](double positive) {
    std::uint64_t bits;
    std::memcpy(&bits, &positive, sizeof bits);
    return static_cast<std::uint32_t>(bits >> 52);
  };
  std::size_t first_positive = 0;
  while (first_positive < count && !(bounds[first_positive] > 0)) ++first_positive;
  if (first_positive == count) {  // no positive bound: every positive value is above them all
    low_ = high_ = 0;
    starts_ = std::make_unique<std::uint32_t[]>(1);
    starts_[0] = static_cast<std::uint32_t>(count);
    return;
  }
  low_ = exponent_of(bounds[first_positive]);
  high_ = std::min<std::uint32_t>(exponent_of(bounds[count - 1]) + 1, 2047);
  starts_ = std::make_unique<std::uint32_t[]>(high_ - low_ + 1);
  std::size_t below = 0;
  for (std::uint32_t e = low_; e <= high_; ++e) {
    const double binade_start = std::ldexp(1.0, static_cast<int>(e) - 1023);
    while (below < count && bounds[below] < binade_start) ++below;
    starts_[e - low_] = static_cast<std::uint32_t>(below);
  }
}

HistogramCell* make_histogram_cell(HistogramSeries& series, std::size_t index) noexcept {
  HistogramCell* cell = nullptr;
  try {
    cell = new HistogramCell(series.bucket_count());
  } catch (...) {
    return nullptr;
  }
  HistogramCell* expected = nullptr;
  if (!series.cells_[index].compare_exchange_strong(expected, cell, std::memory_order_acq_rel)) {
    delete cell;
    return expected;
  }
  mark_used(series.used_cells, index);
  return cell;
}

bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

Instrument::Instrument(MetricKind kind, std::string name, std::string help, std::string unit,
                       std::vector<std::string> label_names, std::vector<double> bounds,
                       std::size_t cardinality_limit, RegistryState& registry)
    : kind_(kind),
      name_(std::move(name)),
      help_(std::move(help)),
      unit_(std::move(unit)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)),
      cardinality_limit_(cardinality_limit),
      registry_(registry) {
  for (const std::string& label : label_names_) name_ends_.push_back(ends_of(label));
  tables_.push_back(std::make_unique<Table>(kInitialSlots));
  table_.store(tables_.back().get(), std::memory_order_release);
}

namespace {

// A 64-bit finaliser (the one of MurmurHash3's fmix64 family, other constants): every input
// bit affects every output bit.
inline std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  return x ^ (x >> 32);
}

}  // namespace

// One pass over the labels: each is put at its name's position and hashed there. The hash of
// a series is the sum of its values' hashes, each mixed with its position, so that the order in
// which the labels come does not change it, and no second pass is needed. A value's hash reads
// its size and its first and last 8 bytes only: the middle of long values is left to the
// comparison that follows every hash match.
[[gnu::always_inline]] inline bool Instrument::order_and_hash(LabelValues labels,
                                                              LabelText* ordered,
                                                              std::uint64_t& hash) const noexcept {
  const std::size_t count = label_names_.size();
  if (labels.size() != count) return false;
  std::uint64_t seen = 0;  // kMaxLabels <= 64
  std::uint64_t h = 0;
  std::size_t given = 0;
  for (const auto& label : labels) {
    // (Plain variables, not a structured binding: clang 14 cannot capture those in a lambda.)
    const std::string_view name = label.first;
    const std::string_view value = label.second;
    // The given name's size and end words, compared with those kept for each label name (a
    // name of up to 16 bytes is equal when they are; longer ones are compared whole), starting
    // with the name declared at this position, where callers usually put it.
    const Ends ends = ends_of(name);
    const auto is = [&](std::size_t at) {
      return name.size() == label_names_[at].size() && ends.first == name_ends_[at].first &&
             ends.last == name_ends_[at].last && (name.size() <= 16 || name == label_names_[at]);
    };
    std::size_t at = given;
    if (!is(at)) {
      at = 0;
      while (at < count && !is(at)) ++at;
    }
    if (at == count || (seen & (std::uint64_t{1} << at)) != 0) return false;
    seen |= std::uint64_t{1} << at;
    const Ends value_ends = ends_of(value);
    ordered[at] = {value.data(), value.size(), value_ends.first, value_ends.last};
    h += mix((value_ends.first * 0x9e3779b97f4a7c15ULL) ^ value_ends.last ^
             (std::uint64_t{value.size()} << 8) ^ at);
    ++given;
  }
  hash = h;
  return true;
}

Instrument::Entry* Instrument::probe(const Table& table, std::uint64_t hash,
                                     const LabelText* values, std::size_t count) noexcept {
  for (std::size_t i = hash & table.mask;; i = (i + 1) & table.mask) {
    Entry* entry = table.slots[i].load(std::memory_order_acquire);
    if (entry == nullptr) return nullptr;
    if (entry->hash != hash) continue;
    bool same = true;
    for (std::size_t v = 0; v < count && same; ++v) {
      const ValueKey& key = entry->keys[v];
      same =
          key.size == values[v].size && key.first == values[v].first &&
          key.last == values[v].last &&
          (key.size <= 16 || std::memcmp(entry->values[v].data(), values[v].data, key.size) == 0);
    }
    if (same) return entry;
  }
}

void* Instrument::find_series(LabelValues labels, bool* overflow) noexcept {
  LabelText ordered[kMaxLabels];
  std::uint64_t h;
  if (!order_and_hash(labels, ordered, h)) {
    registry_.label_errors.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (Entry* entry =
          probe(*table_.load(std::memory_order_acquire), h, ordered, label_names_.size())) {
    return entry->series();
  }
  try {
    return insert(h, ordered, overflow);
  } catch (...) {
    return nullptr;  // out of memory: this recording is lost
  }
}

std::unique_ptr<Instrument::Entry> Instrument::make_entry(std::uint64_t hash,
                                                          const LabelText* values, bool overflow) {
  auto entry = std::make_unique<Entry>();
  entry->hash = hash;
  entry->overflow = overflow;
  if (!overflow) {
    entry->values.reserve(label_names_.size());
    entry->keys = std::make_unique<ValueKey[]>(label_names_.size());
    for (std::size_t i = 0; i < label_names_.size(); ++i) {
      entry->values.emplace_back(values[i].view());
      entry->keys[i] = {values[i].size, values[i].first, values[i].last};
    }
  }
  if (kind_ == MetricKind::kHistogram) {
    entry->histogram = std::make_unique<HistogramSeries>(buckets_);
    entry->histogram->start_time_unix_nano = now_unix_nanos();
  } else {
    entry->scalar = std::make_unique<ScalarSeries>();
    entry->scalar->start_time_unix_nano = now_unix_nanos();
  }
  return entry;
}

void* Instrument::insert(std::uint64_t hash, const LabelText* values, bool* overflow) {
  std::lock_guard<std::mutex> lock(mutex_);
  Table* table = table_.load(std::memory_order_relaxed);
  if (Entry* entry = probe(*table, hash, values, label_names_.size())) return entry->series();
  if (entries_.size() >= cardinality_limit_) {
    registry_.overflowed.fetch_add(1, std::memory_order_relaxed);
    if (!overflow_) {
      overflow_ = make_entry(0, values, true);
      registry_.series.fetch_add(1, std::memory_order_relaxed);
    }
    if (overflow != nullptr) *overflow = true;
    return overflow_->series();
  }
  if ((entries_.size() + 1) * 2 > table->mask + 1) {  // keep the table at most half full
    auto grown = std::make_unique<Table>((table->mask + 1) * 2);
    for (const auto& entry : entries_) {
      std::size_t i = entry->hash & grown->mask;
      while (grown->slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & grown->mask;
      grown->slots[i].store(entry.get(), std::memory_order_relaxed);
    }
    tables_.push_back(std::move(grown));
    table = tables_.back().get();
    table_.store(table, std::memory_order_release);
  }
  entries_.push_back(make_entry(hash, values, false));
  Entry* entry = entries_.back().get();
  std::size_t i = hash & table->mask;
  while (table->slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & table->mask;
  table->slots[i].store(entry, std::memory_order_release);
  registry_.series.fetch_add(1, std::memory_order_relaxed);
  return entry->series();
}

void Instrument::fill_point(const Entry& entry, PointData& point) const {
  // point may hold a previous collection's values: every field is set.
  point.label_values = entry.values;
  point.overflow = entry.overflow;
  point.value = 0;
  point.sum = 0;
  point.count = 0;
  point.exemplars.clear();
  if (!entry.histogram) point.bucket_counts.clear();
  if (entry.scalar) {
    const ScalarSeries& series = *entry.scalar;
    point.start_time_unix_nano = series.start_time_unix_nano;
    if (kind_ == MetricKind::kGauge) {
      point.value = series.last_value.load(std::memory_order_relaxed);
      return;
    }
    std::optional<Exemplar> exemplar;
    for_each_cell(series, [&](const ScalarCell& cell) {
      point.value += static_cast<double>(cell.whole.load(std::memory_order_relaxed)) +
                     cell.value.load(std::memory_order_relaxed);
      if (kind_ == MetricKind::kCounter) keep_latest(exemplar, read_exemplar(cell.exemplar));
    });
    if (exemplar) point.exemplars.push_back(exemplar);
    return;
  }
  const HistogramSeries& series = *entry.histogram;
  point.start_time_unix_nano = series.start_time_unix_nano;
  const std::size_t buckets = series.bucket_count();
  point.bucket_counts.assign(buckets, 0);
  point.exemplars.assign(buckets, std::nullopt);
  for_each_cell(series, [&](const HistogramCell& cell) {
    std::uint64_t cell_count = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
      const std::uint64_t n = cell.counts[b].load(std::memory_order_relaxed);
      point.bucket_counts[b] += n;
      cell_count += n;
      keep_latest(point.exemplars[b], read_exemplar(cell.exemplars[b]));
    }
    // count is the sum of the buckets read, so that _count always equals the +Inf bucket.
    point.count += cell_count;
    point.sum += cell.sum.load(std::memory_order_relaxed);
  });
}

void Instrument::collect_into(MetricFamilyData& family) const {
  // Assignments, not constructions: family may hold a previous collection, whose strings and
  // vectors are reused (no allocation when nothing changed).
  family.name = name_;
  family.help = help_;
  family.unit = unit_;
  family.kind = kind_;
  family.label_names = label_names_;
  family.bounds = bounds_;
  std::unique_lock<std::mutex> lock(mutex_);
  if (callback_) {
    const std::function<void(CallbackObserver&)> read = callback_;
    const std::int64_t start = callback_start_;
    lock.unlock();  // the callback may take its time; recording never waits for it anyway
    family.points.clear();
    CallbackObserver observer(family.points, label_names_.size(), start);
    try {
      read(observer);
    } catch (...) {
      family.points.clear();  // a failing callback: no points this time
    }
    if (observer.dropped_ != 0) {
      registry_.label_errors.fetch_add(observer.dropped_, std::memory_order_relaxed);
    }
    return;
  }
  family.points.resize(entries_.size() + (overflow_ ? 1 : 0));
  std::size_t at = 0;
  for (const auto& entry : entries_) fill_point(*entry, family.points[at++]);
  if (overflow_) fill_point(*overflow_, family.points[at]);
}

void Instrument::set_callback(std::function<void(CallbackObserver&)> read) {
  std::lock_guard<std::mutex> lock(mutex_);
  callback_ = std::move(read);
  callback_start_ = now_unix_nanos();
}

Instrument& RegistryState::define(MetricKind kind, std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names, std::vector<double> bounds,
                                  std::string_view unit) {
  if (!is_valid_metric_name(name)) {
    throw std::invalid_argument("metric name " + quoted(name) +
                                " is not a valid Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  std::string family(name);
  if (kind == MetricKind::kCounter && family.ends_with("_total")) {
    family.resize(family.size() - 6);
    if (family.empty()) throw std::invalid_argument("metric name '_total' has no base name");
  }
  if (label_names.size() > kMaxLabels) {
    throw std::invalid_argument("metric " + quoted(name) + " has more than 32 label names");
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!is_valid_label_name(label) || label == "le" || label == "otel_metric_overflow") {
      throw std::invalid_argument("label name " + quoted(label) + " of metric " + quoted(name) +
                                  " is not allowed ([a-zA-Z_][a-zA-Z0-9_]*, no leading __, not "
                                  "le or otel_metric_overflow)");
    }
    if (!options_.allow_identity_labels && is_identity_label(label)) {
      throw std::invalid_argument(
          "label name " + quoted(label) + " of metric " + quoted(name) +
          " would make a series per user or session; set allow_identity_labels to allow it");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (label_names[j] == label) {
        throw std::invalid_argument("label name " + quoted(label) + " repeats in metric " +
                                    quoted(name));
      }
    }
  }
  if (kind == MetricKind::kHistogram) {
    if (bounds.empty())
      throw std::invalid_argument("histogram " + quoted(name) + " has no buckets");
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        throw std::invalid_argument("the buckets of histogram " + quoted(name) +
                                    " must be finite and strictly ascending");
      }
    }
  } else {
    bounds.clear();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto found = by_name_.find(family); found != by_name_.end()) {
    Instrument& existing = *found->second;
    if (existing.kind() != kind || existing.help() != help || existing.unit() != unit ||
        existing.label_names() != label_names || existing.bounds() != bounds) {
      throw std::invalid_argument("metric " + quoted(name) + " is already registered as a " +
                                  kind_name(existing.kind()) +
                                  " with another help, unit, label names or buckets");
    }
    return existing;
  }
  instruments_.push_back(std::make_unique<Instrument>(
      kind, family, std::string(help), std::string(unit), std::move(label_names), std::move(bounds),
      options_.cardinality_limit, *this));
  Instrument& made = *instruments_.back();
  by_name_.emplace(std::move(family), &made);
  return made;
}

void RegistryState::collect_into(std::vector<MetricFamilyData>& families) const {
  std::vector<Instrument*> instruments;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    instruments.reserve(instruments_.size());
    for (const auto& instrument : instruments_) instruments.push_back(instrument.get());
  }
  families.resize(instruments.size());
  for (std::size_t i = 0; i < instruments.size(); ++i) instruments[i]->collect_into(families[i]);
}

std::vector<MetricFamilyData> RegistryState::collect() const {
  std::vector<MetricFamilyData> families;
  collect_into(families);
  return families;
}

MetricsStats RegistryState::stats() const noexcept {
  return {.label_errors = label_errors.load(std::memory_order_relaxed),
          .overflowed = overflowed.load(std::memory_order_relaxed),
          .series = series.load(std::memory_order_relaxed)};
}

}  // namespace mmf::detail
