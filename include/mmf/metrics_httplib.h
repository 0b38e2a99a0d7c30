// Serving /metrics from a cpp-httplib server the application already runs, instead of
// mmf::MetricsServer's own port. Header-only: include it where httplib.h is available and link
// cpp-httplib as the application already does (Debian: pkg-config cpp-httplib).
//
//   httplib::Server server;
//   mmf::mount_metrics(server, registry);                 // GET (and HEAD) /metrics
//   mmf::mount_metrics(server, registry, {.bearer_token = "secret"});
//   server.listen("0.0.0.0", 8080);
//
// The answer is scrape_metrics()'s (format by Accept, gzip by Accept-Encoding, process metrics
// and target_info as options.scrape says); with a bearer_token, 401 without it.
//
// Thread-safety: the handler runs on httplib's worker threads, concurrently with recording.
#pragma once

#include <httplib.h>

#include <string>
#include <utility>

#include "mmf/metrics.h"
#include "mmf/metrics_scrape.h"

namespace mmf {

struct MetricsHandlerOptions {
  std::string path = "/metrics";
  std::string bearer_token{};  // empty: no authentication
  ScrapeOptions scrape{};
};

// Registers the handler on server; registry (and options.scrape.resource) must outlive it.
inline void mount_metrics(httplib::Server& server, const MetricRegistry& registry,
                          MetricsHandlerOptions options = {}) {
  const std::string path = options.path;
  server.Get(path, [&registry, options = std::move(options)](const httplib::Request& request,
                                                             httplib::Response& response) {
    if (!bearer_token_matches(request.get_header_value("Authorization"), options.bearer_token)) {
      response.status = 401;
      response.set_header("WWW-Authenticate", "Bearer realm=\"metrics\"");
      response.set_content("unauthorized\n", "text/plain");
      return;
    }
    MetricsScrape scrape =
        scrape_metrics(registry, request.get_header_value("Accept"), {}, options.scrape);
    // httplib compresses text/* answers itself (as the client's Accept-Encoding allows), even
    // when Content-Encoding is already set; other types, OpenMetrics among them, are left to us.
    if (!scrape.content_type.starts_with("text/") &&
        gzip_scrape(scrape, request.get_header_value("Accept-Encoding"))) {
      response.set_header("Content-Encoding", "gzip");
    }
    response.set_header("Vary", "Accept-Encoding");
    response.set_content(std::move(scrape.body), scrape.content_type.c_str());
  });
}

}  // namespace mmf
