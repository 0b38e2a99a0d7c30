// The server half of CorrelationInterceptor (mmf/grpc_interceptor.h).
//
// gRPC runs a call's hooks as its batches complete, and a call's hooks may run on different
// threads at the same time (the close notification of a cancelled call arrives while the
// handler still writes), so the span and the end of the call are guarded by the interceptor's
// mutex. Only the synchronous API runs the handler on the thread of the first hook, between the
// receipt of the initial metadata and the sending of the status: that is where the Context is
// made current.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "integrations/grpc/grpc_support.h"
#include "integrations/http/support.h"
#include "mmf/detail/correlation_requests.h"
#include "mmf/grpc_interceptor.h"
#include "mmf/unified.h"
#include "trace/clock.h"

namespace mmf {

namespace detail {

struct GrpcServerState {
  Tracer& tracer;
  Propagator propagator;
  GrpcServerOptions options;
  LoggingPipeline* logging;
  GrpcCallMetrics metrics;
  CorrelationRequests correlation_requests;

  bool is_excluded(std::string_view method) const noexcept {
    return std::find(options.excluded_methods.begin(), options.excluded_methods.end(), method) !=
           options.excluded_methods.end();
  }
};

}  // namespace detail

namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

// "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000" (gRPC's peer strings) -> address and port.
detail::HostPort split_peer(std::string_view peer) noexcept {
  const std::size_t colon = peer.find(':');
  if (colon == std::string_view::npos) return {};
  const std::string_view scheme = peer.substr(0, colon);
  if (scheme != "ipv4" && scheme != "ipv6") return {};
  return detail::split_host_port(peer.substr(colon + 1));
}

// A call cancelled this close to its deadline was cancelled by it. The client's deadline passes
// first: the server's copy is counted from the receipt of the call's grpc-timeout (rounded up),
// so the cancellation the client sends when its deadline passes can arrive before it.
constexpr std::chrono::milliseconds kDeadlineSlack{100};

// Room for one T inside the interceptor (no allocation per call), which can also be forgotten:
// a scope must end on the thread that entered it, and one left behind on another is let go
// without running its destructor rather than corrupting that thread's current Context.
template <class T>
class Forgettable {
 public:
  Forgettable() noexcept {}
  Forgettable(const Forgettable&) = delete;
  Forgettable& operator=(const Forgettable&) = delete;
  ~Forgettable() { reset(); }

  template <class... Args>
  void emplace(Args&&... args) {
    reset();
    new (&value_) T(std::forward<Args>(args)...);
    engaged_ = true;
  }
  void reset() noexcept {
    if (!engaged_) return;
    engaged_ = false;
    value_.~T();
  }
  void forget() noexcept { engaged_ = false; }
  explicit operator bool() const noexcept { return engaged_; }
  T* operator->() noexcept { return &value_; }

 private:
  union {
    T value_;
  };
  bool engaged_ = false;
};

class ServerInterceptor final : public grpc::experimental::Interceptor {
 public:
  ServerInterceptor(std::shared_ptr<detail::GrpcServerState> state, ServerRpcInfo* info)
      : state_(std::move(state)),
        server_context_(info->server_context()),
        full_name_(info->method()),
        name_(detail::split_rpc_name(full_name_.view())),
        streaming_(info->type() != ServerRpcInfo::Type::UNARY),
        callback_api_(dynamic_cast<grpc::CallbackServerContext*>(server_context_) != nullptr),
        // IsCancelled() is always safe in the synchronous and callback APIs only.
        may_ask_cancelled_(callback_api_ || !state_->options.async_api) {}

  ~ServerInterceptor() override {
    // A call whose status was never sent: cancelled before its handler finished, or abandoned.
    // gRPC destroys interceptors while it destroys the ServerContext: it is not asked anything.
    end_call(std::nullopt, {}, false);
    // Not on the handler's thread (the asynchronous API, against the options): the scope
    // cannot be restored here, so it is let go rather than corrupting this thread's.
    if (scope_ && handler_thread_ != std::this_thread::get_id()) {
      scope_.forget();
      debug_logs_.forget();
    }
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    try {
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
        start_call(methods->GetRecvInitialMetadata());
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
          methods->GetRecvMessage() != nullptr) {
        const std::uint64_t id = received_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (streaming_) message_event(false, id);
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
        add_correlation_metadata(methods->GetSendInitialMetadata());
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
        const std::uint64_t id = sent_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (streaming_) message_event(true, id);
      }
      if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
        const grpc::Status status = methods->GetSendStatus();
        const bool cancelled = client_gave_up();
        end_call(status.error_code(), status.error_message(), cancelled);
        restore_scope();
      }
    } catch (...) {  // instrumentation trouble (an allocation) must not fail the call
    }
    methods->Proceed();
  }

 private:
  // Whether the client cancelled the call or its deadline passed. The deadline is read first:
  // it costs nothing. IsCancelled() is cheap in the callback API, but in the synchronous one it
  // polls the call's queue (halving a unary echo's throughput), so there it is asked for
  // streams only, where a client that goes away is part of the protocol. It is asked before
  // the lock: in the synchronous API it may complete the call's close operation, whose
  // POST_RECV_CLOSE hook then runs here, nested (and never in that hook, which it would
  // re-enter).
  bool client_gave_up() const {
    // No deadline (gRPC reports time_point::max()): no clock to read.
    if (deadline_ != std::chrono::system_clock::time_point::max() &&
        std::chrono::system_clock::now() >= deadline_) {
      return true;
    }
    if (!may_ask_cancelled_ || !(callback_api_ || streaming_)) return false;
    return server_context_->IsCancelled();
  }

  void start_call(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (started_) return;
    started_ = true;
    start_ = std::chrono::steady_clock::now();
    deadline_ = server_context_->deadline();
    const auto visit = [metadata](Propagator::HeaderVisitor visitor) {
      if (metadata == nullptr) return;
      for (const auto& [key, value] : *metadata) {
        visitor(detail::view_of(key), detail::view_of(value));
      }
    };
    Context incoming = state_->propagator.extract_from(visit);
    state_->correlation_requests.count(incoming.correlation_origin());
    // The span starts with the duration's clock reading: one clock call, not two.
    span_ = state_->tracer.start_span(name_.valid ? full_name_.view().substr(1) : "grpc",
                                      {.kind = SpanKind::kServer,
                                       .parent = incoming,
                                       .start_time = detail::wall_time_at(start_)});
    if (span_.is_recording()) describe_call();
    context_ = span_.context_with_span(std::move(incoming));
    detail::register_call_context(server_context_, context_);
    registered_ = true;
    if (!state_->options.async_api && !callback_api_) {
      handler_thread_ = std::this_thread::get_id();
      scope_.emplace(context_);
      if (state_->logging != nullptr) {
        debug_logs_.emplace(*state_->logging);
      } else {
        debug_logs_.emplace();
      }
    }
  }

  // The span's attributes from the call (under mutex_).
  void describe_call() {
    detail::set_rpc_attributes(span_, name_);
    const grpc::string_ref authority = server_context_->ExperimentalGetAuthority();
    const detail::HostPort server = detail::split_host_port(detail::view_of(authority));
    if (!server.host.empty()) span_.set_attribute("server.address", server.host);
    if (server.port > 0) span_.set_attribute("server.port", std::int64_t{server.port});
    const std::string peer = server_context_->peer();
    const detail::HostPort client = split_peer(peer);
    if (!client.host.empty()) span_.set_attribute("client.address", client.host);
    if (client.port > 0) span_.set_attribute("client.port", std::int64_t{client.port});
  }

  void message_event(bool sent, std::uint64_t id) {
    if (!state_->options.message_events) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!ended_) detail::add_message_event(span_, sent, id);
  }

  void add_correlation_metadata(std::multimap<std::string, std::string>* metadata) {
    if (!state_->options.correlation_metadata || metadata == nullptr) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) return;
    if (!context_.correlation_id().empty()) {
      metadata->emplace("x-correlation-id", context_.correlation_id());
    }
    if (!context_.request_id().empty()) metadata->emplace("x-request-id", context_.request_id());
  }

  // Ends the span and records the metrics, once. sent_code: the status sent; nullopt when none
  // was. client_cancelled: the client cancelled the call (or its deadline passed).
  void end_call(std::optional<int> sent_code, std::string_view message,
                bool client_cancelled) noexcept {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ || ended_) return;
    ended_ = true;
    const auto now = std::chrono::steady_clock::now();  // the duration's end and the span's
    try {
      // The client's view wins: a cancelled call ends as such whatever the handler returned.
      const bool cancelled = !sent_code || client_cancelled;
      int code = sent_code.value_or(0);
      if (cancelled) {
        code = static_cast<int>(std::chrono::system_clock::now() + kDeadlineSlack >= deadline_
                                    ? grpc::StatusCode::DEADLINE_EXCEEDED
                                    : grpc::StatusCode::CANCELLED);
      }
      const double seconds = std::chrono::duration<double>(now - start_).count();
      const std::uint64_t received = received_.load(std::memory_order_relaxed);
      const std::uint64_t sent = sent_.load(std::memory_order_relaxed);
      const bool error = detail::is_server_error(code);
      detail::set_rpc_outcome(span_, {.code = code,
                                      .error = error,
                                      .message = message,
                                      .streaming = streaming_,
                                      .received = received,
                                      .sent = sent});
      if (error && debug_logs_) debug_logs_->mark_error();
      state_->metrics.record(name_, code, seconds, streaming_, received, sent);
    } catch (...) {  // an allocation failed: the span still ends
    }
    span_.end(detail::wall_time_at(now));
    if (registered_) detail::unregister_call_context(server_context_);
  }

  // Ends the handler thread's scopes (synchronous API), on that thread only.
  void restore_scope() noexcept {
    if (!scope_ || handler_thread_ != std::this_thread::get_id()) return;
    debug_logs_.reset();  // writes the held debug records if the call failed
    scope_.reset();
  }

  const std::shared_ptr<detail::GrpcServerState> state_;
  grpc::ServerContextBase* const server_context_;
  const detail::MethodName full_name_;
  const detail::RpcName name_;  // views into full_name_
  const bool streaming_;
  const bool callback_api_;
  const bool may_ask_cancelled_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> sent_{0};

  std::mutex mutex_;  // guards what follows, except the scopes (the handler's thread only)
  bool started_ = false;
  bool ended_ = false;
  bool registered_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::system_clock::time_point deadline_ = std::chrono::system_clock::time_point::max();
  Span span_;
  Context context_;

  std::thread::id handler_thread_;
  Forgettable<ContextScope> scope_;
  Forgettable<DebugLogScope> debug_logs_;
};

}  // namespace

CorrelationServerInterceptorFactory::CorrelationServerInterceptorFactory(Tracer& tracer,
                                                                         MetricRegistry& registry,
                                                                         Propagator propagator,
                                                                         GrpcServerOptions options,
                                                                         LoggingPipeline* logging)
    : state_(std::make_shared<detail::GrpcServerState>(detail::GrpcServerState{
          .tracer = tracer,
          .propagator = std::move(propagator),
          .options = std::move(options),
          .logging = logging,
          .metrics = detail::GrpcCallMetrics(registry, "server"),
          .correlation_requests = detail::CorrelationRequests(registry)})) {}

CorrelationServerInterceptorFactory::CorrelationServerInterceptorFactory(
    UnifiedObservability& observability, GrpcServerOptions options)
    : CorrelationServerInterceptorFactory(detail::initialized_tracer(observability),
                                          observability.metrics(), observability.propagator(),
                                          std::move(options), observability.logging()) {
  if (observability.config().sdk_disabled) {  // telemetry off: metrics that record nothing
    state_->metrics = detail::GrpcCallMetrics();
    state_->correlation_requests = detail::CorrelationRequests();
  }
}

CorrelationServerInterceptorFactory::~CorrelationServerInterceptorFactory() = default;

grpc::experimental::Interceptor* CorrelationServerInterceptorFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  if (info == nullptr || info->server_context() == nullptr) return nullptr;
  if (info->method() != nullptr && state_->is_excluded(info->method())) return nullptr;
  try {
    return new ServerInterceptor(state_, info);
  } catch (...) {  // no memory: the call runs uninstrumented
    return nullptr;
  }
}

void CorrelationInterceptor::install(grpc::ServerBuilder& builder,
                                     UnifiedObservability& observability,
                                     GrpcServerOptions options) {
  install(builder,
          std::make_unique<CorrelationServerInterceptorFactory>(observability, std::move(options)));
}

void CorrelationInterceptor::install(grpc::ServerBuilder& builder,
                                     std::unique_ptr<CorrelationServerInterceptorFactory> factory) {
  // The health service is made by BuildAndStart() when this global switch is on.
  grpc::EnableDefaultHealthCheckService(true);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::move(factory));
  builder.experimental().SetInterceptorCreators(std::move(creators));
}

}  // namespace mmf
