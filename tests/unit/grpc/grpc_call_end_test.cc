// How gRPC calls end in the spans: one span per side for a whole stream with its message events
// and totals, the status codes on both sides (with the server-side error rule of the semantic
// conventions), a passed deadline and a cancellation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "echo_fixture.h"
#include "mmf/testing_matchers.h"

namespace mmf::grpc_test {
namespace {

using test::HasAttribute;
using test::HasEvent;
using test::HasStatusError;
using test::RecordedSpan;
using ::testing::AllOf;
using ::testing::Not;

// The rpc.message.id values of the span's message events of one direction, in order.
std::vector<std::int64_t> message_ids(const RecordedSpan& span, std::string_view type) {
  std::vector<std::int64_t> ids;
  for (const auto& event : span.events) {
    if (event.name != "message") continue;
    bool of_type = false;
    std::int64_t id = -1;
    for (const KeyValue& attribute : event.attributes) {
      if (attribute.key == "rpc.message.type") {
        const auto* value = std::get_if<std::string>(&attribute.value);
        of_type = value != nullptr && *value == type;
      } else if (attribute.key == "rpc.message.id") {
        if (const auto* value = std::get_if<std::int64_t>(&attribute.value)) id = *value;
      }
    }
    if (of_type) ids.push_back(id);
  }
  return ids;
}

::testing::Matcher<const SpanData&> HasMessageTotals(std::int64_t sent, std::int64_t received) {
  return AllOf(HasAttribute("rpc.messages_sent", sent),
               HasAttribute("rpc.messages_received", received));
}

using GrpcCallEndTest = GrpcTest;

TEST_F(GrpcCallEndTest, ServerStreamIsOneSpanPerSideWithAnEventPerMessage) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  EchoRequest request;
  request.set_replies(3);
  auto reader = stub->ServerStream(&client, request);
  EchoReply reply;
  int read = 0;
  while (reader->Read(&reply)) ++read;
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(read, 3);

  const auto spans = wait_for_spans(2);
  const RecordedSpan server_span = only(spans, "mmf.test.Echo/ServerStream", SpanKind::kServer);
  const RecordedSpan client_span = only(spans, "mmf.test.Echo/ServerStream", SpanKind::kClient);
  EXPECT_THAT(server_span,
              AllOf(HasMessageTotals(3, 1), HasEvent("message", "rpc.message.type", "SENT")));
  EXPECT_THAT(client_span, HasMessageTotals(1, 3));
  EXPECT_EQ(message_ids(server_span, "SENT"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(message_ids(server_span, "RECEIVED"), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(message_ids(client_span, "SENT"), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(message_ids(client_span, "RECEIVED"), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(GrpcCallEndTest, ClientStreamCountsEveryRequest) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  EchoReply reply;
  auto writer = stub->ClientStream(&client, &reply);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->Write(EchoRequest()));
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(reply.received(), 4);

  const auto spans = wait_for_spans(2);
  const RecordedSpan server_span = only(spans, "mmf.test.Echo/ClientStream", SpanKind::kServer);
  const RecordedSpan client_span = only(spans, "mmf.test.Echo/ClientStream", SpanKind::kClient);
  EXPECT_THAT(server_span, HasMessageTotals(1, 4));
  EXPECT_THAT(client_span, HasMessageTotals(4, 1));
  EXPECT_EQ(message_ids(server_span, "RECEIVED"), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(message_ids(client_span, "SENT"), (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST_F(GrpcCallEndTest, BidiCountsBothDirections) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  auto stream = stub->Bidi(&client);
  EchoReply reply;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(stream->Write(EchoRequest()));
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.received(), i);
  }
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&reply));
  ASSERT_TRUE(stream->Finish().ok());

  const auto spans = wait_for_spans(2);
  const RecordedSpan server_span = only(spans, "mmf.test.Echo/Bidi", SpanKind::kServer);
  const RecordedSpan client_span = only(spans, "mmf.test.Echo/Bidi", SpanKind::kClient);
  EXPECT_THAT(server_span, HasMessageTotals(3, 3));
  EXPECT_THAT(client_span, HasMessageTotals(3, 3));
  EXPECT_EQ(message_ids(server_span, "SENT"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(message_ids(client_span, "RECEIVED"), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(GrpcCallEndTest, UnaryCallsHaveNoMessageEventsOrTotals) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  EchoReply reply;
  ASSERT_TRUE(stub->Unary(&client, EchoRequest(), &reply).ok());
  for (const RecordedSpan& span : wait_for_spans(2)) {
    EXPECT_THAT(span, AllOf(Not(HasEvent("message")), Not(HasAttribute("rpc.messages_sent"))));
  }
}

// Calls Unary with fail_code; returns the status the client got.
grpc::Status call_failing(mmf::test::Echo::Stub& stub, grpc::StatusCode code) {
  grpc::ClientContext client;
  set_deadline(client);
  EchoRequest request;
  request.set_fail_code(static_cast<int>(code));
  EchoReply reply;
  return stub.Unary(&client, request, &reply);
}

TEST_F(GrpcCallEndTest, InternalIsAnErrorOnBothSides) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  EXPECT_EQ(call_failing(*stub, grpc::StatusCode::INTERNAL).error_code(),
            grpc::StatusCode::INTERNAL);

  const auto spans = wait_for_spans(2);
  const auto failed = AllOf(HasStatusError(), HasAttribute("error.type", "INTERNAL"),
                            HasAttribute("rpc.grpc.status_code", std::int64_t{13}));
  EXPECT_THAT(only(spans, "mmf.test.Echo/Unary", SpanKind::kServer), failed);
  EXPECT_THAT(only(spans, "mmf.test.Echo/Unary", SpanKind::kClient), failed);
}

// The semantic conventions: NOT_FOUND is the client's problem, not the server's.
TEST_F(GrpcCallEndTest, NotFoundIsAnErrorOnTheClientSideOnly) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  EXPECT_EQ(call_failing(*stub, grpc::StatusCode::NOT_FOUND).error_code(),
            grpc::StatusCode::NOT_FOUND);

  const auto spans = wait_for_spans(2);
  const RecordedSpan server_span = only(spans, "mmf.test.Echo/Unary", SpanKind::kServer);
  EXPECT_THAT(server_span, AllOf(Not(HasStatusError()), Not(HasAttribute("error.type")),
                                 HasAttribute("rpc.grpc.status_code", std::int64_t{5})));
  EXPECT_THAT(only(spans, "mmf.test.Echo/Unary", SpanKind::kClient),
              AllOf(HasStatusError(), HasAttribute("error.type", "NOT_FOUND"),
                    HasAttribute("rpc.grpc.status_code", std::int64_t{5})));
}

TEST_F(GrpcCallEndTest, PassedDeadlineEndsTheServerSpanAsDeadlineExceeded) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client, std::chrono::milliseconds(100));
  EchoRequest request;
  request.set_delay_ms(500);
  EchoReply reply;
  EXPECT_EQ(stub->Unary(&client, request, &reply).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);

  // The server span ends when the slow handler returns, after the client gave up.
  const auto spans = wait_for_spans(2);
  EXPECT_THAT(only(spans, "mmf.test.Echo/Unary", SpanKind::kServer),
              AllOf(HasAttribute("rpc.grpc.status_code", std::int64_t{4}), HasStatusError(),
                    HasAttribute("error.type", "DEADLINE_EXCEEDED")));
  EXPECT_THAT(only(spans, "mmf.test.Echo/Unary", SpanKind::kClient),
              AllOf(HasAttribute("rpc.grpc.status_code", std::int64_t{4}), HasStatusError()));
}

// The handler notices the cancellation at once here (it watches IsCancelled between replies).
TEST_F(GrpcCallEndTest, DeadlinePassingDuringAStreamEndsItAsDeadlineExceeded) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client, std::chrono::milliseconds(100));
  EchoRequest request;
  request.set_replies(100);
  request.set_delay_ms(20);
  auto reader = stub->ServerStream(&client, request);
  EchoReply reply;
  while (reader->Read(&reply)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  const auto spans = wait_for_spans(2);
  EXPECT_THAT(only(spans, "mmf.test.Echo/ServerStream", SpanKind::kServer),
              HasAttribute("rpc.grpc.status_code", std::int64_t{4}));
}

TEST_F(GrpcCallEndTest, ClientCancellationEndsTheServerSpanAsCancelled) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  grpc::ClientContext client;
  set_deadline(client);
  EchoRequest request;
  request.set_replies(100);
  request.set_delay_ms(20);
  auto reader = stub->ServerStream(&client, request);
  EchoReply reply;
  ASSERT_TRUE(reader->Read(&reply));
  client.TryCancel();
  while (reader->Read(&reply)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  const auto spans = wait_for_spans(2);
  EXPECT_THAT(only(spans, "mmf.test.Echo/ServerStream", SpanKind::kServer),
              AllOf(HasAttribute("rpc.grpc.status_code", std::int64_t{1}),
                    Not(HasStatusError())));  // CANCELLED is not a server error
  EXPECT_THAT(only(spans, "mmf.test.Echo/ServerStream", SpanKind::kClient),
              AllOf(HasAttribute("rpc.grpc.status_code", std::int64_t{1}), HasStatusError()));
  // Nothing else ends later (a second end of the same call would be a second span).
  server->shutdown();
  traces_.tracer().force_flush();
  EXPECT_EQ(of_kind(traces_.spans(), "mmf.test.Echo/ServerStream", SpanKind::kServer).size(), 1u);
}

}  // namespace
}  // namespace mmf::grpc_test
