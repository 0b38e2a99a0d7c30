// The tracer's fast path to the default ID generator: a new span needs a span ID and, for a
// root, a trace ID, and going through IdGenerator's two virtual calls (each checking for a
// fork) costs a third of an unsampled span. Inside the library only.
#pragma once

#include "mmf/ids.h"

namespace mmf::detail {

// Fresh IDs from this thread's default generator: a span ID, and a trace ID when trace_id is
// not null. Neither is ever all zeros.
void new_span_ids(TraceId* trace_id, SpanId& span_id) noexcept;

}  // namespace mmf::detail
