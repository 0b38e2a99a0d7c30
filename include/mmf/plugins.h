// Plugins (the MMF concept: parts of a service loaded as plugins) and their metrics.
//
//   mmf::PluginMetrics plugins(registry);            // UnifiedObservability owns one
//   plugins.make_global();                           // PluginScope(name) records into it
//   plugins.set_status("payments-plugin", "1.4.0", mmf::PluginStatus::kActive);
//   plugins.register_dependency_check("payments-plugin", "card-gateway", [] { return ping(); });
//   {
//     mmf::PluginScope work("payments-plugin", "charge");   // spans get mmf.plugin.name,
//     ...                                                    // logs get "plugin"
//     if (failed) work.set_error("card_declined");
//   }
//
// A PluginScope marks the current Context as the plugin's (the same request: no new request
// ID) and, when it ends, records (Prometheus names):
//   mmf_plugin_operations_total{plugin,operation,status}   status: success or error
//   mmf_plugin_operation_duration_seconds{plugin,operation}
//   mmf_plugin_errors_total{plugin,error_type}              when set_error() was called
//   mmf_plugin_calls_total{source_plugin,target_plugin}     when opened inside another plugin's
//   mmf_plugin_requests_total{plugin,correlation}           correlation: incoming (the request
//                                                           arrived with one) or local
//   mmf_plugin_cpu_seconds_total{plugin}                    the thread's CPU time in the scope
// and PluginMetrics records mmf_plugin_status{plugin,version,status} (1 for the current status,
// 0 for the others), mmf_plugin_lifecycle_events_total{plugin,event} and
// mmf_plugin_dependency_health{plugin,dependency} (1 up, 0 down, from the registered check, read
// at each collection).
//
// Thread-safety: everything may be called from any thread; a PluginScope belongs to the thread
// that made it (like the ContextScope it holds).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mmf/context.h"
#include "mmf/metrics.h"

namespace mmf {

enum class PluginStatus : std::uint8_t {
  kUnloaded,
  kLoading,
  kLoaded,
  kInitializing,
  kActive,
  kError,
  kDisabled,
};
// "unloaded", "loading", "loaded", "initializing", "active", "error", "disabled".
std::string_view plugin_status_name(PluginStatus status) noexcept;

class PluginMetrics {
 public:
  // Registers the mmf_plugin_* instruments in registry, which must outlive this object.
  explicit PluginMetrics(MetricRegistry& registry);
  ~PluginMetrics();  // stops being the global one
  PluginMetrics(const PluginMetrics&) = delete;
  PluginMetrics& operator=(const PluginMetrics&) = delete;

  // The plugin's current status (and version); also counts a lifecycle event named after it.
  void set_status(std::string_view plugin, std::string_view version, PluginStatus status);
  // A lifecycle event ("loaded", "reloaded", "config_changed"...).
  void lifecycle_event(std::string_view plugin, std::string_view event);
  void error(std::string_view plugin, std::string_view error_type);
  // check() is called at each collection (on the collecting thread: keep it quick); true = up.
  // Registering the same plugin and dependency again replaces the check.
  void register_dependency_check(std::string_view plugin, std::string_view dependency,
                                 std::function<bool()> check);

  // PluginScope(name) without a PluginMetrics records into this one. Null when none.
  void make_global() noexcept;
  static PluginMetrics* global() noexcept;

  struct Instruments;  // src/unified/plugins.cc

 private:
  friend class PluginScope;
  std::unique_ptr<Instruments> instruments_;
};

class PluginScope {
 public:
  // Records into PluginMetrics::global() (only marks the Context when there is none).
  explicit PluginScope(std::string_view plugin, std::string_view operation = {}) noexcept;
  PluginScope(PluginMetrics& metrics, std::string_view plugin,
              std::string_view operation = {}) noexcept;
  ~PluginScope();
  PluginScope(const PluginScope&) = delete;
  PluginScope& operator=(const PluginScope&) = delete;

  // The work failed; counted in mmf_plugin_errors_total{error_type} and as status "error".
  void set_error(std::string_view error_type = "error") noexcept;

 private:
  PluginScope(PluginMetrics* metrics, std::string_view plugin, std::string_view operation) noexcept;

  PluginMetrics* metrics_;  // null: only the Context is marked
  std::string plugin_;
  std::string operation_;
  std::string source_plugin_;  // the plugin whose work this is called from, if any
  bool incoming_correlation_;
  ContextScope scope_;
  std::chrono::steady_clock::time_point start_;
  std::int64_t cpu_start_nanos_;
  std::string error_type_;
};

}  // namespace mmf
