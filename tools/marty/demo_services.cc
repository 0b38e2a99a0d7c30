#include "demo_services.h"

#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <thread>

#include "demo_setup.h"
#include "mmf/httplib_client.h"
#include "mmf/httplib_middleware.h"
#include "mmf/version.h"

namespace marty {
namespace {

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

// The number in an order ID ("o-42" -> 42).
std::uint64_t order_number(std::string_view order_id) {
  std::uint64_t n = 0;
  if (order_id.starts_with("o-"))
    std::from_chars(order_id.data() + 2, order_id.data() + order_id.size(), n);
  return n;
}

// A client of the next service per server thread: an httplib client sends one request at a
// time, and keeping one per thread keeps its connection alive.
class NextService {
 public:
  NextService(mmf::UnifiedObservability& observability, std::string url, std::string peer)
      : url_(std::move(url)), http_(observability, {.peer_service = std::move(peer)}) {}
  mmf::CorrelationHttpClient& client() {
    thread_local std::unique_ptr<mmf::CorrelationHttpClient> mine;
    if (!mine) {
      mine = std::make_unique<mmf::CorrelationHttpClient>(url_, http_);
      mine->client().set_keep_alive(true);
      mine->client().set_tcp_nodelay(true);
      mine->client().set_read_timeout(std::chrono::seconds(10));
    }
    return *mine;
  }

 private:
  std::string url_;
  mmf::HttpClientInstrumentation http_;
};

// Relays the next service's answer: its status, and its body inside ours.
void relay(const httplib::Result& result, httplib::Response& response, const std::string& field,
           const std::string& extra) {
  if (!result) {
    response.status = 502;
    response.set_content("{\"error\":\"" + httplib::to_string(result.error()) + "\"" + extra + "}",
                         "application/json");
    return;
  }
  response.status = result->status < 300 ? 201 : result->status;
  response.set_content("{\"correlation_id\":\"" + json_escape(mmf::get_correlation_id()) + "\"" +
                           extra + ",\"" + field + "\":" + result->body + "}",
                       "application/json");
}

void add_routes(const std::string& role, mmf::UnifiedObservability& observability,
                mmf::CorrelationMiddleware& routes, NextService* next) {
  if (role == "gateway") {
    routes.Post("/payments", [next](const httplib::Request& request, httplib::Response& response) {
      relay(next->client().Post("/orders", request.body, "application/json"), response, "order",
            "");
    });
  } else if (role == "order") {
    auto orders = std::make_shared<std::atomic<std::uint64_t>>(0);
    routes.Post("/orders", [next, orders](const httplib::Request& request,
                                          httplib::Response& response) {
      const std::string id = "o-" + std::to_string(orders->fetch_add(1) + 1);
      relay(next->client().Post("/payments/" + id + "/charge", request.body, "application/json"),
            response, "payment", ",\"order_id\":\"" + id + "\"");
    });
  } else {
    mmf::Counter payments = observability.create_counter(
        "payments_processed_total", "Payments processed.", {"status", "method"});
    observability.plugins().set_status("fraud-plugin", mmf::kVersion, mmf::PluginStatus::kActive);
    observability.plugins().register_dependency_check("fraud-plugin", "risk-model",
                                                      [] { return true; });
    routes.Post(
        "/payments/{order_id}/charge",
        [&observability, payments](const httplib::Request& request, httplib::Response& response) {
          const std::string order_id = mmf::route_parameter(request, "order_id");
          const std::uint64_t n = order_number(order_id);
          {
            mmf::PluginScope plugin("fraud-plugin", "score");  // its span and metrics name it
            mmf::Span fraud = observability.start_span("fraud_check");
            fraud.add_event("score computed", {{"fraud.score", 0.02}});
          }
          const bool declined = n % 50 == 0;
          const char* method = n % 4 == 0 ? "wallet" : "card";
          MMF_LOG_DEBUG("Payment processed",
                        {{"order_id", order_id}, {"amount", 12.5}, {"declined", declined}});
          if (n % 5000 == 4999) {
            // Now and then the card processor fails: the held debug lines of this request are
            // written with the error.
            MMF_LOG_ERROR("card processor timeout", {{"order_id", order_id}, {"after_ms", 3000}});
            payments.inc({{"status", "error"}, {"method", method}});
            response.status = 503;
            return;
          }
          payments.inc({{"status", declined ? "declined" : "success"}, {"method", method}});
          response.status = declined ? 402 : 201;
          response.set_content("{\"status\":\"" + std::string(declined ? "declined" : "charged") +
                                   "\",\"order_id\":\"" + json_escape(order_id) +
                                   "\",\"correlation_id\":\"" +
                                   json_escape(mmf::get_correlation_id()) + "\"}",
                               "application/json");
        });
  }
}

}  // namespace

int run_demo_service(const DemoServiceOptions& options) {
  // SIGTERM and SIGINT stop the service: blocked before any thread starts (threads inherit the
  // mask), and awaited below. The parent's death stops it too.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGTERM);

  const std::string& role = options.role;
  if (role != "gateway" && role != "order" && role != "payment") {
    std::fprintf(stderr, "marty demo-service: unknown role '%s'\n", role.c_str());
    return 2;
  }
  if ((role == "payment") != options.next_url.empty()) {
    std::fprintf(stderr, "marty demo-service: --next is for the gateway and the order service\n");
    return 2;
  }
  const std::string service = "marty-" + role;
  auto observability = start_observability(options.demo, {.service_name = service,
                                                          .serves_traffic = true,
                                                          .serves_metrics = true,
                                                          .honours_port = role == "gateway"});
  if (!observability) return 2;
  std::unique_ptr<NextService> next;
  if (!options.next_url.empty()) {
    next = std::make_unique<NextService>(*observability, options.next_url,
                                         role == "gateway" ? "marty-order" : "marty-payment");
  }
  int port = 0;
  {
    httplib::Server server;
    server.set_tcp_nodelay(true);
    mmf::CorrelationMiddleware middleware(server, *observability);
    add_routes(role, *observability, middleware, next.get());
    port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) {
      std::fprintf(stderr, "marty demo-service: %s cannot listen on 127.0.0.1\n", service.c_str());
      return 1;
    }
    std::thread listener([&server] { server.listen_after_bind(); });
    std::printf("ready port=%d metrics=%s\n", port, metrics_url(*observability).c_str());
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.stop();
    listener.join();
  }
  const bool flushed = observability->shutdown(std::chrono::seconds(5));
  const mmf::TracerStats spans = observability->tracer()->stats();
  const mmf::LoggingStats logs = observability->logging()->stats();
  std::fprintf(
      stderr,
      "marty demo: %s: spans %llu sampled, %llu not, %llu exported, %llu dropped; log "
      "records written %llu, debug records held %llu, written for failed requests %llu%s\n",
      service.c_str(), static_cast<unsigned long long>(spans.spans_started),
      static_cast<unsigned long long>(spans.spans_not_sampled),
      static_cast<unsigned long long>(spans.spans_exported),
      static_cast<unsigned long long>(spans.dropped_queue_full + spans.dropped_export_failed),
      static_cast<unsigned long long>(logs.written),
      static_cast<unsigned long long>(logs.debug_held),
      static_cast<unsigned long long>(logs.debug_released),
      flushed ? "" : " (not all flushed in time)");
  return 0;
}

}  // namespace marty
