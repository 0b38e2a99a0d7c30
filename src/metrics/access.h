// Library-internal access to the series behind instrument handles, for instrumentation that
// keeps series between recordings itself (the HTTP server's per-thread cache).
#pragma once

#include "metrics/registry.h"
#include "mmf/metrics.h"

namespace mmf::detail {

struct MetricsAccess {
  // The series of labels, as a recording finds it (null for an empty handle, labels that do
  // not match, or no memory). lasting says whether the caller may keep it for later recordings
  // with the same labels: not the overflow series (each recording that reaches it is counted),
  // and not null (a later lookup may succeed).
  static HistogramSeries* find(const Histogram& histogram, LabelValues labels,
                               bool& lasting) noexcept {
    return static_cast<HistogramSeries*>(find(histogram.instrument_, labels, lasting));
  }
  static ScalarSeries* find(const UpDownCounter& counter, LabelValues labels,
                            bool& lasting) noexcept {
    return static_cast<ScalarSeries*>(find(counter.instrument_, labels, lasting));
  }

 private:
  static void* find(Instrument* instrument, LabelValues labels, bool& lasting) noexcept {
    bool overflow = false;
    void* series = instrument != nullptr ? instrument->find_series(labels, &overflow) : nullptr;
    lasting = series != nullptr && !overflow;
    return series;
  }
};

}  // namespace mmf::detail
