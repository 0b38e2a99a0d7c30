#include "metrics/exposition.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "mmf/carrier.h"
#include "mmf/metrics_scrape.h"

namespace mmf {

MetricsScrape scrape_metrics(const MetricRegistry& registry, std::string_view accept,
                             std::string_view accept_encoding, const ScrapeOptions& options) {
  // The registry's cache of the last collection, when no other scrape is using it: collecting
  // into it again reuses its strings and vectors, which halves the cost of a scrape.
  detail::RegistryState::ScrapeCache& cache = registry.state().scrape_cache();
  std::unique_lock<std::mutex> cached(cache.mutex, std::try_to_lock);
  std::vector<detail::MetricFamilyData> own;
  std::vector<detail::MetricFamilyData>& families = cached ? cache.families : own;
  registry.state().collect_into(families);
  if (options.process_metrics) {
    for (auto& family : detail::collect_process_metrics()) families.push_back(std::move(family));
  }
  const detail::ExpositionFormat format = detail::negotiate_format(accept);
  MetricsScrape scrape;
  scrape.content_type = std::string(detail::content_type(format));
  scrape.body.reserve(cached ? cache.last_size + cache.last_size / 8 : 0);
  detail::write_exposition(format, families, options.resource, scrape.body);
  if (cached) cache.last_size = scrape.body.size();
  gzip_scrape(scrape, accept_encoding);
  return scrape;
}

bool gzip_scrape(MetricsScrape& scrape, std::string_view accept_encoding) {
  if (scrape.gzip || !detail::accepts_gzip(accept_encoding)) return false;
  std::string compressed;
  if (!detail::gzip(scrape.body, compressed)) return false;
  scrape.body = std::move(compressed);
  scrape.gzip = true;
  return true;
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) noexcept {
  if (token.empty()) return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      !iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  const std::string_view presented = authorization.substr(kScheme.size());
  // Every byte presented is compared, whatever the outcome; only the presented length shows.
  unsigned difference = presented.size() == token.size() ? 0U : 1U;
  for (std::size_t i = 0; i < presented.size(); ++i) {
    difference |= static_cast<unsigned char>(presented[i] ^ token[i % token.size()]);
  }
  return difference == 0;
}

}  // namespace mmf
