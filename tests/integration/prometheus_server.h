// A real Prometheus server (Debian's /usr/bin/prometheus) as a child process, for integration
// tests that prove our /metrics endpoint against the scraper it is made for.
//
//   PrometheusServer prometheus({.jobs = {{.target = "127.0.0.1:9464"}}});
//   WaitResult up = prometheus.wait_for("up", has_value(1), std::chrono::seconds(15));
//
// The constructor writes a configuration (scrape and evaluation interval 1 s) into a new
// temporary directory, which also holds the TSDB and the server's log, starts Prometheus on a
// free loopback port with exemplar storage enabled, and returns once /-/ready answers 200. The
// destructor stops it (SIGTERM, then SIGKILL after a grace time), reaps it and removes the
// directory. Should the test process die first (a crash, a ctest timeout), the kernel kills
// the child too (PR_SET_PDEATHSIG), but only the temporary directory is left behind. The kernel
// sends that signal when the *thread* that started the child ends, so construct the server on a
// thread that lives as long as it: the main thread (as in SetUpTestSuite) or the test's own.
//
// Timing: Prometheus hands new targets to its scrape manager at most every 5 s, so the first
// scrape, and the first queryable sample, come about 5-6 s after start however short the scrape
// interval is. Use wait_for() rather than fixed sleeps.
//
// Errors (start-up failure, an HTTP or API error) throw std::runtime_error with a message that
// says what failed; start-up errors include the tail of the server's log.
//
// Thread-safety: none; use one object from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mmf::testing_support {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

// One scrape job with a single static target.
struct ScrapeJob {
  std::string name = "mmf";
  std::string target;  // host:port
  std::string metrics_path = "/metrics";
  std::string bearer_token{};  // sent as "Authorization: Bearer <token>" when not empty
};

struct PrometheusOptions {
  std::vector<ScrapeJob> jobs;
  std::chrono::milliseconds ready_timeout{30000};  // for /-/ready after start
  std::chrono::milliseconds stop_grace{5000};      // between SIGTERM and SIGKILL
};

// What wait_for() saw: the accepted result, or the last one when the time ran out.
struct WaitResult {
  bool accepted = false;
  nlohmann::json result;                                // data.result of the last query
  std::string describe(std::string_view promql) const;  // for test failure messages
};

class PrometheusServer {
 public:
  // Whether kPrometheusBinary exists and is executable.
  static bool available();

  explicit PrometheusServer(PrometheusOptions options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  int port() const noexcept { return port_; }
  std::string base_url() const;

  // An instant query at the current time: the "data.result" member of /api/v1/query's answer
  // (an array of {"metric": {...}, "value": [time, "text"]} for a vector). Throws on an HTTP or
  // API error, with Prometheus's error message (a PromQL syntax error, for example).
  nlohmann::json query(std::string_view promql) const;
  // Repeats query(promql) every 250 ms until accept(result) is true or timeout has passed.
  WaitResult wait_for(std::string_view promql,
                      const std::function<bool(const nlohmann::json&)>& accept,
                      std::chrono::milliseconds timeout) const;

  // The "data" member of a GET of path_and_query (e.g. "/api/v1/targets"); throws when the
  // answer is not 200 with status "success".
  nlohmann::json api_get(std::string_view path_and_query) const;
  // data.activeTargets of /api/v1/targets: each with "health", "lastError", "labels", ...
  nlohmann::json targets() const;
  // The server's own /metrics, in the Prometheus text format.
  std::string self_metrics() const;
  // The sum of all series of metric name in self_metrics(), or -1 when it is absent.
  double self_metric(std::string_view name) const;
  // The self-metrics that count what Prometheus rejected from scrapes (samples with duplicate
  // timestamps, out of order or out of bounds; exemplars out of order) as "name=value" for each
  // one that is not 0, or "name missing"; empty when ingestion was clean.
  std::string ingestion_problems() const;

  // The last max_bytes of the server's stdout and stderr.
  std::string log_tail(std::size_t max_bytes = 4000) const;

 private:
  void write_config() const;
  // Starts the child on a free port; false when it exited at start-up because the port was
  // taken after all (a race with another process), so the caller can try another port.
  bool start_once();
  void stop() noexcept;

  PrometheusOptions options_;
  std::filesystem::path dir_;  // config, TSDB and log
  pid_t pid_ = -1;
  int port_ = 0;
};

// Predicates for wait_for(): a non-empty vector result.
bool has_samples(const nlohmann::json& result);
// A one-sample vector result whose value is expected (within a relative 1e-9).
std::function<bool(const nlohmann::json&)> has_value(double expected);
// The value of a one-sample vector result (NaN when there is not exactly one sample).
double single_value(const nlohmann::json& result);

}  // namespace mmf::testing_support
