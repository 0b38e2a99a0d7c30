// The call metrics of both sides (durations by status, messages per streaming call), the origin
// count of incoming correlation IDs, and the excluded methods, which get nothing at all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "echo_fixture.h"
#include "integrations/grpc/grpc_support.h"
#include "mmf/metrics.h"

namespace mmf::grpc_test {
namespace {

using test::MetricSnapshot;

// Observations of a call-labelled histogram between the snapshots.
std::uint64_t calls(const MetricSnapshot& before, const MetricSnapshot& after,
                    std::string_view name, std::string_view method, std::string_view code = "0") {
  return MetricSnapshot::count_delta(
      before, after, name,
      {{"rpc_service", "mmf.test.Echo"}, {"rpc_method", method}, {"rpc_grpc_status_code", code}});
}
double messages(const MetricSnapshot& before, const MetricSnapshot& after, std::string_view name,
                std::string_view method) {
  return MetricSnapshot::sum_delta(
      before, after, name,
      {{"rpc_service", "mmf.test.Echo"}, {"rpc_method", method}, {"rpc_grpc_status_code", "0"}});
}
double origins(const MetricSnapshot& before, const MetricSnapshot& after, std::string_view origin) {
  return MetricSnapshot::delta(before, after, "mmf_correlation_requests_total",
                               {{"origin", origin}});
}

grpc::Status call_unary(mmf::test::Echo::Stub& stub, int fail_code = 0) {
  grpc::ClientContext client;
  set_deadline(client);
  EchoRequest request;
  request.set_fail_code(fail_code);
  EchoReply reply;
  return stub.Unary(&client, request, &reply);
}

using GrpcMetricsTest = GrpcTest;

TEST_F(GrpcMetricsTest, CallDurationsAreCountedByStatusOnBothSides) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  const auto before = MetricSnapshot::of(registry_);
  ASSERT_TRUE(call_unary(*stub).ok());
  ASSERT_TRUE(call_unary(*stub).ok());
  ASSERT_EQ(call_unary(*stub, grpc::StatusCode::INTERNAL).error_code(), grpc::StatusCode::INTERNAL);
  wait_for_spans(6);  // every call has ended on both sides
  const auto after = MetricSnapshot::of(registry_);

  for (std::string_view side :
       {"rpc_server_call_duration_seconds", "rpc_client_call_duration_seconds"}) {
    EXPECT_EQ(calls(before, after, side, "Unary", "0"), 2u) << side;
    EXPECT_EQ(calls(before, after, side, "Unary", "13"), 1u) << side;
  }
  // Messages per call are for streams only.
  for (std::string_view name : {"rpc_server_requests_per_rpc", "rpc_server_responses_per_rpc",
                                "rpc_client_requests_per_rpc", "rpc_client_responses_per_rpc"}) {
    EXPECT_EQ(calls(before, after, name, "Unary"), 0u) << name;
  }
}

TEST_F(GrpcMetricsTest, StreamingCallsCountTheirMessagesOnBothSides) {
  SyncEcho service;
  auto server = start(service);
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  const auto before = MetricSnapshot::of(registry_);
  for (int call = 0; call < 2; ++call) {  // 2 calls of 1 request and 3 responses
    grpc::ClientContext client;
    set_deadline(client);
    EchoRequest request;
    request.set_replies(3);
    auto reader = stub->ServerStream(&client, request);
    EchoReply reply;
    while (reader->Read(&reply)) {
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  {  // 1 call of 4 requests and 1 response
    grpc::ClientContext client;
    set_deadline(client);
    EchoReply reply;
    auto writer = stub->ClientStream(&client, &reply);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->Write(EchoRequest()));
    ASSERT_TRUE(writer->WritesDone());
    ASSERT_TRUE(writer->Finish().ok());
  }
  wait_for_spans(6);
  const auto after = MetricSnapshot::of(registry_);

  EXPECT_EQ(calls(before, after, "rpc_server_requests_per_rpc", "ServerStream"), 2u);
  EXPECT_EQ(messages(before, after, "rpc_server_requests_per_rpc", "ServerStream"), 2);
  EXPECT_EQ(messages(before, after, "rpc_server_responses_per_rpc", "ServerStream"), 6);
  EXPECT_EQ(messages(before, after, "rpc_client_requests_per_rpc", "ServerStream"), 2);
  EXPECT_EQ(messages(before, after, "rpc_client_responses_per_rpc", "ServerStream"), 6);
  EXPECT_EQ(calls(before, after, "rpc_client_responses_per_rpc", "ServerStream"), 2u);

  EXPECT_EQ(messages(before, after, "rpc_server_requests_per_rpc", "ClientStream"), 4);
  EXPECT_EQ(messages(before, after, "rpc_server_responses_per_rpc", "ClientStream"), 1);
  EXPECT_EQ(messages(before, after, "rpc_client_requests_per_rpc", "ClientStream"), 4);
  EXPECT_EQ(messages(before, after, "rpc_client_responses_per_rpc", "ClientStream"), 1);
  EXPECT_EQ(calls(before, after, "rpc_server_call_duration_seconds", "ClientStream"), 1u);
}

// A call on a plain channel with x-correlation-id set to value (none when empty).
grpc::Status call_with_correlation_id(const std::shared_ptr<grpc::Channel>& channel,
                                      std::string_view value, std::string* answered = nullptr) {
  grpc::ClientContext client;
  set_deadline(client);
  if (!value.empty()) client.AddMetadata("x-correlation-id", std::string(value));
  EchoReply reply;
  const grpc::Status status = mmf::test::Echo::NewStub(channel)->Unary(&client, {}, &reply);
  if (answered != nullptr) {
    *answered = metadata_value(client.GetServerInitialMetadata(), "x-correlation-id").value_or("");
  }
  return status;
}

TEST_F(GrpcMetricsTest, CorrelationIdOriginsAreCountedIncomingGeneratedAndRejected) {
  SyncEcho service;
  auto server = start(service);
  const auto channel = plain_channel(*server);
  const auto before = MetricSnapshot::of(registry_);
  std::string answered;
  ASSERT_TRUE(call_with_correlation_id(channel, "corr-valid-1", &answered).ok());
  EXPECT_EQ(answered, "corr-valid-1");
  ASSERT_TRUE(call_with_correlation_id(channel, "").ok());
  ASSERT_TRUE(call_with_correlation_id(channel, "bad id with spaces").ok());
  wait_for_spans(3);
  const auto after = MetricSnapshot::of(registry_);
  EXPECT_EQ(origins(before, after, "incoming"), 1);
  EXPECT_EQ(origins(before, after, "generated"), 1);
  EXPECT_EQ(origins(before, after, "rejected"), 1);
}

TEST_F(GrpcMetricsTest, ExcludedMethodGetsNoSpanMetricsOrContext) {
  SyncEcho service;
  auto server = start(service, {.excluded_methods = {"/mmf.test.Echo/Unary"}});
  // Instrumented calls first, so that the excluded handler likely runs on a thread that ran
  // one: it must find nothing left over there.
  auto stub = mmf::test::Echo::NewStub(instrumented_channel(*server));
  for (int call = 0; call < 3; ++call) {
    grpc::ClientContext client;
    set_deadline(client);
    EchoRequest request;
    request.set_replies(1);
    auto reader = stub->ServerStream(&client, request);
    EchoReply reply;
    while (reader->Read(&reply)) {
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  wait_for_spans(6);
  const auto before = MetricSnapshot::of(registry_);
  const auto channel = plain_channel(*server);
  for (int call = 0; call < 3; ++call) {
    std::string answered;
    ASSERT_TRUE(call_with_correlation_id(channel, "corr-excluded", &answered).ok());
    EXPECT_EQ(answered, "") << "no correlation metadata on an excluded method";
    const HandlerView seen = service.views().last();
    EXPECT_TRUE(seen.current.empty()) << seen.current.correlation_id();
    EXPECT_TRUE(seen.call.empty());
  }
  // An instrumented call after them: once its span is exported, one of theirs would have been.
  {
    grpc::ClientContext client;
    set_deadline(client);
    EchoRequest request;
    auto reader = mmf::test::Echo::NewStub(channel)->ServerStream(&client, request);
    EchoReply reply;
    while (reader->Read(&reply)) {
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  const auto spans = wait_for_spans(7);
  const auto after = MetricSnapshot::of(registry_);
  for (const auto& span : spans) EXPECT_NE(span.name, "mmf.test.Echo/Unary");
  EXPECT_EQ(calls(before, after, "rpc_server_call_duration_seconds", "Unary"), 0u);
  EXPECT_EQ(origins(before, after, "incoming"), 0);
  EXPECT_EQ(origins(before, after, "generated"), 1);  // the stream only
  EXPECT_EQ(origins(before, after, "rejected"), 0);
}

// The series of each (method, code) are kept in a per-thread cache keyed by a process-unique
// id: call metrics made where destroyed ones lived (with another registry) must record into
// their own series, and two on one thread must keep theirs apart.
TEST(GrpcCallMetricsCache, EachCallMetricsRecordsIntoItsOwnRegistry) {
  const detail::RpcName name = detail::split_rpc_name("/mmf.test.Echo/Unary");
  ASSERT_TRUE(name.valid);
  for (int round = 0; round < 4; ++round) {
    auto registry = std::make_unique<MetricRegistry>();
    const auto before = MetricSnapshot::of(*registry);
    auto metrics = std::make_unique<detail::GrpcCallMetrics>(*registry, "server");
    for (int i = 0; i <= round; ++i) metrics->record(name, 0, 0.001, false, 1, 1);
    const auto after = MetricSnapshot::of(*registry);
    EXPECT_EQ(calls(before, after, "rpc_server_call_duration_seconds", "Unary"),
              static_cast<std::uint64_t>(round + 1));
  }
  MetricRegistry first_registry;
  MetricRegistry second_registry;
  const auto first_before = MetricSnapshot::of(first_registry);
  const auto second_before = MetricSnapshot::of(second_registry);
  const detail::GrpcCallMetrics first(first_registry, "client");
  const detail::GrpcCallMetrics second(second_registry, "client");
  for (int i = 0; i < 3; ++i) {
    first.record(name, 0, 0.001, false, 1, 1);
    second.record(name, 0, 0.001, false, 1, 1);
    second.record(name, 0, 0.001, false, 1, 1);
    second.record(name, 5, 0.001, false, 1, 1);
  }
  EXPECT_EQ(calls(first_before, MetricSnapshot::of(first_registry),
                  "rpc_client_call_duration_seconds", "Unary"),
            3u);
  EXPECT_EQ(calls(second_before, MetricSnapshot::of(second_registry),
                  "rpc_client_call_duration_seconds", "Unary"),
            6u);
  EXPECT_EQ(calls(second_before, MetricSnapshot::of(second_registry),
                  "rpc_client_call_duration_seconds", "Unary", "5"),
            3u);
}

// A method recorded as unary and as a stream (two methods of one name cannot be both, but the
// cache must not assume it) gets message counts for the stream calls only.
TEST(GrpcCallMetricsCache, UnaryAndStreamingRecordingsOfOneNameKeepTheirOwnSeries) {
  const detail::RpcName name = detail::split_rpc_name("/mmf.test.Echo/Unary");
  MetricRegistry registry;
  const auto before = MetricSnapshot::of(registry);
  const detail::GrpcCallMetrics metrics(registry, "server");
  metrics.record(name, 0, 0.001, false, 7, 7);
  metrics.record(name, 0, 0.001, true, 2, 3);
  metrics.record(name, 0, 0.001, false, 7, 7);
  const auto after = MetricSnapshot::of(registry);
  EXPECT_EQ(calls(before, after, "rpc_server_call_duration_seconds", "Unary"), 3u);
  EXPECT_EQ(calls(before, after, "rpc_server_requests_per_rpc", "Unary"), 1u);
  EXPECT_EQ(messages(before, after, "rpc_server_requests_per_rpc", "Unary"), 2);
  EXPECT_EQ(messages(before, after, "rpc_server_responses_per_rpc", "Unary"), 3);
}

TEST(GrpcMethodName, KeepsItsOwnCopyOfShortAndLongNames) {
  std::string name = "/mmf.test.Echo/Unary";
  const detail::MethodName copy(name.c_str());
  std::string long_name = "/" + std::string(300, 'p') + ".Service/Method";
  const detail::MethodName long_copy(long_name.c_str());
  name.assign(name.size(), 'x');  // gRPC's own copy may change or go first
  long_name.assign(long_name.size(), 'x');
  EXPECT_EQ(copy.view(), "/mmf.test.Echo/Unary");
  EXPECT_EQ(long_copy.view(), "/" + std::string(300, 'p') + ".Service/Method");
  EXPECT_EQ(detail::MethodName(nullptr).view(), "");
  EXPECT_EQ(detail::MethodName("").view(), "");
}

// Calls come and go through the same table entries (an ended call's entry is reused): each
// address finds the Context registered for it, a second registration replaces the first, and
// an unregistered address finds nothing.
TEST(GrpcCallContexts, EachCallFindsItsOwnContextAcrossReusedEntries) {
  std::vector<int> calls(64);
  const auto context_of = [](int call, int round) {
    return Context().with_correlation_id("call-" + std::to_string(call) + "-" +
                                         std::to_string(round));
  };
  for (int round = 0; round < 5; ++round) {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      detail::register_call_context(&calls[i], context_of(static_cast<int>(i), round));
    }
    detail::register_call_context(&calls[0], context_of(1000, round));  // registered again
    EXPECT_EQ(detail::find_call_context(&calls[0]).correlation_id(),
              context_of(1000, round).correlation_id());
    for (std::size_t i = 1; i < calls.size(); ++i) {
      EXPECT_EQ(detail::find_call_context(&calls[i]).correlation_id(),
                context_of(static_cast<int>(i), round).correlation_id());
    }
    for (std::size_t i = 0; i < calls.size(); i += 2) detail::unregister_call_context(&calls[i]);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const std::string found(detail::find_call_context(&calls[i]).correlation_id());
      EXPECT_EQ(found.empty(), i % 2 == 0) << i;
    }
    for (std::size_t i = 1; i < calls.size(); i += 2) detail::unregister_call_context(&calls[i]);
    detail::unregister_call_context(&calls[1]);  // twice: nothing happens
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_TRUE(detail::find_call_context(&calls[i]).correlation_id().empty());
  }
}

}  // namespace
}  // namespace mmf::grpc_test
