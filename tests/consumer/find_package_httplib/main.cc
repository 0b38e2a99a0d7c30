// A service that uses the installed HTTP component: an httplib server with
// CorrelationMiddleware, called through CorrelationHttpClient. Proves that
// find_package(... COMPONENTS httplib) brings cpp-httplib's library and compile flags along.
// Exits non-zero when something is off.
#include <mmf/httplib_client.h>
#include <mmf/httplib_middleware.h>
#include <mmf/unified.h>

#include <thread>

int main() {
  mmf::UnifiedObservability observability({.service_name = "consumer",
                                           .traces_exporter = {"none"},
                                           .metrics_exporter = {"none"},
                                           .logs_exporter = {"none"}});
  observability.initialize();
  httplib::Server server;
  mmf::CorrelationMiddleware middleware(server, observability);
  middleware.Get("/users/{id}", [](const httplib::Request& request, httplib::Response& response) {
    response.set_content(mmf::route_parameter(request, "id") + " " + mmf::get_correlation_id(),
                         "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return 1;
  std::thread listener([&server] { server.listen_after_bind(); });
  int status = 0;
  {
    mmf::CorrelationScope scope({.correlation_id = "consumer-1"});
    mmf::CorrelationHttpClient client("http://127.0.0.1:" + std::to_string(port), observability);
    const httplib::Result result = client.Get("/users/7");
    if (!result || result->status != 200) status = 2;
    else if (result->body != "7 consumer-1") status = 3;
  }
  server.stop();
  listener.join();
  observability.shutdown();
  return status;
}
