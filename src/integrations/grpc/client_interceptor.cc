// The client half of CorrelationInterceptor (mmf/grpc_interceptor.h).
//
// gRPC makes a call's interceptors on the thread that creates the call (stub->Method(),
// PrepareAsync..., the callback API's async() calls): that is where the current Context is read
// and the client span starts. The hooks that follow run wherever the call's batches complete,
// possibly on several threads at once, so the span is guarded by the interceptor's mutex.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "integrations/grpc/grpc_support.h"
#include "integrations/http/support.h"
#include "mmf/grpc_interceptor.h"
#include "mmf/unified.h"
#include "propagation/text.h"
#include "trace/clock.h"

namespace mmf {

namespace detail {

struct GrpcClientState {
  Tracer& tracer;
  Propagator propagator;
  GrpcClientOptions options;
  GrpcCallMetrics metrics;
  std::string server_address;
  int server_port = 0;
  std::string peer_service;  // the option, else server_address
};

}  // namespace detail

namespace {

using grpc::experimental::ClientRpcInfo;
using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

// The host and port of a channel target: "host:port", "dns:///host:port", "dns://1.1.1.1/host",
// "ipv4:127.0.0.1:50051", "ipv6:[::1]:50051", "unix:/path" (no host). The default port of
// gRPC is 443.
detail::HostPort target_host_port(std::string_view target) noexcept {
  if (target.starts_with("unix:") || target.starts_with("unix-abstract:")) return {};
  if (const std::size_t scheme = target.find("://"); scheme != std::string_view::npos) {
    target.remove_prefix(scheme + 3);
    const std::size_t slash = target.find('/');  // an authority of the resolver, then the name
    if (slash != std::string_view::npos) target.remove_prefix(slash + 1);
  } else if (target.starts_with("ipv4:") || target.starts_with("ipv6:") ||
             target.starts_with("dns:")) {
    target.remove_prefix(target.find(':') + 1);
  }
  if (const std::size_t comma = target.find(','); comma != std::string_view::npos) {
    target = target.substr(0, comma);  // a list of addresses: the first names the server
  }
  detail::HostPort host_port = detail::split_host_port(target);
  if (!host_port.host.empty() && host_port.port == 0) host_port.port = 443;
  return host_port;
}

class ClientInterceptor final : public grpc::experimental::Interceptor {
 public:
  ClientInterceptor(std::shared_ptr<detail::GrpcClientState> state, ClientRpcInfo* info)
      : state_(std::move(state)),
        full_name_(info->method()),
        name_(detail::split_rpc_name(full_name_.view())),
        streaming_(info->type() != ClientRpcInfo::Type::UNARY),
        start_(std::chrono::steady_clock::now()),
        context_(Context::current()),
        span_(
            // The span starts with the duration's clock reading: one clock call, not two.
            state_->tracer.start_span(
                name_.valid ? full_name_.view().substr(1) : "grpc",
                {.kind = SpanKind::kClient, .start_time = detail::wall_time_at(start_)})) {
    if (span_.is_recording()) {
      detail::set_rpc_attributes(span_, name_);
      if (!state_->server_address.empty()) {
        span_.set_attribute("server.address", state_->server_address);
      }
      if (state_->server_port > 0) {
        span_.set_attribute("server.port", std::int64_t{state_->server_port});
      }
      if (!state_->peer_service.empty()) {
        span_.set_attribute("peer.service", state_->peer_service);
      }
    }
  }

  // A call that never received its status (never started, or torn down early).
  ~ClientInterceptor() override { end_call(static_cast<int>(grpc::StatusCode::CANCELLED), {}); }

  void Intercept(InterceptorBatchMethods* methods) override {
    try {
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
        inject(methods->GetSendInitialMetadata());
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
        const std::uint64_t id = sent_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (streaming_) message_event(true, id);
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
          methods->GetRecvMessage() != nullptr) {
        const std::uint64_t id = received_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (streaming_) message_event(false, id);
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
        const grpc::Status* status = methods->GetRecvStatus();
        if (status != nullptr) {
          end_call(static_cast<int>(status->error_code()), status->error_message());
        }
      }
    } catch (...) {  // instrumentation trouble (an allocation) must not fail the call
    }
    methods->Proceed();
  }

 private:
  void inject(std::multimap<std::string, std::string>* metadata) const {
    if (metadata == nullptr) return;
    // The Context the call runs in, with the client span as the parent: what the server must
    // see (without building a Context that holds the span).
    state_->propagator.inject_to(context_, span_.context(),
                                 [metadata](std::string_view name, std::string_view value) {
                                   // gRPC refuses metadata keys with upper-case letters.
                                   metadata->emplace(detail::ascii_lower(name), std::string(value));
                                 });
  }

  void message_event(bool sent, std::uint64_t id) {
    if (!state_->options.message_events) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!ended_) detail::add_message_event(span_, sent, id);
  }

  void end_call(int code, std::string_view message) noexcept {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) return;
    ended_ = true;
    const auto now = std::chrono::steady_clock::now();  // the duration's end and the span's
    try {
      const double seconds = std::chrono::duration<double>(now - start_).count();
      const std::uint64_t received = received_.load(std::memory_order_relaxed);
      const std::uint64_t sent = sent_.load(std::memory_order_relaxed);
      // On the client side every code but OK is an error.
      detail::set_rpc_outcome(span_, {.code = code,
                                      .error = code != 0,
                                      .message = message,
                                      .streaming = streaming_,
                                      .received = received,
                                      .sent = sent});
      state_->metrics.record(name_, code, seconds, streaming_, sent, received);
    } catch (...) {  // an allocation failed: the span still ends
    }
    span_.end(detail::wall_time_at(now));
  }

  const std::shared_ptr<detail::GrpcClientState> state_;
  const detail::MethodName full_name_;
  const detail::RpcName name_;  // views into full_name_
  const bool streaming_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
  const Context context_;  // current when the call was made
  std::mutex mutex_;       // guards span_ and ended_
  Span span_;
  bool ended_ = false;
};

std::shared_ptr<detail::GrpcClientState> make_client_state(Tracer& tracer, MetricRegistry* registry,
                                                           Propagator propagator,
                                                           std::string_view target,
                                                           GrpcClientOptions options) {
  const detail::HostPort server = target_host_port(target);
  std::string peer_service =
      options.peer_service.empty() ? std::string(server.host) : options.peer_service;
  return std::make_shared<detail::GrpcClientState>(detail::GrpcClientState{
      .tracer = tracer,
      .propagator = std::move(propagator),
      .options = std::move(options),
      .metrics = registry != nullptr ? detail::GrpcCallMetrics(*registry, "client")
                                     : detail::GrpcCallMetrics(),
      .server_address = std::string(server.host),
      .server_port = server.port,
      .peer_service = std::move(peer_service)});
}

}  // namespace

CorrelationClientInterceptorFactory::CorrelationClientInterceptorFactory(Tracer& tracer,
                                                                         MetricRegistry& registry,
                                                                         Propagator propagator,
                                                                         std::string target,
                                                                         GrpcClientOptions options)
    : state_(make_client_state(tracer, &registry, std::move(propagator), target,
                               std::move(options))) {}

CorrelationClientInterceptorFactory::CorrelationClientInterceptorFactory(
    UnifiedObservability& observability, std::string target, GrpcClientOptions options)
    : state_(make_client_state(
          detail::initialized_tracer(observability),
          observability.config().sdk_disabled ? nullptr : &observability.metrics(),
          observability.propagator(), target, std::move(options))) {}

CorrelationClientInterceptorFactory::~CorrelationClientInterceptorFactory() = default;

grpc::experimental::Interceptor* CorrelationClientInterceptorFactory::CreateClientInterceptor(
    ClientRpcInfo* info) {
  if (info == nullptr) return nullptr;
  try {
    return new ClientInterceptor(state_, info);
  } catch (...) {  // no memory: the call runs uninstrumented
    return nullptr;
  }
}

std::shared_ptr<grpc::Channel> CorrelationInterceptor::create_channel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    UnifiedObservability& observability, GrpcClientOptions options,
    const grpc::ChannelArguments& arguments) {
  return create_channel(target, credentials,
                        std::make_unique<CorrelationClientInterceptorFactory>(observability, target,
                                                                              std::move(options)),
                        arguments);
}

std::shared_ptr<grpc::Channel> CorrelationInterceptor::create_channel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    std::unique_ptr<CorrelationClientInterceptorFactory> factory,
    const grpc::ChannelArguments& arguments) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> creators;
  creators.push_back(std::move(factory));
  return grpc::experimental::CreateCustomChannelWithInterceptors(target, credentials, arguments,
                                                                 std::move(creators));
}

}  // namespace mmf
