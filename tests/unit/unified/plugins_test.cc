#include "mmf/plugins.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "mmf/log.h"
#include "mmf/metrics_scrape.h"
#include "mmf/propagation.h"
#include "mmf/testing.h"
#include "mmf/tracer.h"

namespace mmf {
namespace {

std::string scrape(const MetricRegistry& registry) {
  return scrape_metrics(registry, "", "", {.process_metrics = false}).body;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

// Keeps each span's name and mmf.plugin.name attribute.
class PluginAttributeExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanView> spans, const Resource&,
                            const InstrumentationScope&,
                            std::chrono::steady_clock::time_point) noexcept override {
    std::lock_guard lock(mutex_);
    for (const SpanView& span : spans) {
      std::string plugin;
      span.for_each_attribute([&](std::string_view key, const AttributeValue& value) {
        if (key == "mmf.plugin.name") plugin = std::string(value.as_string());
      });
      plugins_[std::string(span.name())] = plugin;
    }
    return ExportResult::kSuccess;
  }
  std::map<std::string, std::string> plugins() const {
    std::lock_guard lock(mutex_);
    return plugins_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> plugins_;
};

TEST(PluginScope, MarksTheSameRequestAsThePluginsWork) {
  MetricRegistry registry;
  PluginMetrics plugins(registry);
  CorrelationScope request({.operation_name = "checkout", .correlation_id = "req_1"});
  const std::string request_id = get_request_id();
  {
    PluginScope work(plugins, "payments-plugin", "charge");
    EXPECT_EQ(Context::current().plugin(), "payments-plugin");
    EXPECT_EQ(get_request_id(), request_id);  // not a new request
    EXPECT_EQ(get_correlation_id(), "req_1");
  }
  EXPECT_EQ(Context::current().plugin(), "");
}

TEST(PluginScope, SpansAndLogsCarryThePlugin) {
  MetricRegistry registry;
  PluginMetrics plugins(registry);
  auto exporter = std::make_shared<PluginAttributeExporter>();
  Tracer tracer({.exporter = exporter});
  auto sink = std::make_shared<test::RecordingLogSink>();
  LoggingPipeline logging({.sinks = {sink}});
  {
    PluginScope work(plugins, "fraud-plugin", "score");
    tracer.start_span("score_payment");
    logging.logger().log(LogLevel::kInfo, "scored");
  }
  tracer.start_span("outside");
  ASSERT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
  ASSERT_TRUE(logging.flush());
  EXPECT_EQ(exporter->plugins().at("score_payment"), "fraud-plugin");
  EXPECT_EQ(exporter->plugins().at("outside"), "");
  ASSERT_EQ(sink->records().size(), 1U);
  EXPECT_EQ(sink->records()[0].plugin, "fraud-plugin");
}

TEST(PluginMetrics, OperationsErrorsCallsRequestsAndCpuAreRecorded) {
  MetricRegistry registry;
  PluginMetrics plugins(registry);
  const Propagator propagator;
  const std::map<std::string, std::string> headers = {{"X-Correlation-ID", "req-from-caller"}};
  {
    ContextScope incoming(propagator.extract(headers));
    PluginScope outer(plugins, "payments-plugin", "charge");
    {
      PluginScope inner(plugins, "fraud-plugin", "score");  // called from payments-plugin
      volatile double spin = 0;
      for (int i = 0; i < 3'000'000; ++i) spin = spin + 1;  // some CPU time in the scope
    }
    outer.set_error("card_declined");
  }
  { PluginScope local(plugins, "payments-plugin", "refund"); }
  const std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_operations_total{plugin=\"payments-plugin\","
                       "operation=\"charge\",status=\"error\"} 1"))
      << text;
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_operations_total{plugin=\"fraud-plugin\","
                       "operation=\"score\",status=\"success\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_errors_total{plugin=\"payments-plugin\","
                       "error_type=\"card_declined\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_calls_total{source_plugin=\"payments-plugin\","
                       "target_plugin=\"fraud-plugin\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_requests_total{plugin=\"payments-plugin\","
                       "correlation=\"incoming\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_requests_total{plugin=\"payments-plugin\","
                       "correlation=\"local\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_operation_duration_seconds_count{plugin=\"fraud-plugin\","
                       "operation=\"score\"} 1"));
  EXPECT_NE(text.find("mmf_plugin_cpu_seconds_total{plugin=\"fraud-plugin\"} 0.0"),
            std::string::npos)
      << "the spin loop takes well under a second of CPU";
  EXPECT_EQ(text.find("mmf_plugin_calls_total{source_plugin=\"\""), std::string::npos);
}

TEST(PluginMetrics, StatusLifecycleAndDependencyHealth) {
  MetricRegistry registry;
  PluginMetrics plugins(registry);
  plugins.set_status("payments-plugin", "1.4.0", PluginStatus::kLoading);
  plugins.set_status("payments-plugin", "1.4.0", PluginStatus::kActive);
  plugins.lifecycle_event("payments-plugin", "config_changed");
  bool gateway_up = true;
  plugins.register_dependency_check("payments-plugin", "card-gateway", [&] { return gateway_up; });
  plugins.register_dependency_check("payments-plugin", "ledger",
                                    []() -> bool { throw std::runtime_error("no answer"); });
  std::string text = scrape(registry);
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_status{plugin=\"payments-plugin\",version=\"1.4.0\","
                       "status=\"active\"} 1"))
      << text;
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_status{plugin=\"payments-plugin\",version=\"1.4.0\","
                       "status=\"loading\"} 0"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_lifecycle_events_total{plugin=\"payments-plugin\","
                       "event=\"loading\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_lifecycle_events_total{plugin=\"payments-plugin\","
                       "event=\"config_changed\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_dependency_health{plugin=\"payments-plugin\","
                       "dependency=\"card-gateway\"} 1"));
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_dependency_health{plugin=\"payments-plugin\","
                       "dependency=\"ledger\"} 0"));
  gateway_up = false;
  text = scrape(registry);
  EXPECT_TRUE(has_line(text,
                       "mmf_plugin_dependency_health{plugin=\"payments-plugin\","
                       "dependency=\"card-gateway\"} 0"));
}

TEST(PluginMetrics, TheGlobalOneIsUsedByNameOnlyScopesAndForgottenWhenDestroyed) {
  { PluginScope unrecorded("lonely-plugin"); }  // no global metrics: only the Context
  EXPECT_EQ(PluginMetrics::global(), nullptr);
  MetricRegistry registry;
  {
    PluginMetrics plugins(registry);
    plugins.make_global();
    EXPECT_EQ(PluginMetrics::global(), &plugins);
    { PluginScope work("payments-plugin", "charge"); }
    EXPECT_TRUE(has_line(scrape(registry),
                         "mmf_plugin_operations_total{plugin=\"payments-plugin\","
                         "operation=\"charge\",status=\"success\"} 1"));
  }
  EXPECT_EQ(PluginMetrics::global(), nullptr);
  EXPECT_EQ(plugin_status_name(PluginStatus::kInitializing), "initializing");
}

}  // namespace
}  // namespace mmf
