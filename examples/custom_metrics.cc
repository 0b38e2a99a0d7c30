// Custom metrics: a counter with labels, a histogram fed by a timer, a gauge; then the series
// as Prometheus reads them from /metrics.
#include <cstdio>
#include <string>
#include <thread>

#include "example_support.h"
#include "mmf/metrics_scrape.h"
#include "mmf/unified.h"

int main() {
  mmf::UnifiedObservability observability(examples::local_config("payment-service"));
  observability.initialize();

  auto payments = observability.create_counter(
      "payments_processed_total", "Total number of payments processed", {"status", "method"});
  auto duration = observability.create_histogram("payment_processing_duration_seconds",
                                                 "Payment processing duration");
  auto queue = observability.create_gauge("payment_queue_depth", "Payments waiting");

  for (int i = 0; i < 3; ++i) {
    auto timer = observability.timer(duration);  // records the seconds when it goes
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    payments.inc({{"status", i == 2 ? "failed" : "success"}, {"method", "card"}});
  }
  queue.set(7);

  const std::string text =
      mmf::scrape_metrics(observability.metrics(), "", "", {.process_metrics = false}).body;
  for (const char* name : {"payments_processed_total{", "payment_processing_duration_seconds_count",
                           "payment_queue_depth "}) {
    for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
      if (at != 0 && text[at - 1] != '\n') continue;  // HELP and TYPE lines
      std::printf("%s\n", text.substr(at, text.find('\n', at) - at).c_str());
    }
  }
  examples::check(text.find("payments_processed_total{status=\"success\",method=\"card\"} 2") !=
                      std::string::npos,
                  "two successful payments counted");
  examples::check(text.find("payment_processing_duration_seconds_count 3") != std::string::npos,
                  "three timings recorded");
  std::printf("metrics served at http://127.0.0.1:%d/metrics while the program ran\n",
              observability.metrics_port());
  return 0;
}
