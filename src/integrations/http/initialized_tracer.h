// Shared by the HTTP server and client instrumentation: the tracer of an initialized
// UnifiedObservability.
#pragma once

#include "mmf/tracer.h"

namespace mmf {
class UnifiedObservability;
}  // namespace mmf

namespace mmf::detail {

// Throws std::logic_error naming the mistake when observability.initialize() was not called.
Tracer& initialized_tracer(UnifiedObservability& observability);

}  // namespace mmf::detail
