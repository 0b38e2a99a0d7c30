// The exposition writers: the exact text of each metric kind in Prometheus text 0.0.4 and
// OpenMetrics 1.0 (golden strings), escaping and UTF-8 repair of hostile text, exemplars,
// _created, target_info, number and le rendering, and output that crosses the writer's buffer.
// The last tests hand a full exposition to the real parsers: promtool (Prometheus's own linter,
// text format) and the strict OpenMetrics parser of the Python client. Without those tools they
// skip, unless MMF_REQUIRE_TOOLS=1 (as in CI), where they fail.
#include "metrics/exposition.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "unit/metrics/tool_support.h"

namespace mmf::detail {
namespace {

constexpr std::string_view kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanHex = "00f067aa0ba902b7";
// The exemplar labels of those IDs, as a literal for the golden strings.
#define MMF_EXEMPLAR_IDS \
  "trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\""

Exemplar make_exemplar(double value, std::int64_t time_unix_nano) {
  return {value, time_unix_nano, *TraceId::from_hex(kTraceHex), *SpanId::from_hex(kSpanHex)};
}

// Builders: the data structs have more fields than any one test sets.
MetricFamilyData make_family(std::string name, MetricKind kind, std::string help = "",
                             std::vector<std::string> label_names = {}) {
  MetricFamilyData family;
  family.name = std::move(name);
  family.kind = kind;
  family.help = std::move(help);
  family.label_names = std::move(label_names);
  return family;
}

PointData make_point(double value, std::vector<std::string> label_values = {}) {
  PointData point;
  point.value = value;
  point.label_values = std::move(label_values);
  return point;
}

PointData make_histogram_point(std::vector<std::uint64_t> bucket_counts, double sum,
                               std::vector<std::string> label_values = {}) {
  PointData point = make_point(0, std::move(label_values));
  for (const std::uint64_t n : bucket_counts) point.count += n;
  point.bucket_counts = std::move(bucket_counts);
  point.sum = sum;
  return point;
}

MetricFamilyData counter_family() {
  MetricFamilyData family =
      make_family("http_requests", MetricKind::kCounter, "Requests served.", {"method", "code"});
  family.points = {make_point(1027, {"GET", "200"}), make_point(3, {"POST", "500"})};
  family.points[0].start_time_unix_nano = 1'700'000'000'500'000'000;
  family.points[0].exemplars = {make_exemplar(1, 1'700'000'001'123'456'789)};
  return family;
}

MetricFamilyData histogram_family() {
  MetricFamilyData family =
      make_family("rpc_duration_seconds", MetricKind::kHistogram, "RPC latency.", {"method"});
  family.unit = "seconds";
  family.bounds = {0.005, 0.1, 1, 2.5, 10};
  PointData point = make_histogram_point({1, 2, 3, 0, 1, 1}, 12.5, {"Get"});
  point.start_time_unix_nano = 1'700'000'000'000'000'000;
  point.exemplars.resize(6);
  point.exemplars[2] = make_exemplar(0.7, 1'700'000'002'000'000'000);
  point.exemplars[5] = make_exemplar(11, 0);
  family.points = {point};
  return family;
}

constexpr ExpositionFormat kText = ExpositionFormat::kPrometheusText;
constexpr ExpositionFormat kOpenMetrics = ExpositionFormat::kOpenMetrics;

std::string write(ExpositionFormat format, const std::vector<MetricFamilyData>& families,
                  const Resource* resource = nullptr) {
  std::string out;
  write_exposition(format, families, resource, out);
  return out;
}

std::string text(const std::vector<MetricFamilyData>& families) {
  return write(ExpositionFormat::kPrometheusText, families);
}
std::string openmetrics(const std::vector<MetricFamilyData>& families) {
  return write(ExpositionFormat::kOpenMetrics, families);
}

TEST(ExpositionTest, CounterInTextIsNamedWithTotalAndHasNoExemplarOrCreated) {
  EXPECT_EQ(text({counter_family()}),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",code=\"200\"} 1027\n"
            "http_requests_total{method=\"POST\",code=\"500\"} 3\n");
}

TEST(ExpositionTest, CounterInOpenMetricsHasTotalCreatedAndExemplar) {
  EXPECT_EQ(openmetrics({counter_family()}),
            "# TYPE http_requests counter\n"
            "# HELP http_requests Requests served.\n"
            "http_requests_total{method=\"GET\",code=\"200\"} 1027 # {" MMF_EXEMPLAR_IDS
            "} 1 1700000001.123456789\n"
            "http_requests_created{method=\"GET\",code=\"200\"} 1700000000.5\n"
            "http_requests_total{method=\"POST\",code=\"500\"} 3\n"
            "# EOF\n");
}

TEST(ExpositionTest, UpDownCounterAndGaugeAreGauges) {
  std::vector<MetricFamilyData> families = {
      make_family("mmf_queue_items", MetricKind::kUpDownCounter, "Items waiting."),
      make_family("process_memory_bytes", MetricKind::kGauge, "Resident memory.", {"kind"})};
  families[0].points = {make_point(-2)};
  families[1].unit = "bytes";
  families[1].points = {make_point(0.25, {"rss"})};
  EXPECT_EQ(text(families),
            "# HELP mmf_queue_items Items waiting.\n# TYPE mmf_queue_items gauge\n"
            "mmf_queue_items -2\n"
            "# HELP process_memory_bytes Resident memory.\n# TYPE process_memory_bytes gauge\n"
            "process_memory_bytes{kind=\"rss\"} 0.25\n");
  EXPECT_EQ(openmetrics(families),
            "# TYPE mmf_queue_items gauge\n# HELP mmf_queue_items Items waiting.\n"
            "mmf_queue_items -2\n"
            "# TYPE process_memory_bytes gauge\n# UNIT process_memory_bytes bytes\n"
            "# HELP process_memory_bytes Resident memory.\n"
            "process_memory_bytes{kind=\"rss\"} 0.25\n# EOF\n");
}

TEST(ExpositionTest, HistogramInTextHasCumulativeBucketsSumAndCount) {
  EXPECT_EQ(text({histogram_family()}),
            "# HELP rpc_duration_seconds RPC latency.\n"
            "# TYPE rpc_duration_seconds histogram\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"0.005\"} 1\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"0.1\"} 3\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"1\"} 6\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"2.5\"} 6\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"10\"} 7\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"+Inf\"} 8\n"
            "rpc_duration_seconds_sum{method=\"Get\"} 12.5\n"
            "rpc_duration_seconds_count{method=\"Get\"} 8\n");
}

TEST(ExpositionTest, HistogramInOpenMetricsHasCanonicalLeExemplarsAndCreated) {
  EXPECT_EQ(openmetrics({histogram_family()}),
            "# TYPE rpc_duration_seconds histogram\n"
            "# UNIT rpc_duration_seconds seconds\n"
            "# HELP rpc_duration_seconds RPC latency.\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"0.005\"} 1\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"0.1\"} 3\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"1.0\"} 6 # {" MMF_EXEMPLAR_IDS
            "} 0.7 1700000002\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"2.5\"} 6\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"10.0\"} 7\n"
            "rpc_duration_seconds_bucket{method=\"Get\",le=\"+Inf\"} 8 # {" MMF_EXEMPLAR_IDS
            "} 11\n"
            "rpc_duration_seconds_sum{method=\"Get\"} 12.5\n"
            "rpc_duration_seconds_count{method=\"Get\"} 8\n"
            "rpc_duration_seconds_created{method=\"Get\"} 1700000000\n"
            "# EOF\n");
}

TEST(ExpositionTest, OpenMetricsOmitsSumAndCountWhenTheSumCannotBeACounter) {
  // A negative bound, or a negative or NaN sum: OpenMetrics forbids _sum, and _count comes only
  // with _sum. Text 0.0.4 keeps both.
  MetricFamilyData negative_bound = make_family("temperature_celsius", MetricKind::kHistogram);
  negative_bound.bounds = {-10, 0};
  negative_bound.points = {make_histogram_point({1, 0, 0}, -12)};
  EXPECT_EQ(openmetrics({negative_bound}),
            "# TYPE temperature_celsius histogram\ntemperature_celsius_bucket{le=\"-10.0\"} 1\n"
            "temperature_celsius_bucket{le=\"0.0\"} 1\ntemperature_celsius_bucket{le=\"+Inf\"} 1\n"
            "# EOF\n");
  EXPECT_NE(text({negative_bound}).find("temperature_celsius_sum -12\n"), std::string::npos);

  MetricFamilyData nan_sum = make_family("odd", MetricKind::kHistogram);
  nan_sum.bounds = {1};
  nan_sum.points = {make_histogram_point({1, 0}, std::numeric_limits<double>::quiet_NaN())};
  EXPECT_EQ(openmetrics({nan_sum}).find("odd_sum"), std::string::npos);
  EXPECT_EQ(openmetrics({nan_sum}).find("odd_count"), std::string::npos);
}

TEST(ExpositionTest, HistogramWithoutLabelsCountsTheInfBucket) {
  MetricFamilyData family = make_family("h", MetricKind::kHistogram);
  family.bounds = {1};
  family.points = {make_histogram_point({2, 3}, 9)};
  family.points[0].count = 4;  // a torn read: _count is the +Inf bucket, so they always agree
  EXPECT_EQ(
      text({family}),
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 5\nh_sum 9\nh_count 5\n");
}

TEST(ExpositionTest, UnitIsWrittenOnlyWhenTheNameEndsWithIt) {
  MetricFamilyData family = make_family("request_latency", MetricKind::kGauge, "h");
  family.unit = "seconds";
  EXPECT_EQ(openmetrics({family}),
            "# TYPE request_latency gauge\n# HELP request_latency h\n# EOF\n");
  family.name = "request_xseconds";  // ends with the unit, but not with "_" + unit
  EXPECT_EQ(openmetrics({family}).find("# UNIT"), std::string::npos);
  family.name = "request_seconds";
  family.kind = MetricKind::kCounter;  // counter names have no _total, so the unit is the suffix
  EXPECT_NE(openmetrics({family}).find("# UNIT request_seconds seconds\n"), std::string::npos);
  EXPECT_EQ(text({family}).find("UNIT"), std::string::npos);
}

TEST(ExpositionTest, EmptyFamilyKeepsItsMetadataAndEmptyHelpIsLeftOut) {
  std::vector<MetricFamilyData> families = {make_family("jobs", MetricKind::kCounter, "Jobs run."),
                                            make_family("no_help", MetricKind::kGauge)};
  families[1].points = {make_point(1)};
  EXPECT_EQ(text(families),
            "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\n"
            "# TYPE no_help gauge\nno_help 1\n");
  EXPECT_EQ(openmetrics(families),
            "# TYPE jobs counter\n# HELP jobs Jobs run.\n"
            "# TYPE no_help gauge\nno_help 1\n# EOF\n");
  EXPECT_EQ(openmetrics({}), "# EOF\n");
  EXPECT_EQ(text({}), "");
}

TEST(ExpositionTest, EscapesHelpAsEachFormatRequires) {
  const MetricFamilyData family = make_family("g", MetricKind::kGauge, "say \"hi\"\\ and\nbye");
  // Text 0.0.4 escapes only backslash and line feed in HELP; OpenMetrics also the quote.
  EXPECT_EQ(text({family}), "# HELP g say \"hi\"\\\\ and\\nbye\n# TYPE g gauge\n");
  EXPECT_EQ(openmetrics({family}),
            "# TYPE g gauge\n# HELP g say \\\"hi\\\"\\\\ and\\nbye\n# EOF\n");
}

TEST(ExpositionTest, EscapesHostileLabelValues) {
  MetricFamilyData family = make_family("g", MetricKind::kGauge, "", {"v", "empty"});
  family.points = {make_point(1, {"a\"b\\c\nd} 1\n# EOF", ""})};
  const std::string line = "g{v=\"a\\\"b\\\\c\\nd} 1\\n# EOF\",empty=\"\"} 1\n";
  EXPECT_EQ(text({family}), "# TYPE g gauge\n" + line);
  EXPECT_EQ(openmetrics({family}), "# TYPE g gauge\n" + line + "# EOF\n");
}

TEST(ExpositionTest, ReplacesInvalidUtf8AndKeepsValidUtf8) {
  const std::string replacement = "\xEF\xBF\xBD";
  MetricFamilyData family = make_family("g", MetricKind::kGauge, "caf\xC3\xA9 \xFF", {"v"});
  family.points = {make_point(1, {"\xE2\x82\xAC \xC3\x28 \xED\xA0\x80 \xF0\x9F\x98\x80"})};
  EXPECT_EQ(text({family}), "# HELP g caf\xC3\xA9 " + replacement +
                                "\n# TYPE g gauge\ng{v=\"\xE2\x82\xAC " + replacement + "( " +
                                replacement + replacement + replacement +
                                " \xF0\x9F\x98\x80\"} 1\n");
}

TEST(ExpositionTest, OverflowSeriesHasTheSingleOverflowLabel) {
  MetricFamilyData family = make_family("hits", MetricKind::kCounter, "", {"user"});
  family.points = {make_point(1, {"u1"}), make_point(7)};
  family.points[1].overflow = true;
  EXPECT_EQ(text({family}),
            "# TYPE hits_total counter\nhits_total{user=\"u1\"} 1\n"
            "hits_total{otel_metric_overflow=\"true\"} 7\n");
}

// The value of a one-sample gauge, as written.
std::string written_value(double value) {
  MetricFamilyData family = make_family("g", MetricKind::kGauge);
  family.points = {make_point(value)};
  const std::string out = text({family});
  return out.substr(out.rfind(' ') + 1, out.size() - out.rfind(' ') - 2);
}

TEST(ExpositionTest, WritesNumbersAsPrometheusParsesThem) {
  EXPECT_EQ(written_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(written_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(written_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(written_value(0), "0");
  EXPECT_EQ(written_value(-0.0), "0");
  // Integers in plain decimal up to 2^53, where not every integer is a double any more.
  EXPECT_EQ(written_value(1234567), "1234567");
  EXPECT_EQ(written_value(-9007199254740992.0), "-9007199254740992");
  EXPECT_EQ(written_value(1e20), "1e+20");
  // Other values as Go's %g: shortest round-trip digits, exponent form below 1e-4 and from 1e6.
  EXPECT_EQ(written_value(0.1), "0.1");
  EXPECT_EQ(written_value(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(written_value(0.0001), "0.0001");
  EXPECT_EQ(written_value(0.00001), "1e-05");
  EXPECT_EQ(written_value(-2.5e-300), "-2.5e-300");
  EXPECT_EQ(written_value(123456.7), "123456.7");
  EXPECT_EQ(written_value(1234567.8), "1.2345678e+06");
}

// The le values of a one-point histogram with these bounds, in order, without +Inf.
std::vector<std::string> le_values(ExpositionFormat format, std::vector<double> bounds) {
  MetricFamilyData family = make_family("h", MetricKind::kHistogram);
  family.bounds = std::move(bounds);
  family.points = {make_histogram_point({}, 0)};
  const std::string out = write(format, {family});
  std::vector<std::string> les;
  for (std::size_t at = out.find("le=\""); at != std::string::npos; at = out.find("le=\"", at)) {
    at += 4;
    les.push_back(out.substr(at, out.find('"', at) - at));
  }
  les.pop_back();  // +Inf
  return les;
}

TEST(ExpositionTest, LeFollowsTheOpenMetricsCanonicalNumbers) {
  // The examples of the specification's "Considerations: Canonical Numbers".
  EXPECT_EQ(le_values(ExpositionFormat::kOpenMetrics,
                      {0.0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1.0, 1.7, 10.0}),
            (std::vector<std::string>{"0.0", "0.001", "0.002", "0.01", "0.1", "0.9", "0.95", "0.99",
                                      "0.999", "1.0", "1.7", "10.0"}));
  EXPECT_EQ(le_values(ExpositionFormat::kOpenMetrics,
                      {1e-10, 1e-09, 1e-05, 0.0001, 0.1, 1.0, 100000.0, 1e+06, 1e+10, 1.1e+23}),
            (std::vector<std::string>{"1e-10", "1e-09", "1e-05", "0.0001", "0.1", "1.0", "100000.0",
                                      "1e+06", "1e+10", "1.1e+23"}));
  // Text 0.0.4: what Prometheus's Go client writes (%g without the ".0").
  EXPECT_EQ(le_values(ExpositionFormat::kPrometheusText,
                      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 100000, 1e6}),
            (std::vector<std::string>{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
                                      "2.5", "5", "10", "100000", "1e+06"}));
}

TEST(ExpositionTest, CreatedAndExemplarTimestampsAreExactDecimalSeconds) {
  MetricFamilyData family = make_family("c", MetricKind::kCounter);
  family.points = {make_point(1)};
  family.points[0].start_time_unix_nano = 1'000'000'001;
  family.points[0].exemplars = {make_exemplar(0.5, 1'700'000'000'000'000'010)};
  const std::string out = openmetrics({family});
  EXPECT_NE(out.find("} 0.5 1700000000.00000001\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c_created 1.000000001\n"), std::string::npos) << out;
}

TEST(ExpositionTest, ExemplarWithoutTraceIsLeftOut) {
  MetricFamilyData family = make_family("c", MetricKind::kCounter);
  family.points = {make_point(1)};
  family.points[0].exemplars = {Exemplar{}};
  EXPECT_EQ(openmetrics({family}), "# TYPE c counter\nc_total 1\n# EOF\n");
}

Resource test_resource() {
  return Resource({{"service.name", std::string("payment-service")},
                   {"service.version", std::string("1.2.0")},
                   {"process.pid", std::int64_t{4242}},
                   {"sample.ratio", 0.25},
                   {"feature.enabled", true},
                   {"k8s.labels", std::vector<std::string>{"a", "b\"c"}},
                   {"ports", std::vector<std::int64_t>{80, 443}},
                   {"flags", std::vector<bool>{true, false}},
                   {"1st-key", std::string("digit")},
                   {"_private", std::string("underscore")},
                   {"a.b", std::string("dot")},
                   {"a-b", std::string("dash")},
                   {"a..b", std::string("dots")}});
}

TEST(ExpositionTest, TargetInfoComesFirstWithSanitizedSortedLabels) {
  const Resource resource = test_resource();
  const std::string labels =
      // a-b, a..b and a.b all become a_b: their values are joined in the order of those keys.
      "{a_b=\"dash;dots;dot\",feature_enabled=\"true\",flags=\"[true,false]\","
      "k8s_labels=\"[\\\"a\\\",\\\"b\\\\\\\"c\\\"]\",key_1st_key=\"digit\","
      "key_private=\"underscore\",ports=\"[80,443]\",process_pid=\"4242\","
      "sample_ratio=\"0.25\",service_name=\"payment-service\",service_version=\"1.2.0\"} 1\n";
  const std::vector<MetricFamilyData> families = {make_family("up", MetricKind::kGauge)};
  EXPECT_EQ(write(ExpositionFormat::kPrometheusText, families, &resource),
            "# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info" + labels +
                "# TYPE up gauge\n");
  EXPECT_EQ(write(ExpositionFormat::kOpenMetrics, families, &resource),
            "# TYPE target info\n# HELP target Target metadata\ntarget_info" + labels +
                "# TYPE up gauge\n# EOF\n");
  const Resource empty;
  EXPECT_EQ(write(ExpositionFormat::kOpenMetrics, {}, &empty), "# EOF\n");
}

// Long and hostile label values, so that lines cross the writer's 4 KiB buffer at every kind of
// place: the output of all points together must be the output of each point alone, in turn.
TEST(ExpositionTest, LinesAcrossTheBufferMatchEachPointWrittenAlone) {
  std::mt19937 random(42);
  const std::string alphabet = std::string("ab\"\\\n\xC3\xA9\xFF ") + std::string(20, 'x');
  for (MetricFamilyData family : {counter_family(), histogram_family()}) {
    const PointData model = family.points[0];
    family.points.clear();
    for (int i = 0; i < 60; ++i) {
      PointData point = model;
      for (std::string& value : point.label_values) {
        value.resize(
            std::uniform_int_distribution<std::size_t>(0, i % 10 == 0 ? 5000 : 300)(random));
        for (char& c : value) c = i % 20 == 0 ? 'p' : alphabet[random() % alphabet.size()];
      }
      family.points.push_back(point);
    }
    for (const ExpositionFormat format : {kText, kOpenMetrics}) {
      const std::string eof = format == kOpenMetrics ? "# EOF\n" : "";
      const auto without_eof = [&](const MetricFamilyData& part) {
        const std::string all = write(format, {part});
        return all.substr(0, all.size() - eof.size());
      };
      MetricFamilyData alone = family;
      alone.points.clear();
      const std::string header = without_eof(alone);
      std::string expected = "kept\n" + header;
      for (const PointData& point : family.points) {
        alone.points = {point};
        expected += without_eof(alone).substr(header.size());
      }
      std::string out = "kept\n";  // what out held before is kept
      write_exposition(format, std::vector{family}, nullptr, out);
      ASSERT_EQ(out, expected + eof);
    }
  }
}

// ---- The real parsers --------------------------------------------------------------------------

using testing_support::kPython;
using testing_support::python_client_available;
using testing_support::run_command;
using testing_support::temp_file;

// Every kind, hostile text, exemplars, _created, a unit, an empty family and target_info.
std::vector<MetricFamilyData> full_collection() {
  std::vector<MetricFamilyData> families = {
      counter_family(), histogram_family(),
      make_family("mmf_queue_items", MetricKind::kUpDownCounter, "Items waiting."),
      make_family("mmf_hostile", MetricKind::kGauge, "say \"hi\"\\ and\nbye \xFF", {"v"}),
      make_family("mmf_jobs", MetricKind::kCounter, "Jobs run.")};
  families[2].points = {make_point(-2)};
  families[3].points = {make_point(1.5, {"say \"hi\"\\ and\nbye \xFF"}),
                        make_point(std::numeric_limits<double>::quiet_NaN(), {"nan"})};
  return families;
}

TEST(ExpositionToolsTest, PromtoolAcceptsTheTextExposition) {
  std::string output;
  MMF_SKIP_OR_FAIL_WITHOUT(run_command("command -v promtool", output) == 0,
                           "promtool is not installed (Debian package prometheus)");
  const Resource resource = test_resource();
  const std::string file = temp_file(write(kText, full_collection(), &resource));
  output.clear();
  const int status = run_command("promtool check metrics < " + file, output);
  std::remove(file.c_str());
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "");  // no lint warning either
}

TEST(ExpositionToolsTest, PythonOpenMetricsParserAcceptsTheExpositionAndFindsExemplars) {
  MMF_SKIP_OR_FAIL_WITHOUT(python_client_available(),
                           "/usr/bin/python3 with prometheus_client is not available (Debian "
                           "package python3-prometheus-client)");
  const Resource resource = test_resource();
  const std::string exposition = temp_file(write(kOpenMetrics, full_collection(), &resource));
  const std::string script = temp_file(R"(import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1], 'rb').read().decode('utf-8')
for family in text_string_to_metric_families(text):
    print('family', family.name, family.type, family.unit or '-', json.dumps(family.documentation))
    for sample in family.samples:
        if sample.exemplar:
            ids = [sample.exemplar.labels[k] for k in ('trace_id', 'span_id')]
            print('exemplar', sample.name, sample.exemplar.value, ids == sys.argv[2:])
        if sample.name == 'mmf_hostile' and sample.labels['v'] != 'nan':
            print('label', json.dumps(sample.labels['v']))
)");
  std::string output;
  const int status = run_command(std::string(kPython) + " " + script + " " + exposition + " " +
                                     std::string(kTraceHex) + " " + std::string(kSpanHex),
                                 output);
  std::remove(exposition.c_str());
  std::remove(script.c_str());
  ASSERT_EQ(status, 0) << output;
  EXPECT_EQ(output,
            "family target info - \"Target metadata\"\n"
            "family http_requests counter - \"Requests served.\"\n"
            "exemplar http_requests_total 1 True\n"
            "family rpc_duration_seconds histogram seconds \"RPC latency.\"\n"
            "exemplar rpc_duration_seconds_bucket 0.7 True\n"
            "exemplar rpc_duration_seconds_bucket 11 True\n"
            "family mmf_queue_items gauge - \"Items waiting.\"\n"
            "family mmf_hostile gauge - \"say \\\"hi\\\"\\\\ and\\nbye \\ufffd\"\n"
            "label \"say \\\"hi\\\"\\\\ and\\nbye \\ufffd\"\n"
            "family mmf_jobs counter - \"Jobs run.\"\n");
}

}  // namespace
}  // namespace mmf::detail
