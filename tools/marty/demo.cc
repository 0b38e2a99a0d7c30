// The demo: simulated services that pass requests to each other through header maps, exactly
// as an HTTP or gRPC integration would, so that context, propagation and tracing can be watched
// hop by hop without any infrastructure. One UnifiedObservability, configured as a service
// would be (demo_setup.h), records a real span at each hop, the metrics and the logs: spans go
// to the collector at OTEL_EXPORTER_OTLP_ENDPOINT when it is set and to stdout otherwise.
#include "demo.h"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "demo_cluster.h"
#include "demo_metrics.h"
#include "demo_setup.h"
#include "mmf/log.h"
#include "mmf/observability.h"

namespace marty {
namespace {

using Headers = std::map<std::string, std::string>;

// A trivial work queue drained by one thread: the "worker pool" of the payment service.
class Worker {
 public:
  Worker() : thread_([this] { run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

const char* origin_name(mmf::CorrelationOrigin origin) {
  switch (origin) {
    case mmf::CorrelationOrigin::kNone:
      return "none";
    case mmf::CorrelationOrigin::kLocal:
      return "local";
    case mmf::CorrelationOrigin::kIncoming:
      return "incoming";
    case mmf::CorrelationOrigin::kGenerated:
      return "generated: none arrived";
    case mmf::CorrelationOrigin::kRejected:
      return "generated: the one that arrived was invalid";
  }
  return "?";
}

void print_context(const char* service, const mmf::Context& context) {
  const mmf::SpanContext& span = context.span_context();
  std::printf("[%s] correlation_id=%s (%s)\n", service, context.correlation_id().c_str(),
              origin_name(context.correlation_origin()));
  std::printf("[%s] request_id=%s", service, context.request_id().c_str());
  if (!context.parent_request_id().empty()) {
    std::printf(" parent_request_id=%s", context.parent_request_id().c_str());
  }
  std::printf("\n");
  if (!context.user_id().empty() || !context.session_id().empty()) {
    std::printf("[%s] user_id=%s session_id=%s\n", service, context.user_id().c_str(),
                context.session_id().c_str());
  }
  if (span.is_valid()) {
    std::printf("[%s] trace_id=%s parent_span_id=%s sampled=%s\n", service,
                span.trace_id.to_hex().c_str(), span.span_id.to_hex().c_str(),
                span.is_sampled() ? "yes" : "no");
  } else {
    std::printf("[%s] no trace context arrived: the first span will start a new trace\n", service);
  }
  if (!context.plugin().empty() || !context.operation_id().empty()) {
    std::printf("[%s] plugin=%s operation_id=%s\n", service, context.plugin().c_str(),
                context.operation_id().c_str());
  }
  for (const auto& [key, value] : context.business_context()) {
    std::printf("[%s] business %s=%s\n", service, key.c_str(), value.c_str());
  }
}

void print_headers(const char* service, const char* what, const Headers& headers) {
  std::printf("[%s] %s\n", service, what);
  for (const auto& [name, value] : headers) {
    std::printf("[%s]     %s: %s\n", service, name.c_str(), value.c_str());
  }
}

// One walk-through of the scenario, narrated.
void walk_through(mmf::UnifiedObservability& observability, DemoMetrics& metrics) {
  const auto started = std::chrono::steady_clock::now();
  mmf::Tracer& tracer = *observability.tracer();
  // Both services allow the business field cart_id out (the configuration's
  // allowed_business_fields).
  const mmf::Propagator gateway_propagation(observability.config().propagation_options());
  const mmf::Propagator payment_propagation(observability.config().propagation_options());

  std::printf("== 1. A browser calls the gateway: W3C trace context, no correlation ID ==\n");
  const Headers from_browser = {
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"tracestate", "rojo=00f067aa0ba902b7"},
      {"X-User-ID", "user_67890"},
      {"X-Session-ID", "sess_abcdef"},
      {"User-Agent", "Mozilla/5.0"}};
  print_headers("gateway", "incoming headers:", from_browser);
  mmf::ContextScope incoming(gateway_propagation.extract(from_browser));
  mmf::CorrelationScope request(
      {.operation_name = "POST /payments", .business_context = {{"cart_id", "c-9"}}});
  print_context("gateway", mmf::Context::current());
  mmf::Span server = tracer.start_span("POST /payments", {.kind = mmf::SpanKind::kServer});
  server.set_attribute("http.request.method", "POST").set_attribute("http.route", "/payments");
  auto in_server = server.activate();

  std::printf("\n== 2. The gateway calls the payment service ==\n");
  Headers outgoing;
  mmf::Span call = tracer.start_span("POST payment/charge", {.kind = mmf::SpanKind::kClient});
  call.set_attribute("server.address", "payment");
  gateway_propagation.inject(call.context_with_span(), outgoing);
  print_headers("gateway", "outgoing headers:", outgoing);

  std::printf("\n== 3. The payment service reads them: same trace, same correlation ID ==\n");
  Worker worker;
  std::string worker_saw;
  {
    mmf::ContextScope payment(payment_propagation.extract(outgoing));
    mmf::CorrelationScope charge({.operation_name = "charge_card"});
    print_context("payment", mmf::Context::current());
    mmf::Span charge_span = tracer.start_span("charge_card", {.kind = mmf::SpanKind::kServer});
    charge_span.set_attribute("payment.amount", 12.5).set_attribute("payment.currency", "EUR");
    auto in_charge = charge_span.activate();
    std::printf("[payment] logs a line; the library adds the trace and correlation context:\n");
    std::fflush(stdout);  // the log line is written by the logging pipeline's own thread
    MMF_LOG_INFO("Payment processed", {{"amount", 12.5}, {"currency", "EUR"}});
    observability.logging()->flush();

    std::printf("\n== 4. It hands a fraud check to a worker thread with mmf::bind ==\n");
    std::promise<void> done;
    worker.post(mmf::bind([&] {
      mmf::PluginScope plugin("fraud-plugin", "score");  // the span and metrics name the plugin
      mmf::Span fraud = tracer.start_span("fraud_check");
      fraud.add_event("score computed", {{"fraud.score", 0.02}});
      worker_saw = mmf::get_correlation_id();
      std::printf("[worker] fraud check runs on another thread: correlation_id=%s user_id=%s\n",
                  mmf::get_correlation_id().c_str(), mmf::get_user_id().c_str());
      done.set_value();
    }));
    done.get_future().wait();
    metrics.record_payment("success", "card");
  }
  call.end();
  // Recorded while the server span is current: the histogram bucket keeps its trace ID.
  metrics.record_request(
      "POST", "/payments", 201,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  std::printf("\n[gateway] this request's trace_id=%s correlation_id=%s\n",
              server.context().trace_id.to_hex().c_str(), mmf::get_correlation_id().c_str());

  std::printf("\n== 5. A legacy Python MMF service calls in with X-MMF-* headers ==\n");
  const Headers from_python = {{"X-MMF-Correlation-ID", "mmf-corr-4242"},
                               {"X-MMF-Request-ID", "mmf-req-1"},
                               {"X-MMF-Plugin-ID", "fraud-plugin"},
                               {"X-MMF-Operation-ID", "op-score-17"}};
  print_headers("payment", "incoming headers:", from_python);
  {
    mmf::ContextScope legacy(payment_propagation.extract(from_python));
    print_context("payment", mmf::Context::current());
    const mmf::Propagator reply_in_kind(
        mmf::PropagationOptions{.output_headers = mmf::CorrelationHeaders::kMmf});
    Headers answer;
    reply_in_kind.inject(answer);
    print_headers("payment", "calls back in the caller's header family:", answer);
  }

  std::printf("\n== 6. A hostile request: forged IDs are refused, not propagated ==\n");
  const Headers hostile = {
      {"X-Correlation-ID", "abc\r\nX-Admin: true"},
      {"X-User-ID", "\"admin\",\"role\":\"root\""},
      {"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
      {"baggage", std::string(9000, 'x')}};
  std::printf(
      "[gateway] incoming: X-Correlation-ID with CR LF, X-User-ID with quotes, an all-zero\n"
      "[gateway]           trace ID, and a 9000-byte baggage header\n");
  {
    mmf::ContextScope refused(gateway_propagation.extract(hostile));
    print_context("gateway", mmf::Context::current());
  }
  const mmf::PropagationCounters counters = mmf::propagation_counters();
  std::printf("[gateway] refused so far: ids=%llu traceparent=%llu oversized_headers=%llu\n",
              static_cast<unsigned long long>(counters.ids_rejected),
              static_cast<unsigned long long>(counters.traceparent_invalid),
              static_cast<unsigned long long>(counters.headers_oversized));
}

}  // namespace

int run_demo(const DemoOptions& options) {
  std::fprintf(
      stderr,
      "marty demo (%s %s): request context, propagation, tracing, metrics and logs at work\n",
      mmf::kLibraryName, mmf::kVersion);
  const std::unique_ptr<mmf::UnifiedObservability> observability =
      start_observability(options, {.service_name = "marty-demo"});
  if (!observability) return 2;
  report_destinations(*observability);
  DemoMetrics metrics(*observability);

  walk_through(*observability, metrics);
  std::fflush(stdout);
  std::printf("\n== 7. The spans of these requests, exported (see where on stderr) ==\n");
  std::fflush(stdout);
  mmf::Tracer& tracer = *observability->tracer();
  if (!tracer.force_flush(std::chrono::seconds(10))) {
    std::fprintf(stderr, "marty demo: the spans could not all be exported within 10 s\n");
  }
  const mmf::TracerStats stats = tracer.stats();
  std::fflush(stdout);
  std::fprintf(
      stderr, "marty demo: %llu spans recorded, %llu exported, %llu lost\n",
      static_cast<unsigned long long>(stats.spans_started),
      static_cast<unsigned long long>(stats.spans_exported),
      static_cast<unsigned long long>(stats.dropped_export_failed + stats.dropped_queue_full));
  std::printf(
      "\n== 8. Their metrics, as Prometheus reads them from /metrics (OpenMetrics; the bucket "
      "after '#' is an exemplar: the trace of a request that landed there) ==\n%s",
      metrics.excerpt().c_str());
  std::fflush(stdout);
  if (!observability->shutdown(std::chrono::seconds(10))) {
    std::fprintf(stderr, "marty demo: not everything could be exported within 10 s\n");
  }
  return run_cluster(options, observability->config());
}

}  // namespace marty
