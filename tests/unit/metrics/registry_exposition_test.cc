// From instruments to a scrape: what a MetricRegistry (with process metrics beside it) collects,
// written in both formats, must satisfy promtool and Debian's strict OpenMetrics parser, with
// the overflow series, exemplars and _created samples the registry produces.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "metrics/exposition.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "mmf/context.h"
#include "mmf/ids.h"
#include "unit/metrics/tool_support.h"

namespace mmf::detail {
namespace {

using testing_support::kPython;
using testing_support::python_client_available;
using testing_support::run_command;
using testing_support::temp_file;

// A registry that has every kind, labels, an overflow series and exemplars.
std::vector<MetricFamilyData> collection(MetricRegistry& registry) {
  Counter payments = registry.create_counter("payments_processed_total", "Payments processed",
                                             {"status", "method"});
  Histogram duration = registry.create_histogram("payment_processing_duration_seconds",
                                                 "Payment processing duration", {"method"},
                                                 default_seconds_buckets(), "seconds");
  UpDownCounter active = registry.create_up_down_counter("active_payments", "In flight");
  Gauge balance = registry.create_gauge("account_balance", "Balance", {"currency"});
  registry.create_callback_gauge("queue_depth", "Queue depth", [] { return 3.0; });
  const SpanContext span{.trace_id = new_trace_id(),
                         .span_id = new_span_id(),
                         .flags = TraceFlags(TraceFlags::kSampled)};
  {
    ContextScope scope(Context::current().with_span_context(span));
    payments.inc({{"status", "success"}, {"method", "card"}});
    duration.observe(0.042, {{"method", "card"}});
  }
  payments.inc({{"status", "failed"}, {"method", "wire \"quoted\"\nnewline"}});
  active.add(2);
  balance.set(-12.5, {{"currency", "EUR"}});
  for (int i = 0; i < 2005; ++i) duration.observe(0.2, {{"method", "m" + std::to_string(i)}});
  std::vector<MetricFamilyData> families = registry.state().collect();
  for (MetricFamilyData& family : collect_process_metrics()) families.push_back(std::move(family));
  return families;
}

TEST(RegistryExposition, PromtoolAcceptsWhatTheRegistryCollects) {
  std::string output;
  MMF_SKIP_OR_FAIL_WITHOUT(run_command("command -v promtool", output) == 0,
                           "promtool is not installed (Debian package prometheus)");
  MetricRegistry registry;
  const auto families = collection(registry);
  std::string text;
  write_exposition(ExpositionFormat::kPrometheusText, families, nullptr, text);
  EXPECT_NE(text.find("payments_processed_total{status=\"success\",method=\"card\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("otel_metric_overflow=\"true\""), std::string::npos);
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
  const std::string file = temp_file(text);
  output.clear();
  const int status = run_command("promtool check metrics < " + file, output);
  std::remove(file.c_str());
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "");
}

TEST(RegistryExposition, TheOpenMetricsParserAcceptsItWithExemplars) {
  std::string output;
  MMF_SKIP_OR_FAIL_WITHOUT(python_client_available(),
                           "/usr/bin/python3 with prometheus_client is not available");
  MetricRegistry registry;
  const auto families = collection(registry);
  std::string text;
  write_exposition(ExpositionFormat::kOpenMetrics, families, nullptr, text);
  const std::string exposition = temp_file(text);
  const std::string script = temp_file(R"(import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
exemplars = 0
names = set()
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    names.add(family.name)
    exemplars += sum(1 for s in family.samples if s.exemplar)
print(exemplars, ' '.join(sorted(names)))
)");
  output.clear();
  const int status = run_command(std::string(kPython) + " " + script + " " + exposition, output);
  std::remove(exposition.c_str());
  std::remove(script.c_str());
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(output.substr(0, 2), "2 ") << output;  // the counter's and the bucket's
  for (const char* name :
       {"payments_processed", "payment_processing_duration_seconds", "active_payments",
        "account_balance", "queue_depth", "process_cpu_seconds", "process_resident_memory_bytes"}) {
    EXPECT_NE(output.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace mmf::detail
