#include "mmf/hybrid_service.h"

#include <sys/socket.h>

#include <stdexcept>
#include <utility>

#include "mmf/unified.h"

namespace mmf {
namespace {

// "host:port" as gRPC wants it, with an IPv6 literal in brackets.
std::string grpc_address(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && !host.starts_with('[');
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

HybridService::HybridService(UnifiedObservability& observability, HybridServiceOptions options)
    : options_(std::move(options)), http_server_(std::make_unique<httplib::Server>()) {
  if (observability.tracer() == nullptr) {
    throw std::logic_error(
        "HybridService needs an initialized UnifiedObservability: call initialize() first");
  }
  middleware_ =
      std::make_unique<CorrelationMiddleware>(*http_server_, observability, options_.http);
  CorrelationInterceptor::install(grpc_builder_, observability, options_.grpc);
  // gRPC would otherwise share a port that another process (or service) listens on, and the
  // calls would be split between them: a port in use must fail start() instead.
  grpc_builder_.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // cpp-httplib sets SO_REUSEPORT too, for the same surprise: SO_REUSEADDR only (a restart can
  // still bind while old connections linger in TIME_WAIT).
  http_server_->set_socket_options([](socket_t socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  grpc_builder_.AddListeningPort(
      grpc_address(options_.bind_address, options_.grpc_port),
      options_.grpc_credentials ? options_.grpc_credentials : grpc::InsecureServerCredentials(),
      &grpc_port_);
}

HybridService::~HybridService() { stop(); }

HybridService& HybridService::add_grpc_service(grpc::Service* service) {
  grpc_builder_.RegisterService(service);
  ++grpc_services_;
  return *this;
}

void HybridService::start() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (started_) throw std::runtime_error("HybridService: start() was already called");
    started_ = true;
  }
  const std::string http_address = options_.bind_address + ":" + std::to_string(options_.http_port);
  if (options_.http_port == 0) {
    http_port_ = http_server_->bind_to_any_port(options_.bind_address);
  } else if (http_server_->bind_to_port(options_.bind_address, options_.http_port)) {
    http_port_ = options_.http_port;
  }
  if (http_port_ <= 0) {
    http_port_ = 0;
    stop(std::chrono::milliseconds(0));
    throw std::runtime_error("HybridService: the HTTP server cannot listen on " + http_address);
  }
  grpc_server_ = grpc_builder_.BuildAndStart();
  if (grpc_server_ == nullptr || grpc_port_ <= 0) {
    grpc_server_.reset();
    stop(std::chrono::milliseconds(0));
    // gRPC says why on its log only; the usual reasons are these two.
    throw std::runtime_error("HybridService: the gRPC server cannot listen on " +
                             grpc_address(options_.bind_address, options_.grpc_port) +
                             (grpc_services_ == 0
                                  ? " (no gRPC service was added: a gRPC server needs one)"
                                  : " (is the port in use?)"));
  }
  http_thread_ = std::thread([this] { http_server_->listen_after_bind(); });
  // stop() does nothing to an httplib server that is not running yet: wait until it is, so
  // that a stop() right after start() is not lost.
  while (!http_server_->is_running() && http_server_->is_valid()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (auto* health = grpc_server_->GetHealthCheckService()) health->SetServingStatus(true);
}

void HybridService::stop(std::chrono::milliseconds grace) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (grpc_server_ != nullptr) {
    if (auto* health = grpc_server_->GetHealthCheckService()) health->SetServingStatus(false);
  }
  http_server_->stop();
  if (http_thread_.joinable()) http_thread_.join();
  if (grpc_server_ != nullptr) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() + grace);
    grpc_server_->Wait();
  }
  const std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  stopped_changed_.notify_all();
}

void HybridService::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_) return;
  stopped_changed_.wait(lock, [this] { return finished_; });
}

}  // namespace mmf
