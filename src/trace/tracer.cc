#include "mmf/tracer.h"

#include "trace/tracer_core.h"

namespace mmf {

Tracer::Tracer(TracerOptions options)
    : core_(std::make_unique<detail::TracerCore>(std::move(options))) {}

Tracer::~Tracer() = default;

Span Tracer::start_span(std::string_view name, const SpanOptions& options) noexcept {
  return core_->start_span(name, options);
}

bool Tracer::force_flush(std::chrono::milliseconds timeout) noexcept {
  return core_->force_flush(timeout);
}

bool Tracer::shutdown(std::chrono::milliseconds timeout) noexcept {
  return core_->shutdown(timeout);
}

TracerStats Tracer::stats() const noexcept { return core_->stats(); }

const Resource& Tracer::resource() const noexcept { return core_->resource(); }

}  // namespace mmf
