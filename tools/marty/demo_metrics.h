// The demo's metrics: what an instrumented payment service records, in the registry of the
// demo's UnifiedObservability (which serves it on /metrics with the library's own
// mmf_telemetry_* and mmf_plugin_* series).
#pragma once

#include <string>
#include <string_view>

#include "mmf/metrics.h"
#include "mmf/unified.h"

namespace marty {

class DemoMetrics {
 public:
  // observability must outlive this object. Marks the demo's fraud-plugin active, with a
  // dependency check.
  explicit DemoMetrics(mmf::UnifiedObservability& observability);

  // A request the gateway served; the histogram keeps the current span as its exemplar.
  void record_request(std::string_view method, std::string_view route, int status, double seconds);
  void record_payment(std::string_view status, std::string_view method);

  // The OpenMetrics lines (with exemplars) of the demo's own families and a few self-metrics,
  // as Prometheus would read them from /metrics.
  std::string excerpt() const;

 private:
  const mmf::MetricRegistry& registry_;
  mmf::Histogram request_duration_;
  mmf::Counter payments_;
};

}  // namespace marty
