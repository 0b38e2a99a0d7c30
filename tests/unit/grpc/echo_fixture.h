// Shared by the gRPC interceptor tests: the Echo service (tests/grpc_proto/mmf/test/echo.proto)
// in the synchronous and the callback API, a server on 127.0.0.1:0 with the server interceptor,
// and channels to it with and without the client interceptor.
//
// Each handler records what it saw (the thread's current Context and the call's Context reached
// through its ServerContext) so that tests can compare them with the spans, and reports the same
// in its reply. How a request drives the handler:
//   fail_code  non-zero: the call ends with this status code;
//   delay_ms   Unary: sleeps this long first, without watching for cancellation (so the status
//              is sent after the client's deadline, as a slow handler would); ServerStream:
//              waits this long before each reply, stopping early when the client cancels;
//   replies    ServerStream: how many replies.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mmf/context.h"
#include "mmf/grpc_interceptor.h"
#include "mmf/metrics.h"
#include "mmf/propagation.h"
#include "mmf/test/echo.grpc.pb.h"
#include "mmf/testing.h"

namespace mmf::grpc_test {

using mmf::test::EchoReply;
using mmf::test::EchoRequest;

// Every call gets a deadline, so that a bug shows as a failed call rather than a hung test.
inline constexpr std::chrono::seconds kCallTimeout{10};
inline constexpr std::chrono::seconds kSpanTimeout{10};

inline void set_deadline(grpc::ClientContext& context,
                         std::chrono::milliseconds timeout = kCallTimeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

// The status of a callback-API call. One still running after the timeout is cancelled and
// then waited for (its callback refers to the caller's frame), and the test fails.
inline grpc::Status wait_for_callback_call(grpc::ClientContext& client,
                                           std::future<grpc::Status> finished) {
  if (finished.wait_for(kCallTimeout + std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "the call did not finish";
    client.TryCancel();
  }
  return finished.get();
}

// What one handler invocation saw.
struct HandlerView {
  Context current;  // Context::current() on the handler's thread
  Context call;     // grpc_call_context(server context)
};

// The views of every handler invocation of a service, from any server thread.
class HandlerViews {
 public:
  void add(HandlerView view) {
    const std::lock_guard<std::mutex> lock(mutex_);
    views_.push_back(std::move(view));
  }
  std::vector<HandlerView> all() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return views_;
  }
  // The latest view; an empty one when there is none (the test then fails on its fields).
  HandlerView last() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return views_.empty() ? HandlerView{} : views_.back();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<HandlerView> views_;
};

// The reply reports the Context the handler used.
inline void describe_context(const Context& context, const EchoRequest& request, EchoReply* reply) {
  reply->set_text(request.text());
  reply->set_correlation_id(context.correlation_id());
  reply->set_trace_id(context.span_context().trace_id.to_hex());
  reply->set_span_id(context.span_context().span_id.to_hex());
  reply->set_baggage(context.baggage().to_header());
}

inline grpc::Status status_for(const EchoRequest& request) {
  if (request.fail_code() == 0) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(request.fail_code()), "asked to fail");
}

// Waits in small steps; false when the client cancelled meanwhile.
inline bool wait_unless_cancelled(grpc::ServerContext* context, std::chrono::milliseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (context->IsCancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !context->IsCancelled();
}

// The synchronous API: the handler runs on the thread the interceptor made the Context current.
class SyncEcho final : public mmf::test::Echo::Service {
 public:
  // forward, when set, answers Unary calls instead (the two-hop test calls another server).
  using Forward = std::function<grpc::Status(const EchoRequest&, EchoReply*)>;
  explicit SyncEcho(Forward forward = {}) : forward_(std::move(forward)) {}

  HandlerViews& views() noexcept { return views_; }

  grpc::Status Unary(grpc::ServerContext* context, const EchoRequest* request,
                     EchoReply* reply) override {
    observe(*context, *request, reply);
    if (request->delay_ms() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(request->delay_ms()));
    }
    if (forward_) return forward_(*request, reply);
    return status_for(*request);
  }

  grpc::Status ServerStream(grpc::ServerContext* context, const EchoRequest* request,
                            grpc::ServerWriter<EchoReply>* writer) override {
    EchoReply reply;
    observe(*context, *request, &reply);
    for (int i = 0; i < request->replies(); ++i) {
      if (request->delay_ms() > 0 &&
          !wait_unless_cancelled(context, std::chrono::milliseconds(request->delay_ms()))) {
        break;
      }
      if (!writer->Write(reply)) break;
    }
    return status_for(*request);
  }

  grpc::Status ClientStream(grpc::ServerContext* context, grpc::ServerReader<EchoRequest>* reader,
                            EchoReply* reply) override {
    EchoRequest request;
    int received = 0;
    while (reader->Read(&request)) ++received;
    observe(*context, request, reply);
    reply->set_received(received);
    return status_for(request);
  }

  grpc::Status Bidi(grpc::ServerContext* context,
                    grpc::ServerReaderWriter<EchoReply, EchoRequest>* stream) override {
    EchoRequest request;
    EchoReply reply;
    int received = 0;
    while (stream->Read(&request)) {
      if (received == 0) observe(*context, request, &reply);
      reply.set_received(++received);
      if (!stream->Write(reply)) break;
    }
    return status_for(request);
  }

 private:
  void observe(const grpc::ServerContext& context, const EchoRequest& request, EchoReply* reply) {
    HandlerView view{.current = Context::current(), .call = grpc_call_context(context)};
    describe_context(view.current, request, reply);
    views_.add(std::move(view));
  }

  Forward forward_;
  HandlerViews views_;
};

// The callback API: handlers and reactors run on gRPC's threads, where nothing of ours is
// current; replies describe the call's Context reached through the CallbackServerContext.
class CallbackEcho final : public mmf::test::Echo::CallbackService {
 public:
  HandlerViews& views() noexcept { return views_; }

  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const EchoRequest* request,
                                  EchoReply* reply) override {
    observe(*context);
    describe_context(grpc_call_context(*context), *request, reply);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status_for(*request));
    return reactor;
  }

  grpc::ServerWriteReactor<EchoReply>* ServerStream(grpc::CallbackServerContext* context,
                                                    const EchoRequest* request) override {
    observe(*context);
    return new Writer(context, *request, views_);
  }

 private:
  // Writes request.replies() replies, each describing the call's Context as the reactor's
  // callback (on a gRPC thread) finds it at that moment.
  class Writer final : public grpc::ServerWriteReactor<EchoReply> {
   public:
    Writer(grpc::CallbackServerContext* context, EchoRequest request, HandlerViews& views)
        : context_(context), request_(std::move(request)), views_(views) {
      next();
    }
    void OnWriteDone(bool ok) override {
      if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      views_.add({.current = Context::current(), .call = grpc_call_context(*context_)});
      next();
    }
    void OnDone() override { delete this; }

   private:
    void next() {
      if (written_ == request_.replies()) return Finish(status_for(request_));
      ++written_;
      describe_context(grpc_call_context(*context_), request_, &reply_);
      StartWrite(&reply_);
    }

    grpc::CallbackServerContext* const context_;
    const EchoRequest request_;
    HandlerViews& views_;
    EchoReply reply_;
    int written_ = 0;
  };

  void observe(const grpc::CallbackServerContext& context) {
    views_.add({.current = Context::current(), .call = grpc_call_context(context)});
  }

  HandlerViews views_;
};

// A started server on 127.0.0.1 with the server interceptor; shut down with a deadline.
class EchoServer {
 public:
  // max_metadata_size: what the server accepts in one call's metadata (0: gRPC's default).
  EchoServer(grpc::Service& service, std::unique_ptr<CorrelationServerInterceptorFactory> factory,
             int max_metadata_size = 0) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service);
    if (max_metadata_size > 0) {
      builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, max_metadata_size);
    }
    CorrelationInterceptor::install(builder, std::move(factory));
    server_ = builder.BuildAndStart();
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  ~EchoServer() { shutdown(); }

  bool started() const noexcept { return server_ != nullptr && port_ > 0; }
  int port() const noexcept { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  // Calls still running after a second are cancelled rather than waited for.
  void shutdown() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
    server_.reset();
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A recorder and a registry shared by the servers and channels of one test.
class GrpcTest : public ::testing::Test {
 protected:
  std::unique_ptr<EchoServer> start(grpc::Service& service, GrpcServerOptions options = {},
                                    int max_metadata_size = 0) {
    auto server = std::make_unique<EchoServer>(
        service,
        std::make_unique<CorrelationServerInterceptorFactory>(traces_.tracer(), registry_,
                                                              Propagator(), std::move(options)),
        max_metadata_size);
    EXPECT_TRUE(server->started());
    return server;
  }

  std::shared_ptr<grpc::Channel> instrumented_channel(const EchoServer& server,
                                                      GrpcClientOptions options = {}) {
    return CorrelationInterceptor::create_channel(
        server.target(), grpc::InsecureChannelCredentials(),
        std::make_unique<CorrelationClientInterceptorFactory>(
            traces_.tracer(), registry_, Propagator(), server.target(), std::move(options)));
  }

  // A channel without the client interceptor: the test writes the metadata itself.
  static std::shared_ptr<grpc::Channel> plain_channel(const EchoServer& server) {
    return grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  }

  // The spans once at least count have ended (a server span may end after its client returned).
  std::vector<test::RecordedSpan> wait_for_spans(std::size_t count) {
    EXPECT_TRUE(traces_.exporter().wait_for(count, kSpanTimeout))
        << "expected " << count << " spans, got " << traces_.exporter().size();
    return traces_.spans();
  }

  // The spans called name of this kind.
  static std::vector<test::RecordedSpan> of_kind(const std::vector<test::RecordedSpan>& spans,
                                                 std::string_view name, SpanKind kind) {
    std::vector<test::RecordedSpan> found;
    for (const auto& span : spans) {
      if (span.name == name && span.kind == kind) found.push_back(span);
    }
    return found;
  }

  // The one span called name of this kind; a failure (and an empty span) when not exactly one.
  static test::RecordedSpan only(const std::vector<test::RecordedSpan>& spans,
                                 std::string_view name, SpanKind kind) {
    std::vector<test::RecordedSpan> found = of_kind(spans, name, kind);
    EXPECT_EQ(found.size(), 1u) << "spans called " << name << " of kind " << to_string(kind);
    return found.empty() ? test::RecordedSpan{} : found.front();
  }

  test::TraceRecorder traces_;
  MetricRegistry registry_;
};

// The first value of key in a response's (or request's) metadata.
inline std::optional<std::string> metadata_value(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata, std::string_view key) {
  const auto found = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (found == metadata.end()) return std::nullopt;
  return std::string(found->second.data(), found->second.size());
}

}  // namespace mmf::grpc_test
