// The demo's metrics: what an instrumented payment service records, with the library's own
// mmf_telemetry_* series, in one registry that the demo prints and serves on /metrics.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mmf/metrics.h"
#include "mmf/metrics_server.h"
#include "mmf/plugins.h"
#include "mmf/tracer.h"

namespace marty {

class DemoMetrics {
 public:
  // tracer must outlive this object.
  explicit DemoMetrics(const mmf::Tracer& tracer);

  // A request the gateway served; the histogram keeps the current span as its exemplar.
  void record_request(std::string_view method, std::string_view route, int status, double seconds);
  void record_payment(std::string_view status, std::string_view method);

  // Serves /metrics on port (0: any free port). When the port is taken and fall_back is true,
  // serves on a free port instead. Returns an error message, or nullopt when serving.
  std::optional<std::string> serve(int port, bool fall_back, const mmf::Resource& resource);
  int port() const { return server_ ? server_->port() : 0; }

  // The OpenMetrics lines (with exemplars) of the demo's own families and a few self-metrics,
  // as Prometheus would read them from /metrics.
  std::string excerpt() const;

 private:
  mmf::MetricRegistry registry_;
  mmf::PluginMetrics plugins_{registry_};  // the demo's fraud check runs as a plugin
  mmf::Histogram request_duration_;
  mmf::Counter payments_;
  std::unique_ptr<mmf::MetricsServer> server_;
};

}  // namespace marty
