// A service that uses the installed gRPC and hybrid components. Proves that linking
// mmf::observability_grpc from an install registers the OTLP/gRPC transport (the static
// initialiser survives a static link), that a configuration asking for OTLP over gRPC is
// accepted, and that HybridService and CorrelationInterceptor build and run. Exits non-zero
// when something is off.
#include <mmf/grpc_interceptor.h>
#include <mmf/hybrid_service.h>
#include <mmf/otlp_exporter.h>
#include <mmf/unified.h>

#include <cstdio>
#include <string>

int main() {
  if (!mmf::otlp_grpc_transport_available()) {
    std::fprintf(stderr, "consumer: the OTLP/gRPC transport is not registered\n");
    return 1;
  }
  mmf::ObservabilityConfig config{.service_name = "consumer",
                                  .otlp_protocol = mmf::OtlpProtocol::kGrpc,
                                  .traces_exporter = {"none"},
                                  .metrics_exporter = {"none"},
                                  .logs_exporter = {"otlp"}};
  if (!config.validate().empty()) {
    std::fprintf(stderr, "consumer: a configuration with OTLP over gRPC was refused\n");
    return 1;
  }
  mmf::UnifiedObservability observability(config);
  observability.initialize();
  int status = 0;
  {
    mmf::HybridService service(observability,
                               {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = 0});
    service.http().Get("/ping", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("pong", "text/plain");
    });
    try {
      service.start();  // no gRPC service: refused, with the reason
      status = 1;
    } catch (const std::runtime_error& error) {
      if (std::string(error.what()).find("no gRPC service") == std::string::npos) status = 1;
    }
    auto channel = mmf::CorrelationInterceptor::create_channel(
        "127.0.0.1:1", grpc::InsecureChannelCredentials(), observability);
    if (channel == nullptr) status = 1;
  }
  observability.shutdown(std::chrono::seconds(1));
  if (status != 0) std::fprintf(stderr, "consumer: the hybrid service did not behave\n");
  return status;
}
