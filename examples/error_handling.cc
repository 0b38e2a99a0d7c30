// Error handling that keeps the correlation ID: the exception is recorded on the span, the
// span gets an error status, and the error log line carries the request's IDs.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "example_support.h"
#include "mmf/log_sinks.h"
#include "mmf/unified.h"

void charge_card(double amount) {
  if (amount > 100) throw std::runtime_error("card declined: amount over the limit");
}

int main() {
  mmf::ObservabilityConfig config = examples::local_config("payment-service");
  config.logs_exporter = {"console"};  // JSON lines on stdout
  config.log_format = mmf::LogFormat::kJson;
  mmf::UnifiedObservability observability(config);
  observability.initialize();
  std::string id_in_handler;
  {
    mmf::CorrelationScope request(
        {.operation_name = "process_payment", .correlation_id = "req_12345"});
    mmf::Span span = observability.start_span("process_payment");
    auto active = span.activate();
    try {
      charge_card(250);
    } catch (const std::exception& error) {
      span.record_exception(error).set_status(mmf::StatusCode::kError, error.what());
      MMF_LOG_ERROR("Payment failed", {{"reason", error.what()}});
      id_in_handler = mmf::get_correlation_id();  // still the request's
    }
  }
  observability.logging()->flush();
  examples::check(id_in_handler == "req_12345", "the correlation ID survives the exception");
  examples::check(observability.logging()->stats().written == 1, "the error was logged");
  return 0;
}
