#include "mmf/metrics_httplib.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <thread>

#include "unit/gzip_support.h"

namespace mmf {
namespace {

// An httplib server on a free loopback port, listening on its own thread.
class HttplibMetricsTest : public ::testing::Test {
 protected:
  void start(MetricsHandlerOptions options) {
    registry_.create_counter("orders_total", "Orders.", {"status"}).inc({{"status", "ok"}}, 2);
    options.scrape.process_metrics = false;
    mount_metrics(server_, registry_, std::move(options));
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("hi", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HttplibMetricsTest() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_decompress(false);  // to see what went over the wire
    return c;
  }

  MetricRegistry registry_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(HttplibMetricsTest, MountsNextToTheApplicationsRoutes) {
  start({});
  auto c = client();
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("orders_total{status=\"ok\"} 2\n"), std::string::npos);
  auto hello = c.Get("/hello");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->body, "hi");
}

TEST_F(HttplibMetricsTest, OpenMetricsIsGzippedExactlyOnce) {
  start({});
  auto c = client();
  auto response = c.Get("/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"},
                                     {"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Encoding"), "gzip");
  const std::string text = testing_support::gunzip(response->body);
  EXPECT_TRUE(text.ends_with("# EOF\n")) << text;
  EXPECT_NE(text.find("orders_total{status=\"ok\"} 2"), std::string::npos);
}

TEST_F(HttplibMetricsTest, PrometheusTextIsGzippedExactlyOnce) {
  start({});
  auto c = client();
  auto response = c.Get("/metrics", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->get_header_value("Content-Encoding"), "gzip");
  const std::string text = testing_support::gunzip(response->body);
  EXPECT_NE(text.find("orders_total{status=\"ok\"} 2\n"), std::string::npos) << text;
}

TEST_F(HttplibMetricsTest, BearerTokenAndCustomPath) {
  start({.path = "/internal/metrics", .bearer_token = "t0ken"});
  auto c = client();
  auto denied = c.Get("/internal/metrics");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(denied->get_header_value("WWW-Authenticate"), "Bearer realm=\"metrics\"");
  auto wrong = c.Get("/internal/metrics", {{"Authorization", "Bearer t0kem"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto allowed = c.Get("/internal/metrics", {{"Authorization", "Bearer t0ken"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  auto old_path = c.Get("/metrics", {{"Authorization", "Bearer t0ken"}});
  ASSERT_TRUE(old_path);
  EXPECT_EQ(old_path->status, 404);
}

}  // namespace
}  // namespace mmf
