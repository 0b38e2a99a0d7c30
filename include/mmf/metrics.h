// Metrics: counters, up-down counters, gauges and histograms with labels, recorded without locks
// and collected for Prometheus (and, later, OTLP).
//
//   mmf::MetricRegistry registry;
//   mmf::Counter payments = registry.create_counter(
//       "payments_processed_total", "Total number of payments processed", {"status", "method"});
//   payments.inc({{"status", "success"}, {"method", "card"}});   // looks the series up
//   mmf::BoundCounter ok = payments.bind({{"status", "success"}, {"method", "card"}});
//   ok.inc();                                                     // a few nanoseconds
//
//   mmf::Histogram latency = registry.create_histogram(
//       "http_server_request_duration_seconds", "Duration of HTTP server requests", {"route"});
//   latency.observe(0.042, {{"route", "/users/{id}"}});
//
// Names: metric names follow Prometheus ([a-zA-Z_:][a-zA-Z0-9_:]*), label names
// [a-zA-Z_][a-zA-Z0-9_]* without a leading "__". A counter's name may end in "_total" (the
// exposition adds it when it does not). The label names are fixed when the instrument is made;
// each recording gives the values, in any order. Creating an instrument with a bad name, bad or
// repeated label names, or a name already used with another kind, help, unit, label names or
// buckets throws std::invalid_argument saying what is wrong; creating the very same instrument
// again returns the existing one. user_id, user.id, session_id and session.id are refused as
// label names (cardinality and privacy) unless MetricRegistry::Options::allow_identity_labels.
//
// Recording never throws and never blocks. A recording whose labels do not match the
// instrument's names is dropped and counted (MetricsStats::label_errors); bind() with wrong
// labels throws instead, since it runs once, at set-up. Each instrument holds at most
// cardinality_limit series (default 2,000); the values of further label combinations go to one
// overflow series labelled otel_metric_overflow="true", and MetricsStats::overflowed counts them.
//
// Counters and histograms keep an exemplar (value, time, trace and span ID) when a sampled span
// is current, so a latency spike links to a trace (OpenMetrics exposition).
//
// Thread-safety: everything may be called from any thread. Handles (Counter, BoundCounter, ...)
// are small values that point into their registry, which must outlive them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/detail/metric_cells.h"

namespace mmf {

// Label values for one recording: {{"status", "ok"}, {"method", "card"}}.
using LabelValues = std::initializer_list<std::pair<std::string_view, std::string_view>>;

namespace detail {
class Instrument;
class RegistryState;
struct PointData;
struct MetricsAccess;
}  // namespace detail

// What a callback instrument's read function reports at a collection (see
// MetricRegistry::create_callback_counter).
class CallbackObserver {
 public:
  // The value of one series; label_values in the order of the instrument's label names. A
  // wrong number of values, or NaN, is dropped (and counted as a label error).
  void observe(double value, std::initializer_list<std::string_view> label_values = {});

 private:
  friend class detail::Instrument;
  CallbackObserver(std::vector<detail::PointData>& points, std::size_t label_count,
                   std::int64_t start_time_unix_nano) noexcept
      : points_(points), label_count_(label_count), start_(start_time_unix_nano) {}
  std::vector<detail::PointData>& points_;
  std::size_t label_count_;
  std::int64_t start_;
  std::uint64_t dropped_ = 0;
};

class BoundCounter {
 public:
  BoundCounter() = default;
  // Adds value (>= 0; a negative or NaN value is ignored: a counter only goes up).
  void inc(double value = 1) const noexcept {
    if (series_ != nullptr && value >= 0) series_->add(value, true);
  }

 private:
  friend class Counter;
  explicit BoundCounter(detail::ScalarSeries* series) noexcept : series_(series) {}
  detail::ScalarSeries* series_ = nullptr;
};

class Counter {
 public:
  Counter() = default;
  void inc(LabelValues labels = {}, double value = 1) const noexcept;
  void inc(double value) const noexcept { inc({}, value); }
  // The series of these label values, for recording without a lookup. Throws
  // std::invalid_argument when the labels do not match the instrument's names.
  BoundCounter bind(LabelValues labels = {}) const;

 private:
  friend class MetricRegistry;
  explicit Counter(detail::Instrument* instrument) noexcept : instrument_(instrument) {}
  detail::Instrument* instrument_ = nullptr;
};

class BoundUpDownCounter {
 public:
  BoundUpDownCounter() = default;
  void add(double value) const noexcept {
    if (series_ != nullptr && value == value) series_->add(value, false);
  }

 private:
  friend class UpDownCounter;
  explicit BoundUpDownCounter(detail::ScalarSeries* series) noexcept : series_(series) {}
  detail::ScalarSeries* series_ = nullptr;
};

class UpDownCounter {
 public:
  UpDownCounter() = default;
  void add(double value, LabelValues labels = {}) const noexcept;
  BoundUpDownCounter bind(LabelValues labels = {}) const;

 private:
  friend class MetricRegistry;
  friend struct detail::MetricsAccess;
  explicit UpDownCounter(detail::Instrument* instrument) noexcept : instrument_(instrument) {}
  detail::Instrument* instrument_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  // The series' value becomes value (the last set wins).
  void set(double value, LabelValues labels = {}) const noexcept;

 private:
  friend class MetricRegistry;
  explicit Gauge(detail::Instrument* instrument) noexcept : instrument_(instrument) {}
  detail::Instrument* instrument_ = nullptr;
};

class BoundHistogram {
 public:
  BoundHistogram() = default;
  // Records value (NaN is ignored).
  void observe(double value) const noexcept {
    if (series_ != nullptr && value == value) series_->observe(value);
  }

 private:
  friend class Histogram;
  explicit BoundHistogram(detail::HistogramSeries* series) noexcept : series_(series) {}
  detail::HistogramSeries* series_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  void observe(double value, LabelValues labels = {}) const noexcept;
  BoundHistogram bind(LabelValues labels = {}) const;
  // As bind(), but wrong labels give an empty handle (which records nothing) and are counted
  // as a label error, instead of an exception.
  BoundHistogram try_bind(LabelValues labels = {}) const noexcept;

 private:
  friend class MetricRegistry;
  friend struct detail::MetricsAccess;
  explicit Histogram(detail::Instrument* instrument) noexcept : instrument_(instrument) {}
  detail::Instrument* instrument_ = nullptr;
};

// Measures how long a scope takes and records the seconds into a histogram:
//   { mmf::Timer timer(duration, {{"route", "/users/{id}"}});  ...  }   // recorded here
// Never throws: wrong labels record nothing (counted as a label error). Move-only.
class Timer {
 public:
  explicit Timer(const Histogram& histogram, LabelValues labels = {}) noexcept
      : Timer(histogram.try_bind(labels)) {}
  explicit Timer(BoundHistogram histogram) noexcept
      : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
  Timer(Timer&& other) noexcept
      : histogram_(other.histogram_),
        start_(other.start_),
        done_(std::exchange(other.done_, true)) {}
  Timer& operator=(Timer&&) = delete;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { stop(); }

  // Records the time so far (once; later calls record nothing) and returns it in seconds.
  double stop() noexcept {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (!done_) histogram_.observe(seconds);
    done_ = true;
    return seconds;
  }
  // Records nothing (an aborted operation that should not count).
  void cancel() noexcept { done_ = true; }

 private:
  BoundHistogram histogram_;
  std::chrono::steady_clock::time_point start_;
  bool done_ = false;
};

// The OpenTelemetry semantic conventions' buckets for HTTP durations in seconds:
// 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10.
const std::vector<double>& default_seconds_buckets();

struct MetricsStats {
  std::uint64_t label_errors = 0;  // recordings dropped: labels did not match the names
  std::uint64_t overflowed = 0;    // recordings that went to an overflow series
  std::uint64_t series = 0;        // series in all instruments, now
};

class MetricRegistry {
 public:
  struct Options {
    std::size_t cardinality_limit = 2000;  // series per instrument, overflow series excluded
    bool allow_identity_labels = false;    // allow user_id/session_id style label names
  };

  MetricRegistry();
  explicit MetricRegistry(Options options);
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  Counter create_counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {}, std::string_view unit = {});
  UpDownCounter create_up_down_counter(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names = {},
                                       std::string_view unit = {});
  Gauge create_gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {}, std::string_view unit = {});
  // A gauge without labels whose value read() gives at each collection (on the collecting
  // thread; it must be quick and must not throw).
  void create_callback_gauge(std::string_view name, std::string_view help,
                             std::function<double()> read, std::string_view unit = {});
  // Callback instruments for values kept elsewhere (a library's own statistics, a pool's
  // size): at each collection, read reports one value per series through the observer. A
  // callback counter's values must not go down. read runs on the collecting thread and must be
  // quick; an exception from it leaves the instrument without points for that collection.
  // Registering the same name again replaces the callback.
  void create_callback_gauge(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names,
                             std::function<void(CallbackObserver&)> read,
                             std::string_view unit = {});
  void create_callback_counter(std::string_view name, std::string_view help,
                               std::vector<std::string> label_names,
                               std::function<void(CallbackObserver&)> read,
                               std::string_view unit = {});
  // bounds: ascending, finite, not empty (default: default_seconds_buckets()).
  Histogram create_histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> bounds = default_seconds_buckets(),
                             std::string_view unit = {});

  MetricsStats stats() const noexcept;

  // For the exposition and export code of this library.
  detail::RegistryState& state() const noexcept { return *state_; }

 private:
  std::unique_ptr<detail::RegistryState> state_;
};

}  // namespace mmf
