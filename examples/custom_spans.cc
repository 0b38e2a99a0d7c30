// Custom spans: a parent and a child with attributes and an event, printed as the console
// exporter writes them (OTEL_TRACES_EXPORTER=otlp sends them to a collector instead).
#include <cstdio>

#include "example_support.h"
#include "mmf/unified.h"

int main() {
  mmf::ObservabilityConfig config = examples::local_config("order-service");
  config.traces_exporter = {"console"};  // one JSON line per span on stdout
  mmf::UnifiedObservability observability(config);
  observability.initialize();
  {
    mmf::Span order = observability.start_span("process_order", {.kind = mmf::SpanKind::kServer});
    order.set_attribute("order.id", "ord-1001").set_attribute("order.items", 3);
    auto in_order = order.activate();  // children, logs and outgoing calls see it
    {
      mmf::Span validate = observability.start_span("validate_payment_data");
      validate.set_attribute("payment.amount", 12.5);
      validate.add_event("card checked", {{"card.network", "visa"}});
      examples::check(validate.context().trace_id == order.context().trace_id,
                      "the child is in the parent's trace");
    }
  }
  examples::check(observability.tracer()->force_flush(std::chrono::seconds(5)), "spans exported");
  examples::check(observability.tracer()->stats().spans_exported == 2, "two spans exported");
  std::fflush(stdout);
  return 0;
}
