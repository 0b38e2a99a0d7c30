// The library's own trouble (a collector that refuses spans, an export that fails), reported
// where an operator sees it: one line on stderr, "mmf-observability: <component>: <message>".
//
// Reports are rate-limited per component, at most one every 10 seconds, with a count of the
// ones held back, so that a dead collector cannot flood the service's logs; the counters in the
// stats structures say exactly what happened. Set MMF_DIAGNOSTICS=off to silence them.
//
// Thread-safety: report() may be called from any thread.
#pragma once

#include <string_view>

namespace mmf::detail {

void report(std::string_view component, std::string_view message) noexcept;

}  // namespace mmf::detail
