// The /metrics writers: Prometheus text format 0.0.4 and OpenMetrics 1.0 text, the choice
// between them from a scraper's Accept header, and gzip for Content-Encoding.
//
//   const ExpositionFormat format = negotiate_format(request.header("Accept"));
//   std::string body;
//   write_exposition(format, registry_collection, &resource, body);
//   response.set_header("Content-Type", content_type(format));
//
// What the writers promise (each rule is pinned by a golden test and checked with promtool and
// the Python OpenMetrics parser):
//   - families and points in the order given; a family with no points still gets its metadata
//     (valid in both formats, and it tells the scraper that the metric exists);
//   - counters: text 0.0.4 names the family and samples <name>_total, as Prometheus's own clients
//     do; OpenMetrics writes "# TYPE <name> counter", <name>_total and, when the start time is
//     known, <name>_created; up-down counters and gauges are gauges;
//   - histograms: cumulative <name>_bucket lines ending with le="+Inf", then _sum and _count (the
//     +Inf bucket's value), and OpenMetrics _created. le is Go's %g ("0.005", "1", "1e+06");
//     OpenMetrics appends ".0" when that has no point or exponent ("1.0"), its canonical form.
//     OpenMetrics forbids _sum when a bound or the sum is negative, and _count comes only with _sum
//     there;
//   - OpenMetrics only: # UNIT when the family name ends with _<unit> (otherwise the line would
//     make the exposition invalid, so it is left out), exemplars (those with a trace ID) as
//     trace_id and span_id labels, and "# EOF" at the end;
//   - an overflow point (PointData::overflow) has the single label otel_metric_overflow="true";
//   - HELP (left out when empty) and label values are escaped as each format requires, and any
//     ill-formed UTF-8 in them becomes U+FFFD, so the output is always well-formed UTF-8;
//   - target_info first, from the resource's attributes (see write_exposition).
// Metric and label names are trusted: the registry has validated them.
//
// Cost: no allocation per sample (the output goes through a 4 KiB buffer into out); per counter
// series about 45 ns in text 0.0.4 and 65 ns in OpenMetrics, which adds _created
// (bench/exposition_bench.cc). The writers are in exposition.cc, the rest in exposition_http.cc.
//
// Thread-safety: pure functions over the data passed in.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "metrics/metric_data.h"
#include "mmf/resource.h"

namespace mmf::detail {

enum class ExpositionFormat : std::uint8_t { kPrometheusText, kOpenMetrics };

// The format a scraper asked for in its Accept header: OpenMetrics when it accepts
// application/openmetrics-text (version 1.0.0 or no version) with a q-value > 0 that is not lower
// than the one text/plain gets (from a text/plain range, else text/*, else */*); otherwise, and
// for an empty or malformed header, Prometheus text. A range whose q-value does not parse counts
// as not accepted.
ExpositionFormat negotiate_format(std::string_view accept) noexcept;

// "text/plain; version=0.0.4; charset=utf-8" or
// "application/openmetrics-text; version=1.0.0; charset=utf-8".
std::string_view content_type(ExpositionFormat format) noexcept;

// Appends the exposition of families to out (which keeps what it held). When resource is not
// null and has attributes, a target_info metric comes first: an OpenMetrics info ("# TYPE target
// info") or, in text 0.0.4, a gauge named target_info, with value 1 and one label per attribute.
// Attribute keys become label names by the OpenTelemetry rules (each invalid character becomes
// "_", runs of "_" become one, "key_" in front of a leading digit or "key" of a leading "_"; keys
// that end up equal get their values joined by ";" in the order of the original keys); values
// are written as text (true/false, decimal numbers, arrays as JSON).
void write_exposition(ExpositionFormat format, std::span<const MetricFamilyData> families,
                      const Resource* resource, std::string& out);

// Whether an Accept-Encoding header accepts gzip (or x-gzip, or * without a gzip range) with
// q > 0.
bool accepts_gzip(std::string_view accept_encoding) noexcept;

// Appends the gzip (RFC 1952) compression of data to out. Returns false, with out as it was, when
// zlib fails (or data exceeds 1 GiB).
bool gzip(std::string_view data, std::string& out);

}  // namespace mmf::detail
