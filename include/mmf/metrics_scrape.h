// One scrape of the metrics, ready to send: what a /metrics handler answers.
//
//   // in any HTTP server's GET /metrics handler:
//   mmf::MetricsScrape scrape = mmf::scrape_metrics(registry, request_accept_header,
//                                                   request_accept_encoding_header);
//   response.set_header("Content-Type", scrape.content_type);
//   if (scrape.gzip) response.set_header("Content-Encoding", "gzip");
//   response.set_body(scrape.body);
//
// It collects the registry (and, unless turned off, the standard process metrics) and writes
// them in the format the scraper asks for: OpenMetrics 1.0 when its Accept header prefers it
// (Prometheus does), Prometheus text 0.0.4 otherwise; gzip-compressed when Accept-Encoding
// allows it. Recording never waits for a scrape: collection locks an instrument only against
// new series being added. The library's own endpoint is mmf::MetricsServer (mmf/metrics_server.h);
// for cpp-httplib, mmf/metrics_httplib.h mounts this on an existing server.
//
// Thread-safety: call from any thread, concurrently with recording.
#pragma once

#include <string>
#include <string_view>

#include "mmf/metrics.h"
#include "mmf/resource.h"

namespace mmf {

struct MetricsScrape {
  std::string body;
  std::string content_type;  // e.g. "text/plain; version=0.0.4; charset=utf-8"
  bool gzip = false;         // the body is gzip-compressed: send "Content-Encoding: gzip"
};

struct ScrapeOptions {
  const Resource* resource = nullptr;  // written as target_info when set
  bool process_metrics = true;  // process_cpu_seconds_total, process_resident_memory_bytes...
};

// Accept and Accept-Encoding are the scraper's header values (empty when absent).
MetricsScrape scrape_metrics(const MetricRegistry& registry, std::string_view accept,
                             std::string_view accept_encoding, const ScrapeOptions& options = {});

// Compresses scrape.body with gzip when accept_encoding accepts it and the body is not
// compressed yet; true when it did. scrape_metrics() calls it; it is public for servers that
// compress some content types themselves (cpp-httplib does text/*) and must not get a body
// compressed twice.
bool gzip_scrape(MetricsScrape& scrape, std::string_view accept_encoding);

// Whether an Authorization header value presents token as a bearer credential
// ("Bearer <token>", the scheme in any case), compared in time that does not depend on where a
// wrong credential differs, so that it cannot be guessed byte by byte. An empty token accepts
// every request. A handler answers 401 with "WWW-Authenticate: Bearer" when this is false.
bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept;

}  // namespace mmf
