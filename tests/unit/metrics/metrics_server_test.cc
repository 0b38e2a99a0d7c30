#include "mmf/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace mmf {
namespace {

// A connected loopback socket, closed on destruction.
class Connection {
 public:
  explicit Connection(int port, const char* address = "127.0.0.1") {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (std::string_view(address).find(':') == std::string_view::npos) {
      auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
      v4->sin_family = AF_INET;
      v4->sin_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET, address, &v4->sin_addr);
      length = sizeof *v4;
    } else {
      auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(static_cast<std::uint16_t>(port));
      ::inet_pton(AF_INET6, address, &v6->sin6_addr);
      length = sizeof *v6;
    }
    fd_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) == 0;
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  // Everything the server sends until it closes the connection (or 10 s pass).
  std::string read_all() {
    std::string out;
    char buffer[8192];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

struct Response {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  bool has_header(std::string_view line) const {
    return head.find(std::string("\r\n") + std::string(line) + "\r\n") != std::string::npos;
  }
};

Response roundtrip(int port, std::string_view request) {
  Connection connection(port);
  EXPECT_TRUE(connection.connected());
  connection.send(request);
  const std::string raw = connection.read_all();
  Response response;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return response;
  response.status = std::stoi(raw.substr(9, 3));
  response.head = raw.substr(0, end + 2);
  response.body = raw.substr(end + 4);
  return response;
}

Response get(int port, std::string_view path, std::string_view extra_headers = "") {
  return roundtrip(port, "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n" +
                             std::string(extra_headers) + "\r\n");
}

class MetricsServerTest : public ::testing::Test {
 protected:
  MetricsServerTest() {
    registry_.create_counter("orders_total", "Orders placed.", {"status"})
        .inc({{"status", "ok"}}, 3);
  }
  MetricsServerOptions options(std::string token = {}) {
    return {.bind_address = "127.0.0.1",
            .port = 0,
            .bearer_token = std::move(token),
            .scrape = {.process_metrics = false}};
  }
  MetricRegistry registry_;
};

TEST_F(MetricsServerTest, ServesPrometheusTextByDefault) {
  MetricsServer server(registry_, options());
  ASSERT_GT(server.port(), 0);
  const Response response = get(server.port(), "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.has_header("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
      << response.head;
  EXPECT_TRUE(response.has_header("Content-Length: " + std::to_string(response.body.size())));
  EXPECT_TRUE(response.has_header("Connection: close"));
  EXPECT_NE(response.body.find("orders_total{status=\"ok\"} 3\n"), std::string::npos)
      << response.body;
  EXPECT_EQ(server.scrapes(), 1U);
}

TEST_F(MetricsServerTest, NegotiatesOpenMetricsAndGzipAndIgnoresTheQuery) {
  MetricsServer server(registry_, options());
  const Response open =
      get(server.port(), "/metrics?name[]=x",
          "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n");
  EXPECT_EQ(open.status, 200);
  EXPECT_TRUE(
      open.has_header("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"));
  EXPECT_TRUE(open.body.ends_with("# EOF\n"));

  const Response compressed = get(server.port(), "/metrics", "accept-encoding: gzip\r\n");
  EXPECT_EQ(compressed.status, 200);
  EXPECT_TRUE(compressed.has_header("Content-Encoding: gzip"));
  ASSERT_GE(compressed.body.size(), 2U);
  EXPECT_EQ(static_cast<unsigned char>(compressed.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(compressed.body[1]), 0x8b);
}

TEST_F(MetricsServerTest, HeadGetsTheHeadersWithoutTheBody) {
  MetricsServer server(registry_, options());
  const Response full = get(server.port(), "/metrics");
  const Response head = roundtrip(server.port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_TRUE(head.has_header("Content-Length: " + std::to_string(full.body.size())));
}

TEST_F(MetricsServerTest, RejectsOtherPathsMethodsAndMalformedRequests) {
  MetricsServer server(registry_, options());
  EXPECT_EQ(get(server.port(), "/").status, 404);
  EXPECT_EQ(get(server.port(), "/metrics/extra").status, 404);
  const Response post =
      roundtrip(server.port(), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(post.has_header("Allow: GET, HEAD"));
  EXPECT_EQ(roundtrip(server.port(), "GET /metrics\r\n\r\n").status, 400);
  EXPECT_EQ(roundtrip(server.port(), "GET /metrics HTTP/2.0\r\n\r\n").status, 400);
  EXPECT_EQ(roundtrip(server.port(), "GET metrics HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(roundtrip(server.port(), "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n").status, 400);
  EXPECT_EQ(roundtrip(server.port(), std::string("\x01\xff\r\n\r\n", 6)).status, 400);
  const std::string huge =
      "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(roundtrip(server.port(), huge).status, 431);
  EXPECT_EQ(server.rejected(), 9U);
  // And it still serves.
  EXPECT_EQ(get(server.port(), "/metrics").status, 200);
}

TEST_F(MetricsServerTest, BearerTokenIsRequiredWhenSet) {
  MetricsServer server(registry_, options("s3cret-token"));
  const Response none = get(server.port(), "/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(none.has_header("WWW-Authenticate: Bearer realm=\"metrics\""));
  EXPECT_EQ(none.body.find("orders_total"), std::string::npos);
  EXPECT_EQ(get(server.port(), "/metrics", "Authorization: Bearer s3cret-tokex\r\n").status, 401);
  EXPECT_EQ(get(server.port(), "/metrics", "Authorization: Bearer s3cret\r\n").status, 401);
  EXPECT_EQ(get(server.port(), "/metrics", "Authorization: Basic czNjcmV0LXRva2Vu\r\n").status,
            401);
  EXPECT_EQ(get(server.port(), "/metrics", "Authorization: Bearer \r\n").status, 401);
  EXPECT_EQ(get(server.port(), "/metrics", "Authorization: Bearer s3cret-token\r\n").status, 200);
  // The scheme is case-insensitive (RFC 9110 §11.1).
  EXPECT_EQ(get(server.port(), "/metrics", "authorization: bearer s3cret-token\r\n").status, 200);
}

TEST_F(MetricsServerTest, BadOptionsAreClearErrors) {
  try {
    MetricsServer server(registry_, {.bind_address = "not-an-address", .port = 0});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("not-an-address"), std::string::npos);
  }
  EXPECT_THROW(MetricsServer(registry_, {.port = 70000}), std::invalid_argument);
  EXPECT_THROW(MetricsServer(registry_, {.port = -1}), std::invalid_argument);
  EXPECT_THROW(MetricsServer(registry_, {.port = 0, .path = "metrics"}), std::invalid_argument);
  EXPECT_THROW(MetricsServer(registry_, {.port = 0, .max_connections = 0}), std::invalid_argument);
  // An address this machine does not have.
  EXPECT_THROW(MetricsServer(registry_, {.bind_address = "192.0.2.1", .port = 0}),
               std::system_error);
}

TEST_F(MetricsServerTest, PortTakenIsASystemErrorNamingTheAddress) {
  MetricsServer first(registry_, options());
  try {
    MetricsServer second(registry_, {.bind_address = "127.0.0.1", .port = first.port()});
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(error.what()).find("127.0.0.1:" + std::to_string(first.port())),
              std::string::npos);
  }
}

TEST_F(MetricsServerTest, StopFreesThePortAndIsIdempotent) {
  MetricsServer server(registry_, options());
  const int port = server.port();
  server.stop();
  server.stop();
  EXPECT_FALSE(Connection(port).connected());
  MetricsServer again(registry_, {.bind_address = "127.0.0.1", .port = port});
  EXPECT_EQ(again.port(), port);
  EXPECT_EQ(get(port, "/metrics").status, 200);
}

TEST_F(MetricsServerTest, SilentClientsAreCutAndDoNotHoldTheServer) {
  MetricsServerOptions o = options();
  o.io_timeout = std::chrono::milliseconds(300);
  o.max_connections = 2;
  MetricsServer server(registry_, o);
  Connection silent(server.port());
  silent.send("GET /metr");  // never finishes its request
  // The other worker answers meanwhile.
  EXPECT_EQ(get(server.port(), "/metrics").status, 200);
  // The silent connection is closed by the server after io_timeout, without an answer.
  EXPECT_EQ(silent.read_all(), "");
  EXPECT_EQ(get(server.port(), "/metrics").status, 200);
}

TEST_F(MetricsServerTest, StopDoesNotWaitForAHangingClient) {
  MetricsServerOptions o = options();
  o.io_timeout = std::chrono::hours(1);
  o.max_connections = 1;
  auto server = std::make_unique<MetricsServer>(registry_, o);
  Connection silent(server->port());
  silent.send("GET /metrics HTTP/1.1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the worker take it
  server->stop();  // would block for an hour if the read ignored stop()
  EXPECT_EQ(silent.read_all(), "");
}

TEST_F(MetricsServerTest, ServesIpv6WhenTheMachineHasIt) {
  std::unique_ptr<MetricsServer> server;
  try {
    server = std::make_unique<MetricsServer>(
        registry_, MetricsServerOptions{
                       .bind_address = "[::1]", .port = 0, .scrape = {.process_metrics = false}});
  } catch (const std::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  Connection connection(server->port(), "::1");
  ASSERT_TRUE(connection.connected());
  connection.send("GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(connection.read_all().substr(0, 12), "HTTP/1.1 200");
}

TEST_F(MetricsServerTest, ScrapesDuringRecordingSeeExactTotalsAtTheEnd) {
  Counter counter = registry_.create_counter("work_total", "Work done.", {"worker"});
  MetricsServer server(registry_, options());
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) EXPECT_EQ(get(server.port(), "/metrics").status, 200);
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      BoundCounter bound = counter.bind({{"worker", std::to_string(w)}});
      for (int i = 0; i < 200000; ++i) bound.inc();
    });
  }
  for (std::thread& worker : workers) worker.join();
  done = true;
  scraper.join();
  const std::string body = get(server.port(), "/metrics").body;
  EXPECT_NE(body.find("work_total{worker=\"0\"} 200000\n"), std::string::npos) << body;
  EXPECT_NE(body.find("work_total{worker=\"1\"} 200000\n"), std::string::npos);
}

TEST_F(MetricsServerTest, RecordingNeverWaitsForAScrapeInProgress) {
  Counter counter = registry_.create_counter("busy_total", "Busy.", {"k"});
  BoundCounter existing = counter.bind({{"k", "existing"}});
  std::promise<void> recorded;
  std::shared_future<void> recorded_future = recorded.get_future().share();
  std::atomic<bool> in_collection{false};
  // A callback that holds the scrape in the middle of collection until recording is done.
  registry_.create_callback_gauge("slow_source", "Slow.", [&] {
    in_collection = true;
    recorded_future.wait_for(std::chrono::seconds(10));
    return 1.0;
  });
  MetricsServer server(registry_, options());
  std::thread scrape([&] { EXPECT_EQ(get(server.port(), "/metrics").status, 200); });
  while (!in_collection) std::this_thread::yield();
  // While the scrape is stuck in collection: existing series, new series, a new instrument.
  auto recording = std::async(std::launch::async, [&] {
    for (int i = 0; i < 1000; ++i) existing.inc();
    counter.inc({{"k", "new"}});
    registry_.create_counter("created_meanwhile_total", "New.").inc();
  });
  EXPECT_EQ(recording.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "recording waited for the scrape";
  recorded.set_value();
  recording.wait();
  scrape.join();
  const std::string body = get(server.port(), "/metrics").body;
  EXPECT_NE(body.find("busy_total{k=\"existing\"} 1000\n"), std::string::npos) << body;
  EXPECT_NE(body.find("created_meanwhile_total 1\n"), std::string::npos);
}

TEST_F(MetricsServerTest, RoutesAnswerBesideMetrics) {
  MetricsServerOptions o = options();
  bool ready = false;
  std::string level = "info";
  o.routes.push_back({.path = "/healthz",
                      .handler = [](const HttpRequest&) { return HttpAnswer{.body = "ok\n"}; }});
  o.routes.push_back({.path = "/readyz", .handler = [&](const HttpRequest&) {
                        return ready ? HttpAnswer{.body = "ready\n"}
                                     : HttpAnswer{.status = 503, .body = "starting\n"};
                      }});
  o.routes.push_back({.method = "POST",
                      .path = "/admin/log-level",
                      .bearer_token = "adm1n",
                      .handler = [&](const HttpRequest& request) {
                        level = query_parameter(request.query, "level").value_or("?");
                        return HttpAnswer{.body = level + "\n"};
                      }});
  o.routes.push_back({.path = "/boom", .handler = [](const HttpRequest&) -> HttpAnswer {
                        throw std::runtime_error("handler failed");
                      }});
  MetricsServer server(registry_, o);
  const Response health = get(server.port(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(roundtrip(server.port(), "HEAD /healthz HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_EQ(get(server.port(), "/readyz").status, 503);
  ready = true;
  EXPECT_EQ(get(server.port(), "/readyz").status, 200);
  EXPECT_EQ(roundtrip(server.port(), "POST /admin/log-level?level=debug HTTP/1.1\r\n\r\n").status,
            401);
  EXPECT_EQ(level, "info");
  const Response changed = roundtrip(
      server.port(),
      "POST /admin/log-level?level=debug HTTP/1.1\r\nAuthorization: Bearer adm1n\r\n\r\n");
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(level, "debug");
  const Response wrong_method =
      get(server.port(), "/admin/log-level", "Authorization: Bearer adm1n\r\n");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_TRUE(wrong_method.has_header("Allow: POST"));
  EXPECT_EQ(get(server.port(), "/boom").status, 500);
  EXPECT_EQ(get(server.port(), "/nothing").status, 404);
  EXPECT_EQ(get(server.port(), "/metrics").status, 200);  // still there
}

TEST_F(MetricsServerTest, BadRoutesAreRefused) {
  MetricsServerOptions o = options();
  o.routes.push_back(
      {.path = "healthz", .handler = [](const HttpRequest&) { return HttpAnswer{}; }});
  EXPECT_THROW(MetricsServer(registry_, o), std::invalid_argument);
  o.routes = {{.path = "/metrics", .handler = [](const HttpRequest&) { return HttpAnswer{}; }}};
  EXPECT_THROW(MetricsServer(registry_, o), std::invalid_argument);
  o.routes = {{.path = "/healthz"}};  // no handler
  EXPECT_THROW(MetricsServer(registry_, o), std::invalid_argument);
}

TEST(QueryParameter, DecodesPercentAndPlusAndRefusesMalformedEscapes) {
  EXPECT_EQ(query_parameter("a=1&level=debug", "level"), "debug");
  EXPECT_EQ(query_parameter("logger=payment.db&x=y", "logger"), "payment.db");
  EXPECT_EQ(query_parameter("name=a%20b+c%2Fd", "name"), "a b c/d");
  EXPECT_EQ(query_parameter("flag", "flag"), "");
  EXPECT_EQ(query_parameter("a=1", "b"), std::nullopt);
  EXPECT_EQ(query_parameter("a=%zz", "a"), std::nullopt);
  EXPECT_EQ(query_parameter("a=%2", "a"), std::nullopt);
  EXPECT_EQ(query_parameter("", "a"), std::nullopt);
}

}  // namespace
}  // namespace mmf
