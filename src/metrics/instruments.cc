// The public instrument handles: each forwards to its Instrument (registry.h).
#include <stdexcept>

#include "metrics/registry.h"

namespace mmf {
namespace {

// The series of labels, for bind(): throws when the labels do not match.
void* bind_series(detail::Instrument* instrument, LabelValues labels) {
  if (instrument == nullptr) throw std::invalid_argument("bind() on an empty instrument handle");
  void* series = instrument->find_series(labels);
  if (series == nullptr) {
    std::string names;
    for (const std::string& name : instrument->label_names()) {
      names += names.empty() ? name : ", " + name;
    }
    throw std::invalid_argument("the labels given for metric '" + instrument->name() +
                                "' do not match its label names (" + names + ")");
  }
  return series;
}

}  // namespace

void Counter::inc(LabelValues labels, double value) const noexcept {
  if (instrument_ == nullptr || !(value >= 0)) return;
  if (void* series = instrument_->find_series(labels)) {
    static_cast<detail::ScalarSeries*>(series)->add(value, true);
  }
}

BoundCounter Counter::bind(LabelValues labels) const {
  return BoundCounter(static_cast<detail::ScalarSeries*>(bind_series(instrument_, labels)));
}

void UpDownCounter::add(double value, LabelValues labels) const noexcept {
  if (instrument_ == nullptr || value != value) return;
  if (void* series = instrument_->find_series(labels)) {
    static_cast<detail::ScalarSeries*>(series)->add(value, false);
  }
}

BoundUpDownCounter UpDownCounter::bind(LabelValues labels) const {
  return BoundUpDownCounter(static_cast<detail::ScalarSeries*>(bind_series(instrument_, labels)));
}

void Gauge::set(double value, LabelValues labels) const noexcept {
  if (instrument_ == nullptr) return;
  if (void* series = instrument_->find_series(labels)) {
    static_cast<detail::ScalarSeries*>(series)->last_value.store(value, std::memory_order_relaxed);
  }
}

void Histogram::observe(double value, LabelValues labels) const noexcept {
  if (instrument_ == nullptr || value != value) return;
  if (void* series = instrument_->find_series(labels)) {
    static_cast<detail::HistogramSeries*>(series)->observe(value);
  }
}

BoundHistogram Histogram::bind(LabelValues labels) const {
  return BoundHistogram(static_cast<detail::HistogramSeries*>(bind_series(instrument_, labels)));
}

BoundHistogram Histogram::try_bind(LabelValues labels) const noexcept {
  // find_series counts wrong labels itself and gives null then, as it does for out of memory.
  return BoundHistogram(instrument_ == nullptr ? nullptr
                                               : static_cast<detail::HistogramSeries*>(
                                                     instrument_->find_series(labels)));
}

const std::vector<double>& default_seconds_buckets() {
  static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                              0.5,   0.75, 1,     2.5,  5,     7.5, 10};
  return buckets;
}

MetricRegistry::MetricRegistry() : MetricRegistry(Options{}) {}
MetricRegistry::MetricRegistry(Options options)
    : state_(std::make_unique<detail::RegistryState>(options)) {}
MetricRegistry::~MetricRegistry() = default;

Counter MetricRegistry::create_counter(std::string_view name, std::string_view help,
                                       std::vector<std::string> label_names,
                                       std::string_view unit) {
  return Counter(
      &state_->define(detail::MetricKind::kCounter, name, help, std::move(label_names), {}, unit));
}

UpDownCounter MetricRegistry::create_up_down_counter(std::string_view name, std::string_view help,
                                                     std::vector<std::string> label_names,
                                                     std::string_view unit) {
  return UpDownCounter(&state_->define(detail::MetricKind::kUpDownCounter, name, help,
                                       std::move(label_names), {}, unit));
}

Gauge MetricRegistry::create_gauge(std::string_view name, std::string_view help,
                                   std::vector<std::string> label_names, std::string_view unit) {
  return Gauge(
      &state_->define(detail::MetricKind::kGauge, name, help, std::move(label_names), {}, unit));
}

void MetricRegistry::create_callback_gauge(std::string_view name, std::string_view help,
                                           std::function<double()> read, std::string_view unit) {
  if (!read)
    throw std::invalid_argument("callback gauge '" + std::string(name) + "' has no callback");
  create_callback_gauge(
      name, help, {},
      [read = std::move(read)](CallbackObserver& observer) { observer.observe(read()); }, unit);
}

void MetricRegistry::create_callback_gauge(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names,
                                           std::function<void(CallbackObserver&)> read,
                                           std::string_view unit) {
  if (!read)
    throw std::invalid_argument("callback gauge '" + std::string(name) + "' has no callback");
  state_->define(detail::MetricKind::kGauge, name, help, std::move(label_names), {}, unit)
      .set_callback(std::move(read));
}

void MetricRegistry::create_callback_counter(std::string_view name, std::string_view help,
                                             std::vector<std::string> label_names,
                                             std::function<void(CallbackObserver&)> read,
                                             std::string_view unit) {
  if (!read)
    throw std::invalid_argument("callback counter '" + std::string(name) + "' has no callback");
  state_->define(detail::MetricKind::kCounter, name, help, std::move(label_names), {}, unit)
      .set_callback(std::move(read));
}

void CallbackObserver::observe(double value, std::initializer_list<std::string_view> label_values) {
  if (label_values.size() != label_count_ || value != value) {
    ++dropped_;
    return;
  }
  detail::PointData& point = points_.emplace_back();
  point.label_values.assign(label_values.begin(), label_values.end());
  point.value = value;
  point.start_time_unix_nano = start_;
}

Histogram MetricRegistry::create_histogram(std::string_view name, std::string_view help,
                                           std::vector<std::string> label_names,
                                           std::vector<double> bounds, std::string_view unit) {
  return Histogram(&state_->define(detail::MetricKind::kHistogram, name, help,
                                   std::move(label_names), std::move(bounds), unit));
}

MetricsStats MetricRegistry::stats() const noexcept { return state_->stats(); }

}  // namespace mmf
