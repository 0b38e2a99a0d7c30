// A span exporter that keeps up with anything: it counts the spans and returns. For benchmarks
// that measure the request path with the real batch pipeline behind it, without a network.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>

#include "mmf/span_exporter.h"

namespace mmf::bench {

class DiscardExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanView> spans, const Resource&,
                            const InstrumentationScope&,
                            std::chrono::steady_clock::time_point) noexcept override {
    count_.fetch_add(spans.size(), std::memory_order_relaxed);
    return ExportResult::kSuccess;
  }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace mmf::bench
