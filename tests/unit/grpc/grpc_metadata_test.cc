// The server interceptor reads client metadata as untrusted input: malformed, oversized, binary
// and numerous entries sent raw (a plain channel, no client interceptor) never fail the call,
// and what is kept stays within the propagation limits. Also the health service that
// CorrelationInterceptor::install turns on, which is not instrumented.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "echo_fixture.h"
#include "mmf/baggage.h"
#include "mmf/testing_matchers.h"

namespace mmf::grpc_test {
namespace {

using test::IsRoot;
using test::MetricSnapshot;
using test::RecordedSpan;

// Lets these tests send more than gRPC's default 8 KiB of metadata, so that the interceptor's
// limits, not gRPC's, are what is exercised.
constexpr int kLargeMetadata = 64 * 1024;
constexpr std::string_view kRemoteTraceparent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

using Metadata = std::vector<std::pair<std::string, std::string>>;

class GrpcMetadataTest : public GrpcTest {
 protected:
  void SetUp() override {
    server_ = start(service_, {}, kLargeMetadata);
    stub_ = mmf::test::Echo::NewStub(plain_channel(*server_));
  }

  // One Unary call with this metadata; the server's span and the handler's view of it.
  struct Served {
    grpc::Status status;
    std::string answered_correlation_id;  // x-correlation-id of the response
    RecordedSpan span;
    HandlerView seen;
  };
  Served call(const Metadata& metadata) {
    traces_.clear();
    grpc::ClientContext client;
    set_deadline(client);
    for (const auto& [key, value] : metadata) client.AddMetadata(key, value);
    EchoReply reply;
    Served served;
    served.status = stub_->Unary(&client, EchoRequest(), &reply);
    served.answered_correlation_id =
        metadata_value(client.GetServerInitialMetadata(), "x-correlation-id").value_or("");
    served.span = only(wait_for_spans(1), "mmf.test.Echo/Unary", SpanKind::kServer);
    served.seen = service_.views().last();
    return served;
  }

  SyncEcho service_;
  std::unique_ptr<EchoServer> server_;
  std::unique_ptr<mmf::test::Echo::Stub> stub_;
};

std::string random_bytes(std::size_t size) {
  std::mt19937 random(42);  // fixed: a failure must reproduce
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
  return bytes;
}

TEST_F(GrpcMetadataTest, MalformedTraceparentStartsANewTrace) {
  const std::vector<std::string> malformed = {
      "garbage",
      "00-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace ID
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero span ID
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" + std::string(2000, 'x'),
  };
  for (const std::string& traceparent : malformed) {
    const Served served = call({{"traceparent", traceparent}, {"tracestate", "k=v"}});
    ASSERT_TRUE(served.status.ok()) << traceparent << ": " << served.status.error_message();
    EXPECT_THAT(served.span, IsRoot()) << traceparent;
    EXPECT_TRUE(served.span.trace_id.is_valid()) << traceparent;
    EXPECT_NE(served.span.trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736") << traceparent;
    EXPECT_EQ(served.seen.current.span_context().span_id, served.span.span_id);
  }
}

TEST_F(GrpcMetadataTest, ValidTraceparentIsTheServerSpansParent) {
  const Served served = call({{"traceparent", std::string(kRemoteTraceparent)}});
  ASSERT_TRUE(served.status.ok());
  EXPECT_EQ(served.span.trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(served.span.parent_span_id.to_hex(), "00f067aa0ba902b7");
}

// members tracestate members of 128 characters each ("v00=xxx...").
std::string long_tracestate(int members) {
  std::string tracestate;
  for (int i = 0; i < members; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "v%02d=", i);
    tracestate += (i > 0 ? "," : "") + std::string(key) + std::string(124, 'x');
  }
  return tracestate;
}

TEST_F(GrpcMetadataTest, OversizedTracestateIsTruncatedByWholeMembers) {
  const std::string tracestate = long_tracestate(32);  // the most members allowed: 4 KiB
  ASSERT_GT(tracestate.size(), 4096u);
  const Served served =
      call({{"traceparent", std::string(kRemoteTraceparent)}, {"tracestate", tracestate}});
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  EXPECT_EQ(served.span.parent_span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_LE(served.span.trace_state.size(), TraceState::kMaxHeaderSize);
  EXPECT_TRUE(served.span.trace_state.starts_with("v00=")) << served.span.trace_state;
}

TEST_F(GrpcMetadataTest, TracestateOverTheMemberLimitIsDroppedButTheParentKept) {
  const Served served =
      call({{"traceparent", std::string(kRemoteTraceparent)}, {"tracestate", long_tracestate(40)}});
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  EXPECT_EQ(served.span.parent_span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(served.span.trace_state, "");
}

TEST_F(GrpcMetadataTest, OversizedBaggageKeepsWithinTheBaggageLimits) {
  std::string baggage;  // 100 members of about 70 characters: 7 KiB
  for (int i = 0; i < 100; ++i) {
    baggage += (i > 0 ? "," : "") + ("key" + std::to_string(i)) + "=" + std::string(64, 'b');
  }
  ASSERT_GT(baggage.size(), 7000u);
  const Served served = call({{"baggage", baggage}});
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  const Baggage& kept = served.seen.current.baggage();
  EXPECT_LE(kept.size(), Baggage::kMaxEntries);
  EXPECT_LE(kept.to_header().size(), Baggage::kMaxHeaderSize);
}

TEST_F(GrpcMetadataTest, BinaryLookalikeKeysAreIgnored) {
  const Served served = call({{"traceparent-bin", random_bytes(55)},
                              {"x-correlation-id-bin", random_bytes(40)},
                              {"baggage-bin", random_bytes(300)}});
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  EXPECT_THAT(served.span, IsRoot());
  EXPECT_EQ(served.seen.current.correlation_origin(), CorrelationOrigin::kGenerated);
  EXPECT_TRUE(is_valid_id(served.answered_correlation_id)) << served.answered_correlation_id;
  EXPECT_TRUE(served.seen.current.baggage().get("mmf.correlation_id") == std::nullopt ||
              *served.seen.current.baggage().get("mmf.correlation_id") ==
                  served.seen.current.correlation_id());
}

TEST_F(GrpcMetadataTest, TwoHundredEntriesAreFine) {
  Metadata metadata;
  for (int i = 0; i < 200; ++i) metadata.emplace_back("x-filler-" + std::to_string(i), "value");
  metadata.emplace_back("x-correlation-id", "corr-among-many");
  const Served served = call(metadata);
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  EXPECT_EQ(served.seen.current.correlation_id(), "corr-among-many");
  EXPECT_EQ(served.answered_correlation_id, "corr-among-many");
}

TEST_F(GrpcMetadataTest, InvalidCorrelationIdIsReplacedAndCountedAsRejected) {
  const auto before = MetricSnapshot::of(registry_);
  const Served served = call({{"x-correlation-id", "bad id with spaces"}});
  const auto after = MetricSnapshot::of(registry_);
  ASSERT_TRUE(served.status.ok()) << served.status.error_message();
  EXPECT_EQ(served.seen.current.correlation_origin(), CorrelationOrigin::kRejected);
  EXPECT_NE(served.seen.current.correlation_id(), "bad id with spaces");
  EXPECT_TRUE(is_valid_id(served.seen.current.correlation_id()));
  EXPECT_EQ(served.answered_correlation_id, served.seen.current.correlation_id());
  EXPECT_EQ(MetricSnapshot::delta(before, after, "mmf_correlation_requests_total",
                                  {{"origin", "rejected"}}),
            1);
}

// grpc.health.v1.Health/Check through the generic stub: the request is an empty
// HealthCheckRequest (no bytes); the response's field 1 (varint) is the status, SERVING = 1.
TEST_F(GrpcMetadataTest, InstallTurnsOnTheUninstrumentedHealthService) {
  const auto before = MetricSnapshot::of(registry_);
  grpc::GenericStub generic(plain_channel(*server_));
  grpc::ClientContext client;
  set_deadline(client);
  grpc::Slice empty(std::string{});
  const grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&client, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                    &response, [&done](grpc::Status status) { done.set_value(status); });
  const grpc::Status status = wait_for_callback_call(client, done.get_future());
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING

  // A server span ends before its status is sent, and spans() flushes: a health span would
  // be there. An instrumented call follows as a control.
  for (const RecordedSpan& span : traces_.spans()) {
    EXPECT_EQ(span.name.find("Health"), std::string::npos) << span.name;
  }
  const Served served = call({});
  ASSERT_TRUE(served.status.ok());
  const auto after = MetricSnapshot::of(registry_);
  EXPECT_EQ(MetricSnapshot::delta(before, after, "mmf_correlation_requests_total",
                                  {{"origin", "generated"}}),
            1);  // the Echo call only
}

}  // namespace
}  // namespace mmf::grpc_test
