// A service that links mmf-observability, as a user would: proves that the installed package (or
// the source tree, through add_subdirectory) gives a working mmf::observability. Exits non-zero
// when something is off.
#include <mmf/observability.h>

#include <cstdio>
#include <map>
#include <string>

int main() {
  mmf::CorrelationScope scope({.operation_name = "consumer_check", .correlation_id = "req_12345"});
  if (mmf::get_correlation_id() != "req_12345") return 1;

  std::map<std::string, std::string> headers;
  mmf::Propagator().inject(headers);
  for (const auto& [name, value] : headers) {
    if (name != "traceparent") std::printf("%s: %s\n", name.c_str(), value.c_str());
  }
  std::printf("mmf-observability %s: ok\n", mmf::kVersion);
  return headers["X-Correlation-ID"] == "req_12345" ? 0 : 2;
}
