#include "prometheus_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace mmf::testing_support {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPollInterval{250};  // for wait_for(), as Prometheus scrapes every 1 s
constexpr milliseconds kStartPollInterval{100};
constexpr long kRequestTimeoutMs = 5000;
constexpr int kPortAttempts = 4;

// A port that was free a moment ago. Another process may take it before Prometheus binds it;
// the constructor then tries again with a new one.
int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "mmf_prometheus_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  return pattern;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct HttpAnswer {
  long status = 0;
  std::string body;
};

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

// A GET with libcurl. Throws when no HTTP answer came (refused, timed out).
HttpAnswer http_get(const std::string& url) {
  static std::once_flag curl_initialised;
  std::call_once(curl_initialised, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  HttpAnswer answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kRequestTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // An http_proxy in the environment must not catch requests to loopback.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    throw std::runtime_error("GET " + url + " failed: " + curl_easy_strerror(code));
  }
  return answer;
}

std::string url_encode(std::string_view text) {
  std::string encoded;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      encoded.append({'%', kHex[c >> 4], kHex[c & 0xF]});
    }
  }
  return encoded;
}

// A YAML double-quoted scalar: JSON's string syntax is valid YAML, and nlohmann escapes it.
std::string yaml_string(std::string_view text) { return nlohmann::json(text).dump(); }

// The exit status of pid if it has ended (reaping it), else nullopt.
std::optional<int> reap_if_exited(pid_t pid) {
  int status = 0;
  pid_t result;
  while ((result = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (result == 0) return std::nullopt;
  return status;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

std::string WaitResult::describe(std::string_view promql) const {
  return std::string("query ") + std::string(promql) +
         (accepted ? " returned " : " did not return an acceptable result in time; last: ") +
         result.dump();
}

bool PrometheusServer::available() { return ::access(kPrometheusBinary, X_OK) == 0; }

PrometheusServer::PrometheusServer(PrometheusOptions options) : options_(std::move(options)) {
  if (options_.jobs.empty()) throw std::invalid_argument("PrometheusServer: no scrape jobs");
  dir_ = make_temp_dir();
  try {
    write_config();
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
      if (start_once()) return;
    }
    throw std::runtime_error("Prometheus could not bind a free port in " +
                             std::to_string(kPortAttempts) + " attempts; log:\n" + log_tail());
  } catch (...) {
    // The destructor does not run for a constructor that throws.
    stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

PrometheusServer::~PrometheusServer() {
  stop();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string PrometheusServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void PrometheusServer::write_config() const {
  std::ofstream config(dir_ / "prometheus.yml");
  config << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n";
  for (const ScrapeJob& job : options_.jobs) {
    config << "  - job_name: " << yaml_string(job.name) << "\n"
           << "    metrics_path: " << yaml_string(job.metrics_path) << "\n"
           << "    static_configs:\n      - targets: [" << yaml_string(job.target) << "]\n";
    if (!job.bearer_token.empty()) {
      config << "    authorization:\n      credentials: " << yaml_string(job.bearer_token) << "\n";
    }
  }
  if (!config.flush()) {
    throw std::runtime_error("cannot write " + (dir_ / "prometheus.yml").string());
  }
}

bool PrometheusServer::start_once() {
  port_ = free_loopback_port();
  // Everything the child needs is built before fork(): between fork() and exec() a child of a
  // multi-threaded process may only make async-signal-safe calls, so no allocation.
  const std::string log_path = (dir_ / "prometheus.log").string();
  std::vector<std::string> args = {
      kPrometheusBinary,
      "--config.file=" + (dir_ / "prometheus.yml").string(),
      "--storage.tsdb.path=" + (dir_ / "data").string(),
      "--web.listen-address=127.0.0.1:" + std::to_string(port_),
      // query_exemplars answers from exemplar storage, which is off by default in 2.42.
      "--enable-feature=exemplar-storage",
  };
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    // Dies with the test process, even when that is killed (a ctest timeout, a crash). The
    // signal comes when the forking thread ends, so start the server from the main thread.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    // Truncated: the port-conflict check reads this attempt's log only.
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null = ::open("/dev/null", O_RDONLY);
    if (log < 0 || null < 0) ::_exit(126);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    // Inherited sockets (the metrics server's listener) would outlive their owner's close().
    ::closefrom(3);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }

  const auto deadline = Clock::now() + options_.ready_timeout;
  for (;;) {
    if (const std::optional<int> status = reap_if_exited(pid_)) {
      pid_ = -1;
      const std::string log = log_tail();
      if (log.find("address already in use") != std::string::npos) return false;
      throw std::runtime_error("Prometheus " + describe_status(*status) +
                               " during start-up; log:\n" + log);
    }
    try {
      if (http_get(base_url() + "/-/ready").status == 200) return true;
    } catch (const std::runtime_error&) {
      // Not listening yet.
    }
    if (Clock::now() >= deadline) {
      throw std::runtime_error("Prometheus did not answer 200 on " + base_url() +
                               "/-/ready within " + std::to_string(options_.ready_timeout.count()) +
                               " ms; log:\n" + log_tail());
    }
    std::this_thread::sleep_for(kStartPollInterval);
  }
}

void PrometheusServer::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + options_.stop_grace;
  while (!reap_if_exited(pid_)) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  pid_ = -1;
}

nlohmann::json PrometheusServer::api_get(std::string_view path_and_query) const {
  const std::string url = base_url() + std::string(path_and_query);
  const HttpAnswer answer = http_get(url);
  nlohmann::json body = nlohmann::json::parse(answer.body, nullptr, false);
  if (answer.status != 200 || body.is_discarded() || body.value("status", "") != "success") {
    throw std::runtime_error("GET " + url + " answered " + std::to_string(answer.status) + ": " +
                             answer.body);
  }
  return body["data"];
}

nlohmann::json PrometheusServer::query(std::string_view promql) const {
  return api_get("/api/v1/query?query=" + url_encode(promql))["result"];
}

WaitResult PrometheusServer::wait_for(std::string_view promql,
                                      const std::function<bool(const nlohmann::json&)>& accept,
                                      std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    WaitResult wait{.result = query(promql)};
    wait.accepted = accept(wait.result);
    if (wait.accepted || Clock::now() + kPollInterval > deadline) return wait;
    std::this_thread::sleep_for(kPollInterval);
  }
}

nlohmann::json PrometheusServer::targets() const {
  return api_get("/api/v1/targets?state=active")["activeTargets"];
}

std::string PrometheusServer::self_metrics() const {
  const HttpAnswer answer = http_get(base_url() + "/metrics");
  if (answer.status != 200) {
    throw std::runtime_error("GET /metrics of Prometheus answered " +
                             std::to_string(answer.status));
  }
  return answer.body;
}

double PrometheusServer::self_metric(std::string_view name) const {
  std::istringstream lines(self_metrics());
  double sum = 0;
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(name) || line.size() == name.size()) continue;
    const char after = line[name.size()];
    if (after != ' ' && after != '{') continue;  // a longer name with this prefix
    // Prometheus writes its own samples without timestamps: the value is the last field.
    sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    found = true;
  }
  return found ? sum : -1;
}

std::string PrometheusServer::ingestion_problems() const {
  std::string problems;
  for (const char* name : {"prometheus_target_scrapes_sample_duplicate_timestamp_total",
                           "prometheus_target_scrapes_sample_out_of_order_total",
                           "prometheus_target_scrapes_sample_out_of_bounds_total",
                           "prometheus_target_scrapes_exemplar_out_of_order_total"}) {
    const double value = self_metric(name);
    if (value == 0) continue;
    if (!problems.empty()) problems += ", ";
    problems += std::string(name) + (value < 0 ? " missing" : "=" + std::to_string(value));
  }
  return problems;
}

std::string PrometheusServer::log_tail(std::size_t max_bytes) const {
  const std::string log = read_file(dir_ / "prometheus.log");
  return log.size() <= max_bytes ? log : "..." + log.substr(log.size() - max_bytes);
}

bool has_samples(const nlohmann::json& result) { return result.is_array() && !result.empty(); }

std::function<bool(const nlohmann::json&)> has_value(double expected) {
  return [expected](const nlohmann::json& result) {
    const double value = single_value(result);
    return std::abs(value - expected) <= 1e-9 * std::max(1.0, std::abs(expected));
  };
}

double single_value(const nlohmann::json& result) {
  if (!result.is_array() || result.size() != 1) return std::nan("");
  const nlohmann::json& value = result[0]["value"];
  if (!value.is_array() || value.size() != 2 || !value[1].is_string()) return std::nan("");
  // Prometheus writes values as Go's strconv does: "+Inf", "NaN", "1e+06" all parse with strtod.
  return std::strtod(value[1].get<std::string>().c_str(), nullptr);
}

}  // namespace mmf::testing_support
