#include "metrics/exposition.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "mmf/metrics_scrape.h"

namespace mmf {

MetricsScrape scrape_metrics(const MetricRegistry& registry, std::string_view accept,
                             std::string_view accept_encoding, const ScrapeOptions& options) {
  std::vector<detail::MetricFamilyData> families = registry.state().collect();
  if (options.process_metrics) {
    for (auto& family : detail::collect_process_metrics()) families.push_back(std::move(family));
  }
  const detail::ExpositionFormat format = detail::negotiate_format(accept);
  MetricsScrape scrape;
  scrape.content_type = std::string(detail::content_type(format));
  std::string text;
  detail::write_exposition(format, families, options.resource, text);
  if (detail::accepts_gzip(accept_encoding) && detail::gzip(text, scrape.body)) {
    scrape.gzip = true;
  } else {
    scrape.body = std::move(text);
  }
  return scrape;
}

}  // namespace mmf
