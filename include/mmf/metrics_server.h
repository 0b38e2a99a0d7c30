// The /metrics endpoint: a small HTTP server of the library's own, for Prometheus to scrape.
//
//   mmf::MetricRegistry registry;
//   mmf::MetricsServer server(registry, {.port = 9464});  // serves until stop() or destruction
//
// A scrape answers as scrape_metrics() does (mmf/metrics_scrape.h): OpenMetrics 1.0 or
// Prometheus text 0.0.4 by the Accept header, gzip when Accept-Encoding allows it, process
// metrics and target_info as options.scrape says. With a bearer_token, a scrape without
// "Authorization: Bearer <token>" gets 401. options.routes add answers on other paths (each with
// its own method and token). Other paths get 404, other methods 405, a request that is not
// HTTP/1.x or is over the size limits 400 (or 431).
//
// Why not cpp-httplib: the core library has no HTTP server dependency (Debian's cpp-httplib is
// a compiled library), and /metrics needs one path, one method and one answer per connection.
// To serve from a cpp-httplib server the application already runs, use mmf/metrics_httplib.h;
// from any other server, scrape_metrics().
//
// The server never stalls recording (collection locks an instrument only against new series
// being added) and a slow or silent client cannot hold it: each connection has a read and
// write time limit, and at most max_connections are served at once (others wait in the
// kernel's backlog).
//
// Thread-safety: the server runs on threads of its own; stop() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/metrics.h"
#include "mmf/metrics_scrape.h"

namespace mmf {

// A request to an extra route (see MetricsServerOptions::routes). Views valid during the call.
struct HttpRequest {
  std::string_view method;  // "GET", "POST"...
  std::string_view path;    // without the query
  std::string_view query;   // after '?', as sent (see query_parameter)
};

struct HttpAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body{};
};

// An extra answer on the metrics port: health checks (/healthz, /readyz) and the admin
// endpoint live beside /metrics. Request bodies are not read: routes take their arguments from
// the query (POST /admin/log-level?logger=db&level=debug).
struct HttpRoute {
  std::string method = "GET";  // GET routes answer HEAD too
  std::string path;
  std::string bearer_token{};  // empty: no authentication
  // Runs on a server thread; must be quick. An exception answers 500.
  std::function<HttpAnswer(const HttpRequest&)> handler{};
};

// The value of name in a query string ("a=1&b=x%20y"), percent-decoded ('+' is a space);
// nullopt when absent or malformed.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

struct MetricsServerOptions {
  std::string bind_address = "0.0.0.0";  // an IPv4 or IPv6 address literal
  int port = 9464;                       // 0: any free port; port() tells which
  std::string path = "/metrics";
  std::string bearer_token{};  // empty: no authentication
  ScrapeOptions scrape{};
  // A connection that does not send its request, or does not take the answer, within this
  // time is closed.
  std::chrono::milliseconds io_timeout{10000};
  int max_connections = 4;  // served at once, each on its own thread
  std::vector<HttpRoute> routes{};
};

class MetricsServer {
 public:
  // Binds and starts serving. Throws std::system_error naming the address when it cannot bind
  // (port taken, address not local) and std::invalid_argument for a malformed address or port.
  // registry (and options.scrape.resource) must outlive the server.
  explicit MetricsServer(const MetricRegistry& registry, MetricsServerOptions options = {});
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port it listens on (the chosen one when options.port was 0).
  int port() const noexcept;
  // Stops accepting, closes the listening socket (the port is free when it returns) and waits
  // for the scrapes in progress, which are cut at their next read or write. Idempotent.
  void stop() noexcept;

  std::uint64_t scrapes() const noexcept;   // answered with 200 since start
  std::uint64_t rejected() const noexcept;  // answered 4xx (bad request, 401, 404, 405)

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mmf
