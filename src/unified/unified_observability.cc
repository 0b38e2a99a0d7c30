#include <unistd.h>

#include <atomic>
#include <charconv>
#include <mutex>
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

// The tracer's sampler, replaceable at run time (the admin endpoint's sample rate). Each span
// start reads the current one through an atomic pointer; replaced samplers are kept, not freed,
// since a span start may still be using one, and the number of replacements is capped.
class AdjustableSampler final : public Sampler {
 public:
  // Only this library's samplers go in, and they never add attributes: decision-only.
  explicit AdjustableSampler(std::shared_ptr<Sampler> initial) : Sampler(true) {
    replace(std::move(initial));
  }
  SamplingResult should_sample(const SamplingParameters& parameters) noexcept override {
    return current_.load(std::memory_order_acquire)->should_sample(parameters);
  }
  SamplingDecision decide(const SamplingParameters& parameters) noexcept override {
    return current_.load(std::memory_order_acquire)->decide(parameters);
  }
  std::string description() const override {
    return current_.load(std::memory_order_acquire)->description();
  }
  bool replace(std::shared_ptr<Sampler> next) {
    std::lock_guard lock(mutex_);
    if (kept_.size() >= kMaxReplacements) return false;
    kept_.push_back(std::move(next));
    current_.store(kept_.back().get(), std::memory_order_release);
    return true;
  }

 private:
  static constexpr std::size_t kMaxReplacements = 1000;
  std::mutex mutex_;
  std::vector<std::shared_ptr<Sampler>> kept_;
  std::atomic<Sampler*> current_{nullptr};
};

std::optional<double> parse_rate(std::string_view text) {
  double rate = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), rate);
  if (error != std::errc() || end != text.data() + text.size() || !(rate >= 0 && rate <= 1)) {
    return std::nullopt;
  }
  return rate;
}

}  // namespace

struct UnifiedObservability::State {
  explicit State(ObservabilityConfig c)
      : config(std::move(c)),
        registry(MetricRegistry::Options{.cardinality_limit = config.cardinality_limit}),
        plugins(registry),
        propagator(config.propagation_options()) {}

  ObservabilityConfig config;
  MetricRegistry registry;
  PluginMetrics plugins;
  Propagator propagator;
  Resource resource;
  // Made by initialize(), in this order; stopped in the reverse one.
  std::unique_ptr<LoggingPipeline> logging;
  std::unique_ptr<Tracer> tracer;
  std::unique_ptr<OtlpMetricsExporter> metrics_push;
  std::unique_ptr<MetricsServer> metrics_server;
  std::shared_ptr<AdjustableSampler> sampler;
  std::atomic<double> sample_rate{0};
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

  std::vector<HttpRoute> routes() {
    std::vector<HttpRoute> made = {
        {.path = "/healthz",
         .handler = [](const HttpRequest&) { return HttpAnswer{.body = "ok\n"}; }},
        {.path = "/readyz", .handler = [this](const HttpRequest&) {
           return ready.load() ? HttpAnswer{.body = "ready\n"}
                               : HttpAnswer{.status = 503, .body = "not ready\n"};
         }}};
    if (config.admin_token.empty()) return made;
    const std::string& token = config.admin_token;
    made.push_back(
        {.path = "/admin/config", .bearer_token = token, .handler = [this](const HttpRequest&) {
           return HttpAnswer{.body = config.describe(true)};
         }});
    made.push_back(
        {.path = "/admin/log-level",
         .bearer_token = token,
         .handler = [this](const HttpRequest& request) {
           const std::string name = query_parameter(request.query, "logger").value_or("");
           return HttpAnswer{.body =
                                 std::string(log_level_name(logging->logger(name).level())) + "\n"};
         }});
    made.push_back(
        {.method = "POST",
         .path = "/admin/log-level",
         .bearer_token = token,
         .handler = [this](const HttpRequest& request) { return set_log_level(request); }});
    made.push_back({.path = "/admin/sample-rate",
                    .bearer_token = token,
                    .handler = [this](const HttpRequest&) {
                      return HttpAnswer{.body = std::to_string(sample_rate.load()) + "\n"};
                    }});
    made.push_back(
        {.method = "POST",
         .path = "/admin/sample-rate",
         .bearer_token = token,
         .handler = [this](const HttpRequest& request) { return set_sample_rate(request); }});
    return made;
  }

  // POST /admin/log-level?level=debug[&logger=payment.db]: one logger, or the default level.
  HttpAnswer set_log_level(const HttpRequest& request) {
    const std::optional<std::string> text = query_parameter(request.query, "level");
    const std::optional<LogLevel> level = text ? parse_log_level(*text) : std::nullopt;
    if (!level) {
      return {.status = 400,
              .body = "level must be one of trace, debug, info, warn, error, critical, off\n"};
    }
    if (const auto name = query_parameter(request.query, "logger"); name && !name->empty()) {
      logging->set_level(*name, *level);
    } else {
      logging->set_default_level(*level);
    }
    return {.body = std::string(log_level_name(*level)) + "\n"};
  }

  // POST /admin/sample-rate?rate=0.25: the ratio of new root traces that are sampled.
  HttpAnswer set_sample_rate(const HttpRequest& request) {
    const std::optional<std::string> text = query_parameter(request.query, "rate");
    const std::optional<double> rate = text ? parse_rate(*text) : std::nullopt;
    if (!rate) return {.status = 400, .body = "rate must be a number in [0, 1]\n"};
    if (sampler == nullptr || config.sampler.find("traceidratio") == std::string::npos) {
      return {.status = 409,
              .body = "the sampler is " + config.sampler + ", which has no sample rate\n"};
    }
    ObservabilityConfig changed = config;
    changed.trace_sample_rate = *rate;
    if (!sampler->replace(changed.make_sampler())) {
      return {.status = 409, .body = "too many changes of the sample rate; restart to reset\n"};
    }
    sample_rate.store(*rate);
    return {.body = std::to_string(*rate) + "\n"};
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
      .flush_interval = logging_on ? std::chrono::milliseconds(100) : std::chrono::hours(1),
      .trace_aware_debug = c.trace_aware_debug});

  const bool tracing_on = on && c.enable_tracing;
  if (tracing_on) {
    s.sampler = std::make_shared<AdjustableSampler>(c.make_sampler());
    s.sample_rate.store(c.effective_trace_sample_rate());
  }
  auto tracer = std::make_unique<Tracer>(TracerOptions{
      .sampler = tracing_on ? std::shared_ptr<Sampler>(s.sampler) : always_off_sampler(),
      .exporter = tracing_on ? s.span_exporter() : nullptr,
      .resource = s.resource,
      .limits = c.span_limits,
      .batch = c.batch,
      .retention = tracing_on ? c.retention : RetentionOptions{},
      .scope_version = std::string(kVersion),
      .enabled = on});

  // In place before the endpoint starts: its admin routes use them.
  s.logging = std::move(logging);
  s.tracer = std::move(tracer);

  const bool metrics_on = on && c.enable_metrics;
  try {
    if (metrics_on && ObservabilityConfig::names_exporter(c.metrics_exporter, "prometheus")) {
      s.metrics_server = std::make_unique<MetricsServer>(
          s.registry, MetricsServerOptions{.bind_address = c.metrics_bind_address,
                                           .port = c.prometheus_port,
                                           .bearer_token = c.metrics_token,
                                           .scrape = {.resource = &s.resource},
                                           .routes = s.routes()});
    }
    if (metrics_on && ObservabilityConfig::names_exporter(c.metrics_exporter, "otlp")) {
      s.metrics_push = std::make_unique<OtlpMetricsExporter>(
          s.registry, OtlpMetricsExporterOptions{.otlp = c.otlp_exporter_options("METRICS"),
                                                 .interval = c.metrics_export_interval,
                                                 .timeout = c.metrics_export_timeout,
                                                 .resource = s.resource,
                                                 .scope_version = std::string(kVersion)});
    }
  } catch (...) {
    // Nothing is left running: what started stops (its destructor shuts it down).
    s.metrics_server.reset();
    s.metrics_push.reset();
    s.tracer.reset();
    s.logging.reset();
    throw;
  }
  // Published once nothing can fail any more: the callbacks read the tracer and the pipeline,
  // which must outlive the registry's collections.
  publish_telemetry_metrics(s.registry);
  publish_tracer_metrics(s.registry, *s.tracer);
  publish_logging_metrics(s.registry, *s.logging);
  s.logging->make_default();
  if (on) s.plugins.make_global();  // disabled: PluginScope records nothing
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
  // Disabled: a handle that records nothing (a default one), after the same validation.
  Counter made = state_->registry.create_counter(name, help, std::move(label_names), unit);
  return state_->config.sdk_disabled ? Counter() : made;
}

UpDownCounter UnifiedObservability::create_up_down_counter(std::string_view name,
                                                           std::string_view help,
                                                           std::vector<std::string> label_names,
                                                           std::string_view unit) {
  UpDownCounter made =
      state_->registry.create_up_down_counter(name, help, std::move(label_names), unit);
  return state_->config.sdk_disabled ? UpDownCounter() : made;
}

Gauge UnifiedObservability::create_gauge(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names,
                                         std::string_view unit) {
  Gauge made = state_->registry.create_gauge(name, help, std::move(label_names), unit);
  return state_->config.sdk_disabled ? Gauge() : made;
}

Histogram UnifiedObservability::create_histogram(std::string_view name, std::string_view help,
                                                 std::vector<std::string> label_names,
                                                 std::vector<double> bounds,
                                                 std::string_view unit) {
  Histogram made = state_->registry.create_histogram(name, help, std::move(label_names),
                                                     std::move(bounds), unit);
  return state_->config.sdk_disabled ? Histogram() : made;
}

Span UnifiedObservability::start_span(std::string_view name, const SpanOptions& options) noexcept {
  return state_->tracer ? state_->tracer->start_span(name, options) : Span();
}

Span UnifiedObservability::start_span(std::string_view name) noexcept {
  return state_->tracer ? state_->tracer->start_span(name) : Span();
}

Logger& UnifiedObservability::logger(std::string_view name) {
  return state_->logging ? state_->logging->logger(name) : default_logger();
}

const ObservabilityConfig& UnifiedObservability::config() const noexcept { return state_->config; }
const Propagator& UnifiedObservability::propagator() const noexcept { return state_->propagator; }
MetricRegistry& UnifiedObservability::metrics() noexcept { return state_->registry; }
PluginMetrics& UnifiedObservability::plugins() noexcept { return state_->plugins; }
Tracer* UnifiedObservability::tracer() noexcept { return state_->tracer.get(); }
LoggingPipeline* UnifiedObservability::logging() noexcept { return state_->logging.get(); }
int UnifiedObservability::metrics_port() const noexcept {
  return state_->metrics_server ? state_->metrics_server->port() : 0;
}

}  // namespace mmf
