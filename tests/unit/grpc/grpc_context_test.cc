// The Context a gRPC call carries from client to server: correlation fields, the trace (client
// span under the caller's span, server span under the client span), the span attributes, and
// where a handler finds the Context in the synchronous and the callback API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "echo_fixture.h"
#include "mmf/testing_matchers.h"

namespace mmf::grpc_test {
namespace {

using test::HasAttribute;
using test::HasKind;
using test::IsChildOf;
using test::RecordedSpan;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::Not;

constexpr std::string_view kUnary = "mmf.test.Echo/Unary";

using GrpcContextTest = GrpcTest;

TEST_F(GrpcContextTest, SyncHandlerRunsInTheCallersCorrelationAndTrace) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));

  grpc::ClientContext client;
  set_deadline(client);
  EchoReply reply;
  SpanContext parent;
  {
    CorrelationScope scope({.correlation_id = "corr-unary-1", .user_id = "user-7"});
    Span caller = traces_.tracer().start_span("caller");
    auto active = caller.activate();
    parent = caller.context();
    EchoRequest request;
    request.set_text("hi");
    const grpc::Status status = stub->Unary(&client, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  const HandlerView seen = service.views().last();
  EXPECT_EQ(seen.current.correlation_id(), "corr-unary-1");
  EXPECT_EQ(seen.current.user_id(), "user-7");
  EXPECT_EQ(seen.current.span_context().trace_id, parent.trace_id);
  EXPECT_EQ(reply.correlation_id(), "corr-unary-1");
  // grpc_call_context() hands out the Context the handler runs in.
  EXPECT_EQ(seen.call.span_context().span_id, seen.current.span_context().span_id);
  EXPECT_EQ(seen.call.correlation_id(), seen.current.correlation_id());
  EXPECT_EQ(seen.call.user_id(), "user-7");

  const auto spans = wait_for_spans(3);
  const RecordedSpan server_span = only(spans, kUnary, SpanKind::kServer);
  const RecordedSpan client_span = only(spans, kUnary, SpanKind::kClient);
  EXPECT_THAT(client_span, IsChildOf(parent));
  EXPECT_THAT(server_span, IsChildOf(client_span));
  EXPECT_EQ(server_span.span_id, seen.current.span_context().span_id);

  EXPECT_EQ(metadata_value(client.GetServerInitialMetadata(), "x-correlation-id"), "corr-unary-1");
  EXPECT_EQ(metadata_value(client.GetServerInitialMetadata(), "x-request-id"),
            seen.current.request_id());
  EXPECT_FALSE(seen.current.request_id().empty());
}

TEST_F(GrpcContextTest, SpansDescribeTheCallOnBothSides) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server, {.peer_service = "echo"}));
  grpc::ClientContext client;
  set_deadline(client);
  EchoReply reply;
  ASSERT_TRUE(stub->Unary(&client, EchoRequest(), &reply).ok());

  const auto spans = wait_for_spans(2);
  const auto common = AllOf(
      HasAttribute("rpc.system", "grpc"), HasAttribute("rpc.service", "mmf.test.Echo"),
      HasAttribute("rpc.method", "Unary"), HasAttribute("rpc.grpc.status_code", std::int64_t{0}),
      HasAttribute("server.address", "127.0.0.1"),
      HasAttribute("server.port", std::int64_t{server->port()}));
  EXPECT_THAT(only(spans, kUnary, SpanKind::kServer),
              AllOf(common, HasKind(SpanKind::kServer), HasAttribute("client.address", "127.0.0.1"),
                    HasAttribute("client.port"), Not(HasAttribute("error.type"))));
  EXPECT_THAT(only(spans, kUnary, SpanKind::kClient),
              AllOf(common, HasKind(SpanKind::kClient), HasAttribute("peer.service", "echo"),
                    Not(HasAttribute("error.type"))));
}

TEST_F(GrpcContextTest, PeerServiceDefaultsToTheTargetsHost) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  EchoReply reply;
  ASSERT_TRUE(stub->Unary(&client, EchoRequest(), &reply).ok());
  EXPECT_THAT(only(wait_for_spans(2), kUnary, SpanKind::kClient),
              HasAttribute("peer.service", "127.0.0.1"));
}

// The handler's thread keeps nothing of a call: a later call without any client Context gets a
// freshly generated correlation ID and a new trace.
TEST_F(GrpcContextTest, NextCallWithoutClientContextGetsFreshCorrelationAndTrace) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  TraceId first_trace;
  {
    CorrelationScope scope({.correlation_id = "corr-first"});
    Span caller = traces_.tracer().start_span("caller");
    auto active = caller.activate();
    first_trace = caller.context().trace_id;
    grpc::ClientContext client;
    set_deadline(client);
    EchoReply reply;
    ASSERT_TRUE(stub->Unary(&client, EchoRequest(), &reply).ok());
  }
  ASSERT_TRUE(Context::current().empty());
  for (int i = 0; i < 3; ++i) {  // a few calls, so that a reused server thread is likely
    grpc::ClientContext client;
    set_deadline(client);
    EchoReply reply;
    ASSERT_TRUE(stub->Unary(&client, EchoRequest(), &reply).ok());
    const HandlerView seen = service.views().last();
    EXPECT_NE(seen.current.correlation_id(), "corr-first");
    EXPECT_TRUE(is_valid_id(seen.current.correlation_id())) << seen.current.correlation_id();
    EXPECT_EQ(seen.current.correlation_origin(), CorrelationOrigin::kGenerated);
    EXPECT_NE(seen.current.span_context().trace_id, first_trace);
    EXPECT_EQ(metadata_value(client.GetServerInitialMetadata(), "x-correlation-id"),
              seen.current.correlation_id());
  }
}

TEST_F(GrpcContextTest, CallbackHandlerFindsContextThroughServerContextNotThreadCurrent) {
  CallbackEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  EchoReply reply;
  SpanContext parent;
  {
    CorrelationScope scope({.correlation_id = "corr-callback-1", .user_id = "user-cb"});
    Span caller = traces_.tracer().start_span("caller");
    auto active = caller.activate();
    parent = caller.context();
    // The callback client: the call (and its client span) is made here, in the scope, but
    // this thread then only waits, so no gRPC work (the handler) can run on it.
    const EchoRequest request;
    std::promise<grpc::Status> done;
    stub->async()->Unary(&client, &request, &reply,
                         [&done](grpc::Status status) { done.set_value(std::move(status)); });
    auto finished = done.get_future();
    ASSERT_EQ(finished.wait_for(kCallTimeout + std::chrono::seconds(5)), std::future_status::ready);
    ASSERT_TRUE(finished.get().ok());
  }

  const HandlerView seen = service.views().last();
  // Not current on gRPC's callback thread ...
  EXPECT_NE(seen.current.correlation_id(), "corr-callback-1");
  EXPECT_NE(seen.current.span_context().trace_id, parent.trace_id);
  // ... but reachable from the CallbackServerContext.
  EXPECT_EQ(seen.call.correlation_id(), "corr-callback-1");
  EXPECT_EQ(seen.call.user_id(), "user-cb");
  EXPECT_EQ(seen.call.span_context().trace_id, parent.trace_id);
  EXPECT_EQ(reply.correlation_id(), "corr-callback-1");
  EXPECT_EQ(reply.trace_id(), parent.trace_id.to_hex());

  const auto spans = wait_for_spans(3);
  const RecordedSpan server_span = only(spans, kUnary, SpanKind::kServer);
  EXPECT_THAT(server_span, IsChildOf(only(spans, kUnary, SpanKind::kClient)));
  EXPECT_EQ(seen.call.span_context().span_id, server_span.span_id);
  EXPECT_EQ(metadata_value(client.GetServerInitialMetadata(), "x-correlation-id"),
            "corr-callback-1");
}

TEST_F(GrpcContextTest, CallbackReactorFindsContextThroughServerContextInEveryCallback) {
  CallbackEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  SpanContext parent;
  std::vector<EchoReply> replies;
  {
    CorrelationScope scope({.correlation_id = "corr-reactor-1"});
    Span caller = traces_.tracer().start_span("caller");
    auto active = caller.activate();
    parent = caller.context();
    EchoRequest request;
    request.set_replies(3);
    auto reader = stub->ServerStream(&client, request);
    EchoReply reply;
    while (reader->Read(&reply)) replies.push_back(reply);
    ASSERT_TRUE(reader->Finish().ok());
  }
  ASSERT_EQ(replies.size(), 3u);
  for (const EchoReply& reply : replies) {
    EXPECT_EQ(reply.correlation_id(), "corr-reactor-1");
    EXPECT_EQ(reply.trace_id(), parent.trace_id.to_hex());
  }
  const std::vector<HandlerView> views = service.views().all();
  ASSERT_EQ(views.size(), 4u);  // the handler, then OnWriteDone after each of the 3 writes
  for (const HandlerView& seen : views) {
    EXPECT_EQ(seen.call.correlation_id(), "corr-reactor-1");
    EXPECT_EQ(seen.call.span_context().trace_id, parent.trace_id);
  }
}

// client -> A (sync handler) -> B, both hops instrumented: one trace, one correlation ID.
TEST_F(GrpcContextTest, TwoHopsShareOneTraceAndCorrelationId) {
  SyncEcho backend;
  auto server_b = start(backend);
  auto stub_b = mmf::test::Echo::NewStub(instrumented_channel(*server_b));
  SyncEcho frontend([&stub_b](const EchoRequest& request, EchoReply* reply) {
    grpc::ClientContext hop;
    set_deadline(hop);
    return stub_b->Unary(&hop, request, reply);  // in the Context the interceptor made current
  });
  auto server_a = start(frontend);
  auto stub_a = mmf::test::Echo::NewStub(instrumented_channel(*server_a));

  SpanContext parent;
  {
    CorrelationScope scope({.correlation_id = "corr-two-hops"});
    Span caller = traces_.tracer().start_span("caller");
    auto active = caller.activate();
    parent = caller.context();
    grpc::ClientContext client;
    set_deadline(client);
    EchoReply reply;
    ASSERT_TRUE(stub_a->Unary(&client, EchoRequest(), &reply).ok());
    EXPECT_EQ(reply.correlation_id(), "corr-two-hops");  // what B's handler saw
  }
  EXPECT_EQ(backend.views().last().current.correlation_id(), "corr-two-hops");
  EXPECT_EQ(backend.views().last().current.span_context().trace_id, parent.trace_id);

  const auto spans = wait_for_spans(5);
  const auto servers = of_kind(spans, kUnary, SpanKind::kServer);
  const auto clients = of_kind(spans, kUnary, SpanKind::kClient);
  ASSERT_EQ(servers.size(), 2u);
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_THAT(spans, Each(test::InSameTraceAs(*traces_.find("caller"))));
  // Which is which, by parentage: the first client span is the test's child.
  const bool first_is_outer = clients[0].parent_span_id == parent.span_id;
  const RecordedSpan& outer_client = first_is_outer ? clients[0] : clients[1];
  const RecordedSpan& inner_client = first_is_outer ? clients[1] : clients[0];
  const bool first_is_a = servers[0].parent_span_id == outer_client.span_id;
  const RecordedSpan& server_a_span = first_is_a ? servers[0] : servers[1];
  const RecordedSpan& server_b_span = first_is_a ? servers[1] : servers[0];
  EXPECT_THAT(outer_client, IsChildOf(parent));
  EXPECT_THAT(server_a_span, IsChildOf(outer_client));
  EXPECT_THAT(inner_client, IsChildOf(server_a_span));
  EXPECT_THAT(server_b_span, IsChildOf(inner_client));
  EXPECT_EQ(backend.views().last().current.span_context().span_id, server_b_span.span_id);
}

}  // namespace
}  // namespace mmf::grpc_test
