#include "mmf/tracer.h"

#include "trace/tracer_core.h"

namespace mmf {

Tracer::Tracer(TracerOptions options)
    : core_(std::make_unique<detail::TracerCore>(std::move(options))) {}

Tracer::~Tracer() = default;

// Tracer::start_span() is defined beside TracerCore::start_span() (tracer_core.cc), which it
// inlines: a span started is one call.

bool Tracer::force_flush(std::chrono::milliseconds timeout) noexcept {
  return core_->force_flush(timeout);
}

bool Tracer::shutdown(std::chrono::milliseconds timeout) noexcept {
  return core_->shutdown(timeout);
}

TracerStats Tracer::stats() const noexcept { return core_->stats(); }

const Resource& Tracer::resource() const noexcept { return core_->resource(); }

}  // namespace mmf
