// mmf_correlation_requests_total{origin}: where the correlation IDs of incoming requests came
// from. Shared by every server integration (HTTP, gRPC), which count into the same series.
#pragma once

#include "mmf/context.h"
#include "mmf/metrics.h"

namespace mmf::detail {

class CorrelationRequests {
 public:
  CorrelationRequests() = default;  // counts nothing (telemetry off)
  explicit CorrelationRequests(MetricRegistry& registry) {
    const Counter origins = registry.create_counter(
        "mmf_correlation_requests_total",
        "Requests by where their correlation ID came from: incoming (it arrived), generated "
        "(none arrived) or rejected (an invalid one arrived and was replaced).",
        {"origin"});
    incoming_ = origins.bind({{"origin", "incoming"}});
    generated_ = origins.bind({{"origin", "generated"}});
    rejected_ = origins.bind({{"origin", "rejected"}});
  }

  void count(CorrelationOrigin origin) const noexcept {
    switch (origin) {
      case CorrelationOrigin::kIncoming:
        incoming_.inc();
        break;
      case CorrelationOrigin::kGenerated:
        generated_.inc();
        break;
      case CorrelationOrigin::kRejected:
        rejected_.inc();
        break;
      case CorrelationOrigin::kNone:
      case CorrelationOrigin::kLocal:
        break;
    }
  }

 private:
  BoundCounter incoming_;
  BoundCounter generated_;
  BoundCounter rejected_;
};

}  // namespace mmf::detail
