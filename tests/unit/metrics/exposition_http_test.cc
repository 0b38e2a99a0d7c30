// The HTTP side of /metrics: the format chosen from real scrapers' Accept headers (and from
// garbage), Accept-Encoding, and gzip output checked by inflating it with zlib.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/exposition.h"
#include "unit/gzip_support.h"

namespace mmf::detail {
namespace {

// ---- Negotiation -------------------------------------------------------------------------------

ExpositionFormat negotiated(std::string_view accept) { return negotiate_format(accept); }
constexpr ExpositionFormat kText = ExpositionFormat::kPrometheusText;
constexpr ExpositionFormat kOpenMetrics = ExpositionFormat::kOpenMetrics;

TEST(NegotiateFormatTest, PrometheusScrapersGetOpenMetrics) {
  EXPECT_EQ(content_type(kText), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(content_type(kOpenMetrics),
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  // Prometheus 2.42's header, then one like Prometheus 3's (with escaping parameters).
  EXPECT_EQ(negotiated("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                       "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            kOpenMetrics);
  EXPECT_EQ(negotiated("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,"
                       "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
                       "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"),
            kOpenMetrics);
  EXPECT_EQ(negotiated("application/openmetrics-text"), kOpenMetrics);
  EXPECT_EQ(negotiated(" Application/OpenMetrics-Text ; Version=\"1.0.0\" ; Q=1 "), kOpenMetrics);
  EXPECT_EQ(negotiated("text/plain;q=0.5, application/openmetrics-text;q=0.5"), kOpenMetrics);
  EXPECT_EQ(negotiated("application/openmetrics-text;q=0.5,*/*;q=0.1"), kOpenMetrics);
  EXPECT_EQ(negotiated("application/openmetrics-text;q=0.1,text/plain;q=0,*/*"), kOpenMetrics);
}

TEST(NegotiateFormatTest, EverythingElseAndGarbageGetText) {
  for (const std::string_view accept : {"",
                                        "*/*",
                                        "text/plain;version=0.0.4",
                                        "application/json",
                                        "application/openmetrics-text;version=0.0.1",
                                        "application/openmetrics-text;version=2.0.0",
                                        "application/openmetrics-text;q=0",
                                        "application/openmetrics-text;q=0.4,text/plain;q=0.5",
                                        "application/openmetrics-text;q=0.4,text/*;q=0.5",
                                        "application/openmetrics-text;q=0.4,*/*;q=0.5",
                                        ",,,;;;===",
                                        ";",
                                        "=",
                                        "\"",
                                        "application/openmetrics-text;q=",
                                        "application/openmetrics-text;q=abc",
                                        "application/openmetrics-text;q=-1",
                                        "application/openmetrics-text;q=nan",
                                        "application/openmetrics-text;version=\"1.0.0",
                                        "application/openmetrics-text\xff"}) {
    EXPECT_EQ(negotiated(accept), kText) << accept;
  }
  EXPECT_EQ(negotiated(std::string(100000, ',')), kText);
  EXPECT_EQ(negotiated("application/openmetrics-text;q=7"), kOpenMetrics);  // clamped to 1
}

TEST(AcceptsGzipTest, FollowsQValuesAndWildcard) {
  for (const std::string_view yes :
       {"gzip", "deflate, GZIP;q=0.5, br", "x-gzip", "*", "identity;q=1, *;q=0.1"}) {
    EXPECT_TRUE(accepts_gzip(yes)) << yes;
  }
  // "gzip;q=0, *": the explicit range wins over the wildcard.
  for (const std::string_view no : {"", "deflate, br", "gzip;q=0", "gzip;q=0, *", "*;q=0",
                                    "gzip;q=zero", "gzipped", ";,=\"\xff"}) {
    EXPECT_FALSE(accepts_gzip(no)) << no;
  }
}

// ---- gzip ------------------------------------------------------------------------------------

TEST(GzipTest, RoundTripsThroughZlibInflate) {
  std::string exposition;  // repetitive, like the real thing
  for (int i = 0; i < 2000; ++i) {
    exposition += "http_requests_total{method=\"GET\",code=\"" + std::to_string(i % 7) + "\"} " +
                  std::to_string(i) + "\n";
  }
  std::string compressed = "prefix";
  ASSERT_TRUE(gzip(exposition, compressed));
  EXPECT_EQ(compressed.substr(0, 6), "prefix");
  EXPECT_EQ(compressed.substr(6, 2), "\x1f\x8b");  // the gzip magic
  EXPECT_LT(compressed.size(), exposition.size() / 5);
  EXPECT_EQ(testing_support::gunzip(std::string_view(compressed).substr(6)), exposition);
}

TEST(GzipTest, CompressesEmptyAndIncompressibleInput) {
  std::string empty;
  ASSERT_TRUE(gzip("", empty));
  EXPECT_EQ(testing_support::gunzip(empty), "");
  std::string noise(100000, '\0');
  std::uint32_t state = 12345;
  for (char& c : noise) c = static_cast<char>((state = state * 1664525 + 1013904223) >> 24);
  std::string compressed;
  ASSERT_TRUE(gzip(noise, compressed));
  EXPECT_EQ(testing_support::gunzip(compressed), noise);
}

}  // namespace
}  // namespace mmf::detail
