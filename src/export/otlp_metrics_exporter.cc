#include "mmf/otlp_metrics_exporter.h"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "export/diagnostics.h"
#include "export/otlp_metrics_encoder.h"
#include "export/partial_success.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "trace/clock.h"

namespace mmf {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kComponent = "OTLP metrics exporter";

std::uint64_t count_points(const std::vector<detail::MetricFamilyData>& families) noexcept {
  std::uint64_t points = 0;
  for (const auto& family : families) points += family.points.size();
  return points;
}

}  // namespace

// The push thread waits for the next interval, a flush request or shutdown. Requests are
// numbered: force_flush() asks for push number requested + 1 and waits until completed reaches
// it, so that concurrent flushes share a push instead of queueing one each.
struct OtlpMetricsExporter::State {
  const MetricRegistry& registry;
  OtlpMetricsExporterOptions options;
  std::shared_ptr<OtlpTransport> transport;
  InstrumentationScope scope;

  std::mutex mutex;
  std::condition_variable wake;  // the push thread waits on it
  std::condition_variable done;  // callers of force_flush() and shutdown() wait on it
  std::uint64_t requested = 0;
  std::uint64_t completed = 0;
  bool last_ok = false;  // outcome of push number `completed`
  bool stopping = false;
  bool finished = false;  // the thread has made its last push
  Clock::time_point stop_deadline{};
  bool shut_down = false;  // shutdown() has run (or is running)
  std::thread thread;

  std::atomic<std::uint64_t> pushes{0};
  std::atomic<std::uint64_t> failed_pushes{0};
  std::atomic<std::uint64_t> points_sent{0};
  std::atomic<std::uint64_t> points_rejected{0};

  // Reused between pushes (only the push thread touches them): the collection, collected into
  // again, and the request body.
  std::vector<detail::MetricFamilyData> families;
  std::string body;

  State(const MetricRegistry& r, OtlpMetricsExporterOptions o)
      : registry(r),
        options(std::move(o)),
        transport(make_otlp_transport(options.otlp)),
        scope{.name = options.scope_name, .version = options.scope_version} {}

  void run() noexcept;
  bool push(Clock::time_point deadline) noexcept;
};

bool OtlpMetricsExporter::State::push(Clock::time_point deadline) noexcept {
  std::uint64_t points = 0;
  const bool json = options.otlp.protocol == OtlpProtocol::kHttpJson;
  try {
    registry.state().collect_into(families);
    if (options.process_metrics) {
      for (auto& family : detail::collect_process_metrics()) families.push_back(std::move(family));
    }
    points = count_points(families);
    if (points == 0) return true;  // nothing to say: an empty request would be noise
    const std::int64_t now = detail::now_unix_nanos();
    if (json) {
      detail::encode_metrics_request_json(families, options.resource, scope, now, body);
    } else {
      detail::encode_metrics_request_proto(families, options.resource, scope, now, body);
    }
  } catch (...) {  // out of memory while collecting or encoding: the next push may fit
    body.clear();
    body.shrink_to_fit();
    families.clear();
    families.shrink_to_fit();
    failed_pushes.fetch_add(1, std::memory_order_relaxed);
    detail::report(kComponent, "out of memory while collecting or encoding the metrics");
    return false;
  }
  pushes.fetch_add(1, std::memory_order_relaxed);
  const TransportResult result = transport->send(
      "/v1/metrics", body, json ? "application/json" : "application/x-protobuf", deadline);
  if (!result.ok()) {
    failed_pushes.fetch_add(1, std::memory_order_relaxed);
    if (result.status != TransportResult::Status::kCancelled) {
      detail::report(kComponent, std::to_string(points) +
                                     " metric points not delivered (the next push carries their "
                                     "totals): " +
                                     result.message);
    }
    return false;
  }
  points_sent.fetch_add(points, std::memory_order_relaxed);
  const std::optional<detail::PartialSuccess> partial =
      json ? detail::parse_partial_success_json(result.response_body)
           : detail::parse_partial_success_proto(result.response_body);
  if (partial) {
    if (partial->rejected > 0) {
      points_rejected.fetch_add(static_cast<std::uint64_t>(partial->rejected),
                                std::memory_order_relaxed);
    }
    detail::report(
        kComponent,
        "the collector rejected " + std::to_string(partial->rejected) + " of " +
            std::to_string(points) + " metric points" +
            (partial->error_message.empty() ? std::string() : ": " + partial->error_message));
  }
  return true;
}

void OtlpMetricsExporter::State::run() noexcept {
  Clock::time_point next = Clock::now() + options.interval;
  std::unique_lock lock(mutex);
  for (;;) {
    wake.wait_until(lock, next, [&] { return stopping || requested > completed; });
    if (stopping) break;
    const std::uint64_t serving = requested;  // flushes asked for so far (maybe none)
    lock.unlock();
    const bool ok = push(Clock::now() + options.timeout);
    lock.lock();
    if (serving > completed) {
      completed = serving;
      last_ok = ok;
      done.notify_all();
    }
    if (Clock::now() >= next) next = Clock::now() + options.interval;
  }
  const Clock::time_point deadline = std::min(stop_deadline, Clock::now() + options.timeout);
  lock.unlock();
  const bool ok = push(deadline);
  lock.lock();
  completed = requested;
  last_ok = ok;
  finished = true;
  done.notify_all();
}

OtlpMetricsExporter::OtlpMetricsExporter(const MetricRegistry& registry,
                                         OtlpMetricsExporterOptions options) {
  if (options.interval.count() <= 0) {
    throw std::invalid_argument("metrics export interval must be positive, got " +
                                std::to_string(options.interval.count()) + " ms");
  }
  if (options.timeout.count() <= 0) {
    throw std::invalid_argument("metrics export timeout must be positive, got " +
                                std::to_string(options.timeout.count()) + " ms");
  }
  state_ = std::make_unique<State>(registry, std::move(options));
  state_->thread = std::thread([state = state_.get()] { state->run(); });
}

OtlpMetricsExporter::~OtlpMetricsExporter() { shutdown(state_->options.timeout); }

bool OtlpMetricsExporter::force_flush(std::chrono::milliseconds timeout) noexcept {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  if (state.stopping) return false;
  const std::uint64_t ticket = ++state.requested;
  state.wake.notify_one();
  if (!state.done.wait_for(lock, timeout, [&] { return state.completed >= ticket; })) {
    return false;
  }
  return state.last_ok;
}

bool OtlpMetricsExporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  State& state = *state_;
  std::unique_lock lock(state.mutex);
  if (state.shut_down) return false;
  state.shut_down = true;
  state.stopping = true;
  state.stop_deadline = Clock::now() + timeout;
  state.wake.notify_one();
  // The last push is bounded by stop_deadline; the transport's attempt may overrun it a little,
  // and cancel() cuts that short.
  if (!state.done.wait_until(lock, state.stop_deadline, [&] { return state.finished; })) {
    state.transport->cancel();
  }
  lock.unlock();
  state.thread.join();
  lock.lock();
  return state.finished && state.last_ok;
}

OtlpMetricsExporterStats OtlpMetricsExporter::stats() const noexcept {
  const State& state = *state_;
  return {.pushes = state.pushes.load(std::memory_order_relaxed),
          .failed_pushes = state.failed_pushes.load(std::memory_order_relaxed),
          .points_sent = state.points_sent.load(std::memory_order_relaxed),
          .points_rejected = state.points_rejected.load(std::memory_order_relaxed)};
}

OtlpMetricsExporterOptions otlp_metrics_exporter_options_from_env(
    const EnvLookup& env, ConfigErrors& errors, OtlpMetricsExporterOptions defaults) {
  OtlpMetricsExporterOptions options = std::move(defaults);
  options.otlp = otlp_exporter_options_from_env(env, "METRICS", errors, std::move(options.otlp));
  for (auto [name, field] : {std::pair{"OTEL_METRIC_EXPORT_INTERVAL", &options.interval},
                             std::pair{"OTEL_METRIC_EXPORT_TIMEOUT", &options.timeout}}) {
    const std::optional<std::chrono::milliseconds> value = read_milliseconds(env, name, errors);
    if (!value) continue;
    if (value->count() == 0) {
      errors.push_back({"environment variable " + std::string(name),
                        "must be a positive number of milliseconds, got 0"});
      continue;
    }
    *field = *value;
  }
  return options;
}

}  // namespace mmf
