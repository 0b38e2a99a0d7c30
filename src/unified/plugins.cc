#include "mmf/plugins.h"

#include <time.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

namespace mmf {
namespace {

constexpr std::array<PluginStatus, 7> kStatuses = {
    PluginStatus::kUnloaded,     PluginStatus::kLoading, PluginStatus::kLoaded,
    PluginStatus::kInitializing, PluginStatus::kActive,  PluginStatus::kError,
    PluginStatus::kDisabled};

std::atomic<PluginMetrics*> global_metrics{nullptr};

// The calling thread's CPU time: what a plugin's work cost, whatever else the process does.
std::int64_t thread_cpu_nanos() noexcept {
  timespec now{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) return 0;
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

std::string_view plugin_status_name(PluginStatus status) noexcept {
  switch (status) {
    case PluginStatus::kUnloaded:
      return "unloaded";
    case PluginStatus::kLoading:
      return "loading";
    case PluginStatus::kLoaded:
      return "loaded";
    case PluginStatus::kInitializing:
      return "initializing";
    case PluginStatus::kActive:
      return "active";
    case PluginStatus::kError:
      return "error";
    case PluginStatus::kDisabled:
      return "disabled";
  }
  return "unknown";
}

struct PluginMetrics::Instruments {
  explicit Instruments(MetricRegistry& registry)
      : status(registry.create_gauge("mmf_plugin_status",
                                     "1 for the plugin's current status, 0 for the others.",
                                     {"plugin", "version", "status"})),
        lifecycle_events(registry.create_counter("mmf_plugin_lifecycle_events_total",
                                                 "Plugin lifecycle events.", {"plugin", "event"})),
        operations(registry.create_counter("mmf_plugin_operations_total",
                                           "Operations done by plugins, by outcome.",
                                           {"plugin", "operation", "status"})),
        duration(registry.create_histogram(
            "mmf_plugin_operation_duration_seconds", "Duration of plugin operations.",
            {"plugin", "operation"}, default_seconds_buckets(), "seconds")),
        errors(registry.create_counter("mmf_plugin_errors_total", "Plugin errors, by type.",
                                       {"plugin", "error_type"})),
        calls(registry.create_counter("mmf_plugin_calls_total",
                                      "Work of one plugin done inside another plugin's.",
                                      {"source_plugin", "target_plugin"})),
        requests(registry.create_counter(
            "mmf_plugin_requests_total",
            "Plugin work, by whether its request arrived with a correlation ID.",
            {"plugin", "correlation"})),
        cpu(registry.create_counter("mmf_plugin_cpu_seconds_total",
                                    "Thread CPU time spent in plugin work.", {"plugin"},
                                    "seconds")) {
    registry.create_callback_gauge(
        "mmf_plugin_dependency_health", "1 when the plugin's dependency is up, 0 when down.",
        {"plugin", "dependency"}, [this](CallbackObserver& observer) {
          std::map<std::pair<std::string, std::string>, std::function<bool()>> copy;
          {
            std::lock_guard lock(mutex);
            copy = checks;
          }
          for (const auto& [key, check] : copy) {
            bool up = false;
            try {
              up = check();
            } catch (...) {
              up = false;  // a check that throws reports its dependency down
            }
            observer.observe(up ? 1 : 0, {key.first, key.second});
          }
        });
  }

  Gauge status;
  Counter lifecycle_events;
  Counter operations;
  Histogram duration;
  Counter errors;
  Counter calls;
  Counter requests;
  Counter cpu;
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, std::function<bool()>> checks;
};

PluginMetrics::PluginMetrics(MetricRegistry& registry)
    : instruments_(std::make_unique<Instruments>(registry)) {}

PluginMetrics::~PluginMetrics() {
  PluginMetrics* self = this;
  global_metrics.compare_exchange_strong(self, nullptr);
}

void PluginMetrics::set_status(std::string_view plugin, std::string_view version,
                               PluginStatus status) {
  for (PluginStatus each : kStatuses) {
    instruments_->status.set(
        each == status ? 1 : 0,
        {{"plugin", plugin}, {"version", version}, {"status", plugin_status_name(each)}});
  }
  lifecycle_event(plugin, plugin_status_name(status));
}

void PluginMetrics::lifecycle_event(std::string_view plugin, std::string_view event) {
  instruments_->lifecycle_events.inc({{"plugin", plugin}, {"event", event}});
}

void PluginMetrics::error(std::string_view plugin, std::string_view error_type) {
  instruments_->errors.inc({{"plugin", plugin}, {"error_type", error_type}});
}

void PluginMetrics::register_dependency_check(std::string_view plugin, std::string_view dependency,
                                              std::function<bool()> check) {
  std::lock_guard lock(instruments_->mutex);
  instruments_->checks[{std::string(plugin), std::string(dependency)}] = std::move(check);
}

void PluginMetrics::make_global() noexcept {
  global_metrics.store(this, std::memory_order_release);
}

PluginMetrics* PluginMetrics::global() noexcept {
  return global_metrics.load(std::memory_order_acquire);
}

PluginScope::PluginScope(std::string_view plugin, std::string_view operation) noexcept
    : PluginScope(PluginMetrics::global(), plugin, operation) {}

PluginScope::PluginScope(PluginMetrics& metrics, std::string_view plugin,
                         std::string_view operation) noexcept
    : PluginScope(&metrics, plugin, operation) {}

// The strings are copied from views the caller keeps for the call; a std::bad_alloc here would
// end the program (noexcept), as any allocation failure of a few bytes on this path would.
PluginScope::PluginScope(PluginMetrics* metrics, std::string_view plugin,
                         std::string_view operation) noexcept
    : metrics_(metrics),
      plugin_(plugin),
      operation_(operation.empty() ? std::string_view("default") : operation),
      source_plugin_(Context::current().plugin() != plugin ? Context::current().plugin()
                                                           : std::string()),
      incoming_correlation_(Context::current().correlation_origin() ==
                            CorrelationOrigin::kIncoming),
      scope_(Context::current().with_plugin(plugin)),
      // Without metrics (none made global, or telemetry off) the clocks are not read.
      start_(metrics != nullptr ? std::chrono::steady_clock::now()
                                : std::chrono::steady_clock::time_point()),
      cpu_start_nanos_(metrics != nullptr ? thread_cpu_nanos() : 0) {}

void PluginScope::set_error(std::string_view error_type) noexcept {
  try {
    error_type_ = error_type.empty() ? std::string("error") : std::string(error_type);
  } catch (...) {
    error_type_.clear();
  }
}

PluginScope::~PluginScope() {
  if (metrics_ == nullptr) return;
  PluginMetrics::Instruments& m = *metrics_->instruments_;
  const bool failed = !error_type_.empty();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double cpu_seconds = static_cast<double>(thread_cpu_nanos() - cpu_start_nanos_) / 1e9;
  m.operations.inc(
      {{"plugin", plugin_}, {"operation", operation_}, {"status", failed ? "error" : "success"}});
  m.duration.observe(seconds, {{"plugin", plugin_}, {"operation", operation_}});
  if (failed) m.errors.inc({{"plugin", plugin_}, {"error_type", error_type_}});
  if (!source_plugin_.empty()) {
    m.calls.inc({{"source_plugin", source_plugin_}, {"target_plugin", plugin_}});
  }
  m.requests.inc(
      {{"plugin", plugin_}, {"correlation", incoming_correlation_ ? "incoming" : "local"}});
  if (cpu_seconds > 0) m.cpu.inc({{"plugin", plugin_}}, cpu_seconds);
}

}  // namespace mmf
