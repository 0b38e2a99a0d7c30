#include <unistd.h>

#include <atomic>
#include <optional>

#include "mmf/exporters.h"
#include "mmf/log_sinks.h"
#include "mmf/metrics_server.h"
#include "mmf/otlp_log_sink.h"
#include "mmf/otlp_metrics_exporter.h"
#include "mmf/telemetry_metrics.h"
#include "mmf/unified.h"
#include "mmf/version.h"

namespace mmf {
namespace {

std::atomic<UnifiedObservability*> global_instance{nullptr};

}  // namespace

struct UnifiedObservability::State {
  explicit State(ObservabilityConfig c)
      : config(std::move(c)),
        registry(MetricRegistry::Options{.cardinality_limit = config.cardinality_limit}),
        plugins(registry) {}

  ObservabilityConfig config;
  MetricRegistry registry;
  PluginMetrics plugins;
  Resource resource;
  // Made by initialize(), in this order; stopped in the reverse one.
  std::unique_ptr<LoggingPipeline> logging;
  std::unique_ptr<Tracer> tracer;
  std::unique_ptr<OtlpMetricsExporter> metrics_push;
  std::unique_ptr<MetricsServer> metrics_server;
  std::atomic<bool> ready{false};
  bool initialized = false;
  bool shut_down = false;

  std::shared_ptr<SpanExporter> span_exporter() const {
    std::vector<std::shared_ptr<SpanExporter>> exporters;
    if (ObservabilityConfig::names_exporter(config.traces_exporter, "otlp")) {
      exporters.push_back(
          std::make_shared<OtlpSpanExporter>(config.otlp_exporter_options("TRACES")));
    }
    if (ObservabilityConfig::names_exporter(config.traces_exporter, "console")) {
      exporters.push_back(std::make_shared<ConsoleSpanExporter>());
    }
    return fan_out(std::move(exporters));
  }

  std::vector<std::shared_ptr<LogSink>> log_sinks() const {
    std::vector<std::shared_ptr<LogSink>> sinks;
    if (ObservabilityConfig::names_exporter(config.logs_exporter, "console")) {
      const LogFormat format = config.effective_log_format();
      sinks.push_back(std::make_shared<StreamSink>(
          StreamSinkOptions{.fd = 1,
                            .format = format,
                            .color = format == LogFormat::kConsole && stream_is_terminal(1)}));
    }
    if (ObservabilityConfig::names_exporter(config.logs_exporter, "otlp")) {
      sinks.push_back(std::make_shared<OtlpLogSink>(config.otlp_exporter_options("LOGS")));
    }
    return sinks;
  }

  std::vector<HttpRoute> health_routes() {
    return {{.path = "/healthz",
             .handler = [](const HttpRequest&) { return HttpAnswer{.body = "ok\n"}; }},
            {.path = "/readyz", .handler = [this](const HttpRequest&) {
               return ready.load() ? HttpAnswer{.body = "ready\n"}
                                   : HttpAnswer{.status = 503, .body = "not ready\n"};
             }}};
  }
};

UnifiedObservability::UnifiedObservability(ObservabilityConfig config)
    : state_(std::make_unique<State>(std::move(config))) {}

UnifiedObservability::~UnifiedObservability() { shutdown(); }

void UnifiedObservability::initialize() {
  State& s = *state_;
  if (s.initialized) return;
  ConfigErrors errors = s.config.validate();
  if (!errors.empty()) throw ConfigurationError(std::move(errors));
  const ObservabilityConfig& c = s.config;
  const bool on = !c.sdk_disabled;

  ConfigErrors resource_errors;  // validate() has checked what the resource reads
  s.resource = make_resource(c.resource_options(), process_environment(), resource_errors);

  // Logging first, so that what the other parts report has somewhere to go.
  const std::vector<std::shared_ptr<LogSink>> sinks =
      on && c.enable_logging ? s.log_sinks() : std::vector<std::shared_ptr<LogSink>>{};
  const bool logging_on = on && c.enable_logging && !sinks.empty();
  auto logging = std::make_unique<LoggingPipeline>(LoggingOptions{
      .sinks = logging_on ? sinks
                          : std::vector<std::shared_ptr<LogSink>>{std::make_shared<StreamSink>()},
      .resource = s.resource,
      .level = logging_on ? c.effective_log_level() : LogLevel::kOff,
      // Nothing to write when off: the writer need not wake.
      .flush_interval = logging_on ? std::chrono::milliseconds(100) : std::chrono::hours(1)});

  const bool tracing_on = on && c.enable_tracing;
  auto tracer = std::make_unique<Tracer>(
      TracerOptions{.sampler = tracing_on ? c.make_sampler() : always_off_sampler(),
                    .exporter = tracing_on ? s.span_exporter() : nullptr,
                    .resource = s.resource,
                    .limits = c.span_limits,
                    .batch = c.batch,
                    .retention = tracing_on ? c.retention : RetentionOptions{},
                    .scope_version = std::string(kVersion)});

  publish_telemetry_metrics(s.registry);
  publish_tracer_metrics(s.registry, *tracer);
  publish_logging_metrics(s.registry, *logging);

  const bool metrics_on = on && c.enable_metrics;
  std::unique_ptr<MetricsServer> server;
  std::unique_ptr<OtlpMetricsExporter> push;
  if (metrics_on && ObservabilityConfig::names_exporter(c.metrics_exporter, "prometheus")) {
    server = std::make_unique<MetricsServer>(
        s.registry, MetricsServerOptions{.bind_address = c.metrics_bind_address,
                                         .port = c.prometheus_port,
                                         .bearer_token = c.metrics_token,
                                         .scrape = {.resource = &s.resource},
                                         .routes = s.health_routes()});
  }
  if (metrics_on && ObservabilityConfig::names_exporter(c.metrics_exporter, "otlp")) {
    push = std::make_unique<OtlpMetricsExporter>(
        s.registry, OtlpMetricsExporterOptions{.otlp = c.otlp_exporter_options("METRICS"),
                                               .interval = c.metrics_export_interval,
                                               .timeout = c.metrics_export_timeout,
                                               .resource = s.resource,
                                               .scope_version = std::string(kVersion)});
  }

  s.logging = std::move(logging);
  s.tracer = std::move(tracer);
  s.metrics_server = std::move(server);
  s.metrics_push = std::move(push);
  s.logging->make_default();
  s.plugins.make_global();
  global_instance.store(this, std::memory_order_release);
  s.initialized = true;
  s.ready.store(true, std::memory_order_release);
}

bool UnifiedObservability::shutdown(std::chrono::milliseconds timeout) noexcept {
  State& s = *state_;
  if (!s.initialized || s.shut_down) return false;
  s.shut_down = true;
  s.ready.store(false, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  UnifiedObservability* self = this;
  global_instance.compare_exchange_strong(self, nullptr);
  bool ok = true;
  if (s.metrics_server) s.metrics_server->stop();
  if (s.metrics_push) ok = s.metrics_push->shutdown(left()) && ok;
  if (s.tracer) ok = s.tracer->shutdown(left()) && ok;
  if (s.logging) ok = s.logging->shutdown(left()) && ok;
  return ok;
}

bool UnifiedObservability::ready() const noexcept { return state_->ready.load(); }

UnifiedObservability* UnifiedObservability::global() noexcept {
  return global_instance.load(std::memory_order_acquire);
}

Counter UnifiedObservability::create_counter(std::string_view name, std::string_view help,
                                             std::vector<std::string> label_names,
                                             std::string_view unit) {
  return state_->registry.create_counter(name, help, std::move(label_names), unit);
}

UpDownCounter UnifiedObservability::create_up_down_counter(std::string_view name,
                                                           std::string_view help,
                                                           std::vector<std::string> label_names,
                                                           std::string_view unit) {
  return state_->registry.create_up_down_counter(name, help, std::move(label_names), unit);
}

Gauge UnifiedObservability::create_gauge(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::string_view unit) {
  return state_->registry.create_gauge(name, help, std::move(label_names), unit);
}

Histogram UnifiedObservability::create_histogram(std::string_view name, std::string_view help,
                                                 std::vector<std::string> label_names,
                                                 std::vector<double> bounds,
                                                 std::string_view unit) {
  return state_->registry.create_histogram(name, help, std::move(label_names), std::move(bounds),
                                           unit);
}

Span UnifiedObservability::start_span(std::string_view name, const SpanOptions& options) noexcept {
  return state_->tracer ? state_->tracer->start_span(name, options) : Span();
}

Logger& UnifiedObservability::logger(std::string_view name) {
  return state_->logging ? state_->logging->logger(name) : default_logger();
}

const ObservabilityConfig& UnifiedObservability::config() const noexcept { return state_->config; }
MetricRegistry& UnifiedObservability::metrics() noexcept { return state_->registry; }
PluginMetrics& UnifiedObservability::plugins() noexcept { return state_->plugins; }
Tracer* UnifiedObservability::tracer() noexcept { return state_->tracer.get(); }
LoggingPipeline* UnifiedObservability::logging() noexcept { return state_->logging.get(); }
int UnifiedObservability::metrics_port() const noexcept {
  return state_->metrics_server ? state_->metrics_server->port() : 0;
}

}  // namespace mmf
