#include "demo_cluster.h"

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mmf/ids.h"
#include "mmf/propagation.h"

namespace marty {
namespace {

// The value of "key":"..." in a JSON line (enough for the lines our exporters write).
std::string json_field(std::string_view line, std::string_view key) {
  const std::string pattern = "\"" + std::string(key) + "\":\"";
  const std::size_t at = line.find(pattern);
  if (at == std::string_view::npos) return {};
  std::string value;
  for (std::size_t i = at + pattern.size(); i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    value += line[i];
  }
  return value;
}

struct SpanLine {
  std::string service, name, kind, span_id, parent_span_id, start_time, correlation_id;
};

// What the services' span exports said about the watched trace; the rest is only counted.
class SpanBoard {
 public:
  void watch(const std::string& trace_id) {
    std::lock_guard lock(mutex_);
    watched_ = trace_id;
  }
  void add(std::string_view line) {
    std::lock_guard lock(mutex_);
    ++seen_;
    if (watched_.empty() || json_field(line, "trace_id") != watched_) return;
    spans_.push_back({json_field(line, "service"), json_field(line, "name"),
                      json_field(line, "kind"), json_field(line, "span_id"),
                      json_field(line, "parent_span_id"), json_field(line, "start_time"),
                      json_field(line, "correlation_id")});
    added_.notify_all();
  }
  // The watched trace's spans once count arrived, or what came within timeout.
  std::vector<SpanLine> wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    added_.wait_for(lock, timeout, [&] { return spans_.size() >= count; });
    return spans_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable added_;
  std::string watched_;
  std::vector<SpanLine> spans_;
  std::uint64_t seen_ = 0;
};

std::mutex output_mutex;  // the services' log lines and the narration share stdout

// One service process: its stdout is read on a thread of ours (spans to the board, log lines
// to our stdout); its stderr is ours.
class ServiceProcess {
 public:
  ServiceProcess(std::string role, std::vector<std::string> arguments, SpanBoard& board)
      : role_(std::move(role)), board_(board) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    char self[4096];
    const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0) return;
    self[length] = '\0';
    std::vector<char*> argv;
    argv.push_back(self);
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 1);
      ::execv(self, argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    if (pid_ < 0) {
      ::close(pipe_fds[0]);
      return;
    }
    reader_ = std::thread([this, fd = pipe_fds[0]] { read_lines(fd); });
  }
  ~ServiceProcess() { stop(); }

  // Waits for the "ready" line; false when the service exited or took longer than timeout.
  bool wait_ready(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ready_changed_.wait_for(lock, timeout, [&] { return port_ > 0 || closed_; });
    return port_ > 0;
  }
  // The order service serves gRPC: its address is a gRPC target, not a URL.
  std::string url() const {
    return (role_ == "order" ? "127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  const std::string& metrics_url() const { return metrics_url_; }
  pid_t pid() const { return pid_; }

  // SIGTERM, then SIGKILL after 10 s. True when it exited with status 0.
  bool stop() {
    if (pid_ <= 0) return false;
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 1000 && !exited; ++i) {
      exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = 0;
    if (reader_.joinable()) reader_.join();
    return exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

 private:
  void read_lines(int fd) {
    std::string pending;
    char buffer[65536];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos;
           start = end + 1) {
        handle(std::string_view(pending).substr(start, end - start));
      }
      pending.erase(0, start);
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_changed_.notify_all();
  }

  void handle(std::string_view line) {
    if (line.starts_with("ready port=")) {
      std::lock_guard lock(mutex_);
      port_ = std::atoi(std::string(line.substr(11)).c_str());
      const std::size_t metrics = line.find(" metrics=");
      if (metrics != std::string_view::npos) metrics_url_ = line.substr(metrics + 9);
      ready_changed_.notify_all();
    } else if (line.find("\"span_id\":\"") != std::string_view::npos &&
               line.find("\"kind\":\"") != std::string_view::npos) {
      board_.add(line);
    } else if (!line.empty()) {
      std::lock_guard lock(output_mutex);
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
  }

  std::string role_;
  SpanBoard& board_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable ready_changed_;
  int port_ = 0;
  std::string metrics_url_;
  bool closed_ = false;
};

std::unique_ptr<ServiceProcess> start_service(const std::string& role, const std::string& next,
                                              const DemoOptions& options, SpanBoard& board) {
  std::vector<std::string> arguments = {"demo-service", "--role", role};
  if (!next.empty()) arguments.insert(arguments.end(), {"--next", next});
  if (role == "gateway" && options.metrics_port) {
    arguments.insert(arguments.end(), {"--metrics-port", std::to_string(*options.metrics_port)});
  }
  if (!options.config_file.empty()) {
    arguments.insert(arguments.end(), {"--config", options.config_file});
  }
  auto service = std::make_unique<ServiceProcess>(role, std::move(arguments), board);
  if (!service->wait_ready(std::chrono::seconds(15))) {
    std::fprintf(stderr, "marty demo: the %s service did not start\n", role.c_str());
    return nullptr;
  }
  std::fprintf(stderr, "marty demo: marty-%s (pid %d) serves %s, metrics at %s\n", role.c_str(),
               static_cast<int>(service->pid()), service->url().c_str(),
               service->metrics_url().empty() ? "(none)" : service->metrics_url().c_str());
  return service;
}

// Prints the spans as a tree (children under their parent, in start order).
void print_tree(const std::vector<SpanLine>& spans) {
  std::map<std::string, std::vector<const SpanLine*>> children;
  std::vector<const SpanLine*> roots;
  for (const SpanLine& span : spans) {
    const bool has_parent = std::any_of(spans.begin(), spans.end(), [&](const SpanLine& other) {
      return other.span_id == span.parent_span_id;
    });
    (has_parent ? children[span.parent_span_id] : roots).push_back(&span);
  }
  const auto by_start = [](const SpanLine* a, const SpanLine* b) {
    return a->start_time < b->start_time;
  };
  std::sort(roots.begin(), roots.end(), by_start);
  std::function<void(const SpanLine*, int)> print = [&](const SpanLine* span, int depth) {
    std::printf("  %*s%-14s %-8s %-36s span %s  correlation_id=%s\n", depth * 2, "",
                span->service.c_str(), span->kind.c_str(), span->name.c_str(),
                span->span_id.c_str(), span->correlation_id.c_str());
    auto& mine = children[span->span_id];
    std::sort(mine.begin(), mine.end(), by_start);
    for (const SpanLine* child : mine) print(child, depth + 1);
  };
  for (const SpanLine* root : roots) print(root, 0);
}

struct Traffic {
  std::atomic<std::uint64_t> requests{0}, declined{0}, failed{0}, lost{0};
};

// One browser request: a correlation ID for two requests in three, none for the third; the
// gateway's X-Correlation-ID and the one the payment service saw must be the same (and the
// one sent, when one was).
void browse(httplib::Client& client, std::uint64_t n, Traffic& traffic) {
  httplib::Headers headers;
  const std::string sent = n % 3 != 0 ? "load-" + std::to_string(n) : std::string();
  if (!sent.empty()) headers.emplace("X-Correlation-ID", sent);
  auto result = client.Post("/payments", headers, "{\"amount\":12.5}", "application/json");
  traffic.requests.fetch_add(1, std::memory_order_relaxed);
  if (!result || (result->status != 201 && result->status != 402)) {
    traffic.failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (result->status == 402) traffic.declined.fetch_add(1, std::memory_order_relaxed);
  const std::string answered = result->get_header_value("X-Correlation-ID");
  const std::size_t payment = result->body.find("\"payment\":");
  const std::string seen = payment == std::string::npos
                               ? ""
                               : json_field(result->body.substr(payment), "correlation_id");
  if (answered.empty() || seen != answered || (!sent.empty() && answered != sent)) {
    traffic.lost.fetch_add(1, std::memory_order_relaxed);
  }
}

int drive_traffic(const std::string& gateway, std::chrono::milliseconds duration) {
  std::fprintf(stderr, "marty demo: driving traffic through the three services for %.1f s\n",
               static_cast<double>(duration.count()) / 1000.0);
  Traffic traffic;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> browsers;
  for (int t = 0; t < 2; ++t) {
    browsers.emplace_back([&, t] {
      httplib::Client client(gateway);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(std::chrono::seconds(10));
      for (std::uint64_t n = static_cast<std::uint64_t>(t) + 1;
           std::chrono::steady_clock::now() - start < duration; n += 2) {
        browse(client, n, traffic);
      }
    });
  }
  for (auto& browser : browsers) browser.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(
      stderr,
      "marty demo: %llu requests (%.0f/s) through gateway -> order (gRPC) -> payment, %llu "
      "declined, %llu failed, %llu lost correlation IDs\n",
      static_cast<unsigned long long>(traffic.requests.load()),
      static_cast<double>(traffic.requests.load()) / seconds,
      static_cast<unsigned long long>(traffic.declined.load()),
      static_cast<unsigned long long>(traffic.failed.load()),
      static_cast<unsigned long long>(traffic.lost.load()));
  return traffic.lost.load() == 0 ? 0 : 1;
}

}  // namespace

int run_cluster(const DemoOptions& options, const mmf::ObservabilityConfig& config) {
  const bool tracing = !config.sdk_disabled && config.enable_tracing;
  const bool spans_on_console =
      tracing && mmf::ObservabilityConfig::names_exporter(config.traces_exporter, "console");
  {
    std::lock_guard lock(output_mutex);
    std::printf(
        "\n== 9. Three services, three processes: gateway -(HTTP)-> order (gRPC, a hybrid "
        "service) -(HTTP)-> payment (and its fraud-plugin) ==\n");
    std::fflush(stdout);
  }
  SpanBoard board;
  auto payment = start_service("payment", "", options, board);
  if (!payment) return 2;
  auto order = start_service("order", payment->url(), options, board);
  if (!order) return 2;
  auto gateway = start_service("gateway", order->url(), options, board);
  if (!gateway) return 2;

  // A browser's request, sampled, with no correlation ID: the gateway makes one.
  const mmf::SpanContext browser{.trace_id = mmf::new_trace_id(),
                                 .span_id = mmf::new_span_id(),
                                 .flags = mmf::TraceFlags(mmf::TraceFlags::kSampled)};
  const std::string trace_id = browser.trace_id.to_hex();
  board.watch(trace_id);
  httplib::Client client(gateway->url());
  client.set_tcp_nodelay(true);
  const std::string traceparent = mmf::format_traceparent(browser);
  {
    std::lock_guard lock(output_mutex);
    std::printf("[browser] POST %s/payments  traceparent: %s  X-User-ID: user_67890\n",
                gateway->url().c_str(), traceparent.c_str());
    std::fflush(stdout);
  }
  auto result = client.Post(
      "/payments",
      {{"traceparent", traceparent}, {"X-User-ID", "user_67890"}, {"X-Session-ID", "sess_abcdef"}},
      "{\"amount\":12.5}", "application/json");
  int status = 0;
  std::string correlation_id;
  if (!result || result->status != 201) {
    std::fprintf(stderr, "marty demo: the first request failed (%s)\n",
                 result ? std::to_string(result->status).c_str()
                        : httplib::to_string(result.error()).c_str());
    status = 1;
  } else {
    correlation_id = result->get_header_value("X-Correlation-ID");
    std::lock_guard lock(output_mutex);
    std::printf("[browser] %d  X-Correlation-ID: %s\n[browser] %s\n", result->status,
                correlation_id.c_str(), result->body.c_str());
    std::printf("[demo] one request, HTTP -> gRPC -> HTTP: trace_id=%s correlation_id=%s\n",
                trace_id.c_str(), correlation_id.c_str());
  }
  if (status == 0 && spans_on_console) {
    // gateway: server + client; order: server + client; payment: server + fraud_check.
    const std::vector<SpanLine> spans = board.wait_for(6, std::chrono::seconds(10));
    std::lock_guard lock(output_mutex);
    std::printf("\n[demo] trace %s as the three processes exported it (parent: the browser):\n",
                trace_id.c_str());
    print_tree(spans);
    bool one_id = spans.size() >= 6;
    for (const SpanLine& span : spans) one_id = one_id && span.correlation_id == correlation_id;
    std::printf("[demo] %zu spans from %s, one correlation ID: %s\n", spans.size(),
                spans.size() >= 6 ? "all three services" : "fewer services than expected",
                one_id ? "yes" : "NO");
    std::fflush(stdout);
    if (!one_id) status = 1;
  } else if (status == 0) {
    std::fprintf(stderr, "marty demo: trace %s: %s\n", trace_id.c_str(),
                 !tracing ? "not recorded (tracing is off)"
                 : mmf::ObservabilityConfig::names_exporter(config.traces_exporter, "otlp")
                     ? "the services exported its spans over OTLP"
                     : "its spans were not exported (OTEL_TRACES_EXPORTER)");
  }

  if (options.duration && status == 0) status = drive_traffic(gateway->url(), *options.duration);
  // Callers first, so that no request is cut in the middle.
  for (auto* service : {gateway.get(), order.get(), payment.get()}) {
    if (!service->stop() && status == 0) status = 1;
  }
  return status;
}

}  // namespace marty
