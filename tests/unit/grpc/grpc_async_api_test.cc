// The asynchronous (CompletionQueue) API with GrpcServerOptions::async_api: the interceptor's
// hooks run on the thread that polls the queue, between other calls' work, so nothing is made
// current there; the handler reaches the call's Context through grpc_call_context().
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "echo_fixture.h"
#include "mmf/testing_matchers.h"

namespace mmf::grpc_test {
namespace {

using test::HasAttribute;
using test::IsChildOf;
using test::RecordedSpan;

constexpr std::string_view kUnary = "mmf.test.Echo/Unary";

// What the queue's thread saw for one call.
struct AsyncView {
  std::string current_correlation_id;  // Context::current() when the call arrived
  std::string call_correlation_id;     // grpc_call_context(server context)
  TraceId call_trace_id;
  SpanId call_span_id;
};

// Serves `calls` Unary calls one after another on one completion-queue thread.
class AsyncEchoServer {
 public:
  AsyncEchoServer(std::unique_ptr<CorrelationServerInterceptorFactory> factory, int calls)
      : calls_(calls) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    queue_ = builder.AddCompletionQueue();
    CorrelationInterceptor::install(builder, std::move(factory));
    server_ = builder.BuildAndStart();
    if (server_ != nullptr) thread_ = std::thread([this] { serve(); });
  }
  ~AsyncEchoServer() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
    if (queue_ != nullptr) queue_->Shutdown();
    if (thread_.joinable()) thread_.join();
    void* tag = nullptr;
    bool ok = false;
    while (queue_ != nullptr && queue_->Next(&tag, &ok)) {
    }
  }

  bool started() const { return server_ != nullptr && port_ > 0; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  // Valid once the server thread has ended (after the destructor's Shutdown, or all calls).
  std::vector<AsyncView> views() {
    if (thread_.joinable()) thread_.join();
    return views_;
  }

 private:
  void serve() {
    for (int i = 0; i < calls_; ++i) {
      grpc::ServerContext context;
      EchoRequest request;
      grpc::ServerAsyncResponseWriter<EchoReply> responder(&context);
      service_.RequestUnary(&context, &request, &responder, queue_.get(), queue_.get(), &context);
      void* tag = nullptr;
      bool ok = false;
      if (!queue_->Next(&tag, &ok) || !ok) return;
      const Context call = grpc_call_context(context);
      views_.push_back({.current_correlation_id = Context::current().correlation_id(),
                        .call_correlation_id = call.correlation_id(),
                        .call_trace_id = call.span_context().trace_id,
                        .call_span_id = call.span_context().span_id});
      EchoReply reply;
      reply.set_correlation_id(call.correlation_id());
      responder.Finish(reply, grpc::Status::OK, &responder);
      if (!queue_->Next(&tag, &ok)) return;
    }
  }

  mmf::test::Echo::AsyncService service_;
  int port_ = 0;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  std::thread thread_;
  int calls_;
  std::vector<AsyncView> views_;
};

class GrpcAsyncApiTest : public GrpcTest {};

TEST_F(GrpcAsyncApiTest, HandlerReachesTheCallsContextAndNothingIsLeftCurrent) {
  AsyncEchoServer server(
      std::make_unique<CorrelationServerInterceptorFactory>(
          traces_.tracer(), registry_, Propagator(), GrpcServerOptions{.async_api = true}),
      2);
  ASSERT_TRUE(server.started());
  auto stub = mmf::test::Echo::NewStub(CorrelationInterceptor::create_channel(
      server.target(), grpc::InsecureChannelCredentials(),
      std::make_unique<CorrelationClientInterceptorFactory>(traces_.tracer(), registry_,
                                                            Propagator(), server.target())));
  SpanContext parents[2];
  for (int i = 0; i < 2; ++i) {
    CorrelationScope scope({.correlation_id = "corr-async-" + std::to_string(i)});
    Span caller = traces_.tracer().start_span("caller");
    auto active = caller.activate();
    parents[i] = caller.context();
    grpc::ClientContext client;
    set_deadline(client);
    EchoReply reply;
    ASSERT_TRUE(stub->Unary(&client, EchoRequest(), &reply).ok());
    EXPECT_EQ(reply.correlation_id(), "corr-async-" + std::to_string(i));
    EXPECT_EQ(metadata_value(client.GetServerInitialMetadata(), "x-correlation-id"),
              "corr-async-" + std::to_string(i));
  }

  const std::vector<AsyncView> views = server.views();
  ASSERT_EQ(views.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    // The queue's thread never had a call's Context made current, not even the first one's
    // when the second arrived.
    EXPECT_EQ(views[i].current_correlation_id, "");
    EXPECT_EQ(views[i].call_correlation_id, "corr-async-" + std::to_string(i));
    EXPECT_EQ(views[i].call_trace_id, parents[i].trace_id);
  }
  const auto spans = wait_for_spans(6);  // per call: caller, client, server
  const auto servers = of_kind(spans, kUnary, SpanKind::kServer);
  ASSERT_EQ(servers.size(), 2u);
  for (const RecordedSpan& span : servers) {
    EXPECT_THAT(span, HasAttribute("rpc.grpc.status_code", std::int64_t{0}));
    EXPECT_TRUE(span.span_id == views[0].call_span_id || span.span_id == views[1].call_span_id);
  }
  EXPECT_THAT(servers[0], IsChildOf(of_kind(spans, kUnary, SpanKind::kClient)[0]));
}

}  // namespace
}  // namespace mmf::grpc_test
