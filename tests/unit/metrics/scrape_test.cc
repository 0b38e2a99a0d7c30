// scrape_metrics(): what a /metrics handler sends, for the headers a scraper sends.
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <thread>

#include "mmf/metrics_scrape.h"
#include "unit/gzip_support.h"

namespace mmf {
namespace {

constexpr const char* kPrometheusAccept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

TEST(Scrape, TextByDefaultOpenMetricsForPrometheus) {
  MetricRegistry registry;
  registry.create_counter("requests_total", "Requests", {"code"}).inc({{"code", "200"}}, 3);
  const MetricsScrape text = scrape_metrics(registry, "", "");
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_FALSE(text.gzip);
  EXPECT_NE(text.body.find("requests_total{code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.body.find("process_resident_memory_bytes "), std::string::npos);

  const MetricsScrape open_metrics = scrape_metrics(registry, kPrometheusAccept, "");
  EXPECT_EQ(open_metrics.content_type,
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_NE(open_metrics.body.find("# TYPE requests counter"), std::string::npos);
  EXPECT_TRUE(open_metrics.body.ends_with("# EOF\n"));
}

TEST(Scrape, GzipWhenAcceptedAndOptions) {
  MetricRegistry registry;
  registry.create_gauge("temperature", "T").set(21.5);
  const Resource resource({{"service.name", std::string("payments")}});
  const MetricsScrape scrape = scrape_metrics(registry, "", "gzip, deflate",
                                              {.resource = &resource, .process_metrics = false});
  ASSERT_TRUE(scrape.gzip);
  const std::string body = testing_support::gunzip(scrape.body);
  EXPECT_NE(body.find("temperature 21.5\n"), std::string::npos);
  EXPECT_NE(body.find("target_info{service_name=\"payments\"} 1"), std::string::npos);
  EXPECT_EQ(body.find("process_"), std::string::npos);
  EXPECT_FALSE(scrape_metrics(registry, "", "gzip;q=0").gzip);
}

TEST(Scrape, ScrapesWhileThreadsRecordLoseNothing) {
  MetricRegistry registry;
  BoundCounter bound = registry.create_counter("busy_total", "Busy").bind();
  Counter labelled = registry.create_counter("labelled_total", "Labelled", {"k"});
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) EXPECT_FALSE(scrape_metrics(registry, kPrometheusAccept, "").body.empty());
  });
  for (int i = 0; i < 500'000; ++i) {
    bound.inc();
    labelled.inc({{"k", i % 2 == 0 ? "a" : "b"}});
  }
  done.store(true);
  scraper.join();
  const std::string body = scrape_metrics(registry, "", "").body;
  EXPECT_NE(body.find("busy_total 500000\n"), std::string::npos);
  EXPECT_NE(body.find("labelled_total{k=\"a\"} 250000\n"), std::string::npos);
}

}  // namespace
}  // namespace mmf
