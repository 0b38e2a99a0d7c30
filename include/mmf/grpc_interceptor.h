// CorrelationInterceptor: gRPC server and client instrumentation (component
// mmf::observability_grpc). One call each:
//
//   grpc::ServerBuilder builder;
//   mmf::CorrelationInterceptor::install(builder, observability);   // before BuildAndStart()
//   ...
//   auto channel = mmf::CorrelationInterceptor::create_channel(
//       "orders:50051", grpc::InsecureChannelCredentials(), observability,
//       {.peer_service = "orders"});
//   auto stub = orders::OrderService::NewStub(channel);
//
// Server side, for each call (methods in excluded_methods get nothing):
//   - extracts traceparent, tracestate, baggage and the correlation keys (x-correlation-id,
//     x-request-id, x-user-id, x-session-id, and the x-mmf-* family) from the client's metadata,
//     as untrusted input (validated and bounded; a missing correlation ID is generated);
//   - starts the server span "{package.Service}/{Method}" with rpc.system=grpc, rpc.service,
//     rpc.method, server.address and server.port (from :authority), client.address and
//     client.port, and ends it with rpc.grpc.status_code: UNKNOWN, DEADLINE_EXCEEDED,
//     UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS are errors on the server side, as the
//     semantic conventions say; a call the client cancelled ends as CANCELLED (or
//     DEADLINE_EXCEEDED when its deadline passed), whatever the handler returned;
//   - puts x-correlation-id and x-request-id in the initial metadata of the response;
//   - the Context (with the server span) is reachable from the call's ServerContext or
//     CallbackServerContext through grpc_call_context(); in the synchronous API it is also the
//     current Context of the handler's thread (with a DebugLogScope open), from the first
//     interceptor hook to the sending of the status. The callback API's handlers and reactors run
//     on gRPC's threads, where nothing of ours is current: make it current yourself,
//     `mmf::ContextScope scope(mmf::grpc_call_context(*context));`. For the asynchronous API
//     (CompletionQueue), set async_api = true and do the same.
// Client side, for each call made on the channel:
//   - the client span (kind client, same name and rpc.* attributes, server.address and
//     server.port from the target, peer.service) is a child of the Context current on the thread
//     that creates the call; its metadata carries traceparent, tracestate, baggage and the
//     correlation keys, lower-cased; the span ends with the status (any non-OK is an error).
// Streams (both sides): one span for the whole call; each message adds an event "message" with
// rpc.message.type (SENT or RECEIVED) and rpc.message.id (1, 2, ... per direction), up to the
// span's event limit; the totals are span attributes rpc.messages_sent / rpc.messages_received.
//
// Metrics, in Prometheus names: rpc_server_call_duration_seconds and
// rpc_client_call_duration_seconds (histograms; labels rpc_service, rpc_method,
// rpc_grpc_status_code), and for streaming calls rpc_server_requests_per_rpc,
// rpc_server_responses_per_rpc, rpc_client_requests_per_rpc and rpc_client_responses_per_rpc
// (messages per call; same labels); and mmf_correlation_requests_total{origin} for server calls,
// shared with the HTTP middleware. Method names come from clients when a generic service is
// registered: the registry's series limit bounds them.
//
// Thread-safety: the factories are shared by all calls; gRPC may run one call's hooks on
// several threads, which the interceptors allow for. The UnifiedObservability (or tracer,
// registry and logging pipeline) must outlive the servers and channels that use them.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "mmf/context.h"
#include "mmf/log.h"
#include "mmf/metrics.h"
#include "mmf/propagation.h"
#include "mmf/tracer.h"

namespace mmf {

class UnifiedObservability;

namespace detail {
struct GrpcServerState;
struct GrpcClientState;
}  // namespace detail

struct GrpcServerOptions {
  // Full method names ("/grpc.health.v1.Health/Check") that are not instrumented at all.
  std::vector<std::string> excluded_methods{"/grpc.health.v1.Health/Check",
                                            "/grpc.health.v1.Health/Watch"};
  // Responses carry x-correlation-id and x-request-id in their initial metadata.
  bool correlation_metadata = true;
  // The server uses the asynchronous (CompletionQueue) API, whose hooks run on whichever thread
  // polls the queue: the Context is then never made current (use grpc_call_context()), and a
  // cancellation shows only in the status the handler sends. The synchronous and callback APIs
  // need nothing (the callback API is recognised by its CallbackServerContext).
  bool async_api = false;
  // Streams: one span event per message.
  bool message_events = true;
};

struct GrpcClientOptions {
  // peer.service of the client spans; empty: the host of the channel's target.
  std::string peer_service{};
  // Streams: one span event per message.
  bool message_events = true;
};

class CorrelationServerInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // With observability's tracer, registry, logging and propagation settings. Throws
  // std::logic_error before observability.initialize().
  explicit CorrelationServerInterceptorFactory(UnifiedObservability& observability,
                                               GrpcServerOptions options = {});
  CorrelationServerInterceptorFactory(Tracer& tracer, MetricRegistry& registry,
                                      Propagator propagator, GrpcServerOptions options = {},
                                      LoggingPipeline* logging = nullptr);
  ~CorrelationServerInterceptorFactory() override;

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::shared_ptr<detail::GrpcServerState> state_;
};

class CorrelationClientInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  // target: the channel's target ("host:port", "dns:///host:port", "ipv4:127.0.0.1:50051"),
  // for server.address, server.port and the default peer.service.
  CorrelationClientInterceptorFactory(UnifiedObservability& observability, std::string target,
                                      GrpcClientOptions options = {});
  CorrelationClientInterceptorFactory(Tracer& tracer, MetricRegistry& registry,
                                      Propagator propagator, std::string target,
                                      GrpcClientOptions options = {});
  ~CorrelationClientInterceptorFactory() override;

  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override;

 private:
  std::shared_ptr<detail::GrpcClientState> state_;
};

// The one-call installers.
struct CorrelationInterceptor {
  // Makes the builder's server instrumented (replacing interceptor factories set before: to
  // combine with others, pass a CorrelationServerInterceptorFactory to
  // builder.experimental().SetInterceptorCreators() yourself), and turns on gRPC's health
  // service (grpc.health.v1.Health, reporting SERVING), which the options exclude. gRPC's
  // switch for the health service is process-wide: servers built later get it too.
  static void install(grpc::ServerBuilder& builder, UnifiedObservability& observability,
                      GrpcServerOptions options = {});
  static void install(grpc::ServerBuilder& builder,
                      std::unique_ptr<CorrelationServerInterceptorFactory> factory);
  // A channel to target whose calls are instrumented.
  static std::shared_ptr<grpc::Channel> create_channel(
      const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
      UnifiedObservability& observability, GrpcClientOptions options = {},
      const grpc::ChannelArguments& arguments = {});
  static std::shared_ptr<grpc::Channel> create_channel(
      const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
      std::unique_ptr<CorrelationClientInterceptorFactory> factory,
      const grpc::ChannelArguments& arguments = {});
};

// The Context of the call that server_context belongs to (with its server span), from the first
// interceptor hook until the status is sent; an empty Context for a call the interceptor did
// not instrument.
Context grpc_call_context(const grpc::ServerContextBase& server_context);

}  // namespace mmf
