#include "demo_services.h"

#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <thread>

#include "demo_setup.h"
#include "marty/demo/order.grpc.pb.h"
#include "mmf/grpc_interceptor.h"
#include "mmf/httplib_client.h"
#include "mmf/httplib_middleware.h"
#include "mmf/hybrid_service.h"
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

// The order service: a gRPC method that places the order and charges it at the payment
// service over HTTP, inside the call's Context (current in the synchronous API).
class OrderService final : public marty::demo::OrderService::Service {
 public:
  explicit OrderService(NextService& payment) : payment_(payment) {}

  grpc::Status PlaceOrder(grpc::ServerContext*, const marty::demo::PlaceOrderRequest* request,
                          marty::demo::PlaceOrderReply* reply) override {
    const std::string id = "o-" + std::to_string(orders_.fetch_add(1) + 1);
    reply->set_order_id(id);
    reply->set_correlation_id(std::string(mmf::get_correlation_id()));
    const httplib::Result result = payment_.client().Post("/payments/" + id + "/charge",
                                                          request->payload(), "application/json");
    if (!result) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "payment service: " + httplib::to_string(result.error()));
    }
    reply->set_payment_status(result->status);
    reply->set_payment_json(result->body);
    return grpc::Status::OK;
  }

  std::uint64_t placed() const { return orders_.load(); }

 private:
  NextService& payment_;
  std::atomic<std::uint64_t> orders_{0};
};

// The gateway's and the payment service's HTTP routes.
void add_routes(const std::string& role, mmf::UnifiedObservability& observability,
                mmf::CorrelationMiddleware& routes, marty::demo::OrderService::Stub* order) {
  if (role == "gateway") {
    routes.Post("/payments", [order](const httplib::Request& request, httplib::Response& response) {
      marty::demo::PlaceOrderRequest call;
      call.set_payload(request.body);
      marty::demo::PlaceOrderReply reply;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      const grpc::Status status = order->PlaceOrder(&context, call, &reply);
      if (!status.ok()) {
        response.status = 502;
        response.set_content("{\"error\":\"" + json_escape(status.error_message()) + "\"}",
                             "application/json");
        return;
      }
      response.status = reply.payment_status() < 300 ? 201 : reply.payment_status();
      response.set_content(
          "{\"correlation_id\":\"" + json_escape(mmf::get_correlation_id()) +
              "\",\"order\":{\"correlation_id\":\"" + json_escape(reply.correlation_id()) +
              "\",\"order_id\":\"" + json_escape(reply.order_id()) + "\",\"payment\":" +
              (reply.payment_json().empty() ? std::string("null") : reply.payment_json()) + "}}",
          "application/json");
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
  int signal = 0;
  if (role == "order") {
    // A hybrid service: OrderService over gRPC, and GET /orders/count over HTTP.
    NextService payment(*observability, options.next_url, "marty-payment");
    OrderService orders(payment);
    mmf::HybridService hybrid(*observability,
                              {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = 0});
    hybrid.add_grpc_service(&orders);
    hybrid.http().Get("/orders/count", [&orders](const httplib::Request&, httplib::Response& r) {
      r.set_content("{\"placed\":" + std::to_string(orders.placed()) + "}", "application/json");
    });
    try {
      hybrid.start();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "marty demo-service: %s: %s\n", service.c_str(), e.what());
      return 1;
    }
    std::printf("ready port=%d http=%d metrics=%s\n", hybrid.grpc_port(), hybrid.http_port(),
                metrics_url(*observability).c_str());
    std::fflush(stdout);
    sigwait(&stop_signals, &signal);
    hybrid.stop();
  } else {
    std::unique_ptr<marty::demo::OrderService::Stub> order;
    if (role == "gateway") {
      order = marty::demo::OrderService::NewStub(mmf::CorrelationInterceptor::create_channel(
          options.next_url, grpc::InsecureChannelCredentials(), *observability,
          {.peer_service = "marty-order"}));
    }
    httplib::Server server;
    server.set_tcp_nodelay(true);
    mmf::CorrelationMiddleware middleware(server, *observability);
    add_routes(role, *observability, middleware, order.get());
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) {
      std::fprintf(stderr, "marty demo-service: %s cannot listen on 127.0.0.1\n", service.c_str());
      return 1;
    }
    std::thread listener([&server] { server.listen_after_bind(); });
    std::printf("ready port=%d metrics=%s\n", port, metrics_url(*observability).c_str());
    std::fflush(stdout);
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
