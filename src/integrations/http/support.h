// Shared by the HTTP server and client instrumentation and by the adapters: the tracer of an
// initialized UnifiedObservability, and the host and port of an authority.
#pragma once

#include <cstdint>
#include <string_view>

#include "mmf/tracer.h"

namespace mmf {
class UnifiedObservability;
}  // namespace mmf

namespace mmf::detail {

// Throws std::logic_error naming the mistake when observability.initialize() was not called.
Tracer& initialized_tracer(UnifiedObservability& observability);

struct HostPort {
  std::string_view host;  // without the brackets of an IPv6 literal
  int port = 0;           // 0 when absent or not a port number
};
// "example.com:8080", "[::1]:80", "example.com" (a URL's authority without user info, or a Host
// header). An unclosed '[' gives an empty host.
HostPort split_host_port(std::string_view authority) noexcept;

// The place of a normalised method ("GET" ... "PATCH", "_OTHER") in the list of the semantic
// conventions' methods: a small number that stands for the method label (series cache tags).
std::uint8_t http_method_index(std::string_view method) noexcept;

}  // namespace mmf::detail
