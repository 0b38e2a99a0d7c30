// Collecting into a previous collection (what every scrape after the first does) must give
// exactly what a fresh collection gives, whatever the previous one held.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/registry.h"
#include "mmf/context.h"
#include "mmf/ids.h"
#include "mmf/metrics_scrape.h"

namespace mmf {
namespace {

using detail::MetricFamilyData;

std::string open_metrics(const std::vector<MetricFamilyData>& families) {
  std::string text;
  detail::write_exposition(detail::ExpositionFormat::kOpenMetrics, families, nullptr, text);
  return text;
}

// A registry with every kind of instrument, an overflow series and exemplars.
void fill(MetricRegistry& registry, int round) {
  Counter orders = registry.create_counter("orders_total", "Orders.", {"status", "method"});
  orders.inc({{"status", "ok"}, {"method", "card"}}, round + 1);
  if (round > 0) orders.inc({{"status", "failed"}, {"method", "wallet"}});  // a new series
  Histogram latency = registry.create_histogram("latency_seconds", "Latency.", {"route"});
  {
    ContextScope traced(Context::current().with_span_context(
        {.trace_id = new_trace_id(), .span_id = new_span_id(), .flags = TraceFlags(1)}));
    latency.observe(0.02 * (round + 1), {{"route", "/a"}});
  }
  latency.observe(3, {{"route", "/b"}});
  registry.create_gauge("depth", "Depth.").set(round == 0 ? 10 : 0);  // back to 0
  Counter limited = registry.create_counter("limited_total", "Limited.", {"k"});
  for (int i = 0; i < 4 + round; ++i) limited.inc({{"k", std::to_string(i)}});
  registry.create_callback_gauge("callback_points", "Points.", {"k"},
                                 [round](CallbackObserver& observer) {
                                   for (int i = 0; i <= round; ++i) {
                                     observer.observe(i, {std::to_string(i)});
                                   }
                                 });
  if (round > 0) registry.create_up_down_counter("late_instrument", "Late.").add(-2);
}

TEST(CollectReuse, CollectingIntoThePreviousCollectionGivesAFreshCollection) {
  MetricRegistry registry({.cardinality_limit = 4});
  std::vector<MetricFamilyData> reused;
  fill(registry, 0);
  registry.state().collect_into(reused);
  EXPECT_EQ(open_metrics(reused), open_metrics(registry.state().collect()));
  fill(registry, 1);  // more series, changed values, an overflow, a new instrument
  registry.state().collect_into(reused);
  const std::string expected = open_metrics(registry.state().collect());
  EXPECT_EQ(open_metrics(reused), expected);
  EXPECT_NE(expected.find("otel_metric_overflow=\"true\""), std::string::npos);
  EXPECT_NE(expected.find("depth 0"), std::string::npos);
}

TEST(CollectReuse, APreviousCollectionOfABiggerRegistryShrinksToFit) {
  MetricRegistry big;
  fill(big, 1);
  Counter many = big.create_counter("many_total", "Many.", {"k"});
  for (int i = 0; i < 50; ++i) many.inc({{"k", std::to_string(i)}});
  std::vector<MetricFamilyData> reused;
  big.state().collect_into(reused);

  MetricRegistry small;
  small.create_histogram("only_seconds", "Only.", {"a", "b"}).observe(1, {{"a", "x"}, {"b", "y"}});
  small.create_counter("orders_total", "Orders.").inc(7);  // same name, other shape
  small.state().collect_into(reused);
  EXPECT_EQ(open_metrics(reused), open_metrics(small.state().collect()));
  EXPECT_EQ(reused.size(), 2U);
}

TEST(CollectReuse, RepeatedScrapesAnswerTheSame) {
  MetricRegistry registry({.cardinality_limit = 4});
  fill(registry, 0);
  const std::string first = scrape_metrics(registry, "", "", {.process_metrics = false}).body;
  EXPECT_EQ(scrape_metrics(registry, "", "", {.process_metrics = false}).body, first);
  fill(registry, 1);
  const MetricsScrape later = scrape_metrics(registry, "", "", {.process_metrics = false});
  std::string fresh;
  detail::write_exposition(detail::ExpositionFormat::kPrometheusText, registry.state().collect(),
                           nullptr, fresh);
  EXPECT_EQ(later.body, fresh);
}

}  // namespace
}  // namespace mmf
