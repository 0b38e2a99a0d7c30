// Correlation context: a scope's IDs are inherited by nested scopes, carried to another thread
// with mmf::bind, and sent to the next service in headers, where they arrive intact.
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "example_support.h"
#include "mmf/observability.h"

int main() {
  const mmf::Propagator propagation;
  std::map<std::string, std::string> outgoing;
  {
    mmf::CorrelationScope request({.operation_name = "process_payment",
                                   .correlation_id = "req_12345",
                                   .user_id = "user_67890",
                                   .session_id = "sess_abcdef"});
    mmf::with_correlation({.operation_name = "charge_card"}, [] {
      examples::check(mmf::get_correlation_id() == "req_12345", "inherited by a nested scope");
    });
    std::thread worker(mmf::bind([] {
      std::printf("[worker] correlation_id=%s user_id=%s\n", mmf::get_correlation_id().c_str(),
                  mmf::get_user_id().c_str());
      examples::check(mmf::get_correlation_id() == "req_12345", "carried to another thread");
    }));
    worker.join();
    propagation.inject(outgoing);
  }
  for (const auto& [name, value] : outgoing) std::printf("%s: %s\n", name.c_str(), value.c_str());

  // The next service.
  mmf::ContextScope incoming(propagation.extract(outgoing));
  examples::check(mmf::get_correlation_id() == "req_12345", "arrived with the request");
  examples::check(mmf::get_user_id() == "user_67890", "the user ID too");
  std::printf("[next service] correlation_id=%s\n", mmf::get_correlation_id().c_str());
  return 0;
}
