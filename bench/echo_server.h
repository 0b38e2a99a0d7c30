// The gRPC echo service the gRPC benchmarks load, in both APIs, on a loopback port of its own,
// plain or set up with interceptors; a no-op interceptor (the floor under any interceptor); and
// the metadata of a call arriving from a gateway. Shared by grpc_throughput_bench and
// grpc_echo_server (the server alone, for profilers).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mmf/test/echo.grpc.pb.h"

namespace mmf::bench {

class EchoService final : public mmf::test::Echo::Service {
 public:
  grpc::Status Unary(grpc::ServerContext*, const mmf::test::EchoRequest* request,
                     mmf::test::EchoReply* reply) override {
    reply->set_text(request->text());
    return grpc::Status::OK;
  }
};

// The same in the callback API, gRPC's recommended one: the handler runs on gRPC's own threads.
class CallbackEchoService final : public mmf::test::Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                  const mmf::test::EchoRequest* request,
                                  mmf::test::EchoReply* reply) override {
    reply->set_text(request->text());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// An interceptor that only lets every step proceed, on either side: what gRPC's interceptor
// machinery costs by itself, the floor under any interceptor (BM_UnaryEcho_NoOpInterceptors).
class NoOpInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }
};
class NoOpInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface,
                                     public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new NoOpInterceptor;
  }
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new NoOpInterceptor;
  }
};

// A server on a free loopback port (the callback API's service when callback is set);
// configure() adds interceptors, when given.
class EchoServer {
 public:
  EchoServer(bool callback, const std::function<void(grpc::ServerBuilder&)>& configure) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    if (callback) {
      builder.RegisterService(&callback_service_);
    } else {
      builder.RegisterService(&service_);
    }
    if (configure) configure(builder);
    server_ = builder.BuildAndStart();
  }
  ~EchoServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  bool ok() const { return server_ != nullptr && port_ > 0; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  EchoService service_;
  CallbackEchoService callback_service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The metadata of a call arriving from a gateway: its trace, tracestate, baggage, correlation ID.
inline constexpr std::pair<std::string_view, std::string_view> kGatewayMetadata[] = {
    {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
    {"baggage", "tenant_id=acme-corp,feature_flag=checkout-v2"},
    {"x-correlation-id", "0190b6f2-4c1d-7a3e-9b5f-2d8e6a1c4f70"}};

}  // namespace mmf::bench
