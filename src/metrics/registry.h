// The inside of MetricRegistry: instruments, their series tables, and collection.
//
// Series lookup takes no lock: an instrument keeps an open-addressing table of pointers to its
// series entries, published with release stores; a recording hashes its label values, probes,
// and compares. Only a new series takes the instrument's mutex (to insert, growing the table
// into a new one when half full; old tables stay alive until the instrument dies, since a
// reader may still be probing one). Entries are never removed.
//
// Thread-safety: find_series() from any thread; collect() from any thread (it takes each
// instrument's mutex while it reads the cells).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric_data.h"
#include "mmf/metrics.h"

namespace mmf::detail {

inline constexpr std::size_t kMaxLabels = 32;

// The first and last up-to-8 bytes of a text, loaded as two words (registry.cc).
struct Ends {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

// A label value as a recording gave it, with its size and end words (what the hash and the
// comparison of values up to 16 bytes use): like a string_view, but trivially constructible, so
// that declaring an array of kMaxLabels of them costs no zeroing on every recording.
struct LabelText {
  const char* data;
  std::size_t size;
  std::uint64_t first;
  std::uint64_t last;
  std::string_view view() const noexcept { return {data, size}; }
};

// What an entry keeps of each value to compare it without reading the string: equal sizes and
// end words mean equal values up to 16 bytes; longer ones are compared whole.
struct ValueKey {
  std::size_t size;
  std::uint64_t first;
  std::uint64_t last;
};

class Instrument {
 public:
  Instrument(MetricKind kind, std::string name, std::string help, std::string unit,
             std::vector<std::string> label_names, std::vector<double> bounds,
             std::size_t cardinality_limit, RegistryState& registry);

  MetricKind kind() const noexcept { return kind_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  const std::string& unit() const noexcept { return unit_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  const std::vector<double>& bounds() const noexcept { return bounds_; }

  // The series for these label values (created when new; the overflow series past the
  // cardinality limit), or nullptr when the labels do not match the names (counted) or memory
  // ran out. The result is a ScalarSeries or a HistogramSeries, by kind. *overflow (when given)
  // is set to true when the result is the overflow series.
  void* find_series(LabelValues labels, bool* overflow = nullptr) noexcept;

  // Makes this a callback instrument: collect() reports what read observes.
  void set_callback(std::function<void(CallbackObserver&)> read);
  // Writes the instrument's series into family, reusing what family already holds.
  void collect_into(MetricFamilyData& family) const;

 private:
  struct Entry {
    std::uint64_t hash = 0;
    std::unique_ptr<ValueKey[]> keys;  // one per value, for probe()
    std::vector<std::string> values;
    bool overflow = false;
    std::unique_ptr<ScalarSeries> scalar;
    std::unique_ptr<HistogramSeries> histogram;
    void* series() const noexcept {
      return scalar ? static_cast<void*>(scalar.get()) : static_cast<void*>(histogram.get());
    }
  };
  struct Table {
    explicit Table(std::size_t capacity)
        : mask(capacity - 1), slots(new std::atomic<Entry*>[capacity]()) {}
    std::size_t mask;
    std::unique_ptr<std::atomic<Entry*>[]> slots;
  };

  // labels put in the order of label_names_, and their hash; false when they do not match.
  bool order_and_hash(LabelValues labels, LabelText* ordered, std::uint64_t& hash) const noexcept;
  static Entry* probe(const Table& table, std::uint64_t hash, const LabelText* values,
                      std::size_t count) noexcept;
  void* insert(std::uint64_t hash, const LabelText* values, bool* overflow);
  std::unique_ptr<Entry> make_entry(std::uint64_t hash, const LabelText* values, bool overflow);
  void fill_point(const Entry& entry, PointData& point) const;

  const MetricKind kind_;
  const std::string name_;
  const std::string help_;
  const std::string unit_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  const BucketFinder buckets_{bounds_.data(), bounds_.size()};  // after bounds_
  std::vector<Ends> name_ends_;                                 // of each label name, for order()
  const std::size_t cardinality_limit_;
  RegistryState& registry_;
  std::function<void(CallbackObserver&)> callback_;
  std::int64_t callback_start_ = 0;  // when the callback was set: its points' start time

  std::atomic<Table*> table_;
  mutable std::mutex mutex_;                    // inserts and collection
  std::vector<std::unique_ptr<Table>> tables_;  // the current one last
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unique_ptr<Entry> overflow_;
};

class RegistryState {
 public:
  explicit RegistryState(MetricRegistry::Options options) : options_(options) {}

  // The instrument called name, made when new; throws std::invalid_argument on a bad
  // definition or a conflict with an existing one.
  Instrument& define(MetricKind kind, std::string_view name, std::string_view help,
                     std::vector<std::string> label_names, std::vector<double> bounds,
                     std::string_view unit);
  // Every instrument's series, in the order the instruments were made.
  std::vector<MetricFamilyData> collect() const;
  // The same into families, which ends with one family per instrument; the strings and vectors
  // of a previous collection in it are reused, so that a steady scrape allocates almost nothing.
  void collect_into(std::vector<MetricFamilyData>& families) const;
  MetricsStats stats() const noexcept;

  // What scrape_metrics() keeps between scrapes of this registry: the last collection (to
  // collect into again) and the size of the last answer (to reserve). One scrape at a time
  // uses it; a concurrent one collects into its own.
  struct ScrapeCache {
    std::mutex mutex;
    std::vector<MetricFamilyData> families;
    std::size_t last_size = 0;
  };
  ScrapeCache& scrape_cache() const noexcept { return scrape_cache_; }

  std::atomic<std::uint64_t> label_errors{0};
  std::atomic<std::uint64_t> overflowed{0};
  std::atomic<std::uint64_t> series{0};

 private:
  const MetricRegistry::Options options_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Instrument>> instruments_;
  std::map<std::string, Instrument*, std::less<>> by_name_;
  mutable ScrapeCache scrape_cache_;
};

// Name rules, shared with the exposition.
bool is_valid_metric_name(std::string_view name) noexcept;
bool is_valid_label_name(std::string_view name) noexcept;

}  // namespace mmf::detail
