// Proves the project's OTLP .proto files and its loopback gRPC collector against the official
// OpenTelemetry JS SDK's OTLP/gRPC exporter: otlp_js/export_span.js exports one known span to a
// TestOtlpGrpcCollector over plaintext gRPC, and the classes generated from our .proto files must
// read back exactly what the JS side sent (the same known request as otlp_js_peer_test.cc's
// protobuf leg: known_span.h), through the method that our OtlpGrpcTransport calls.
//
// Needs node and `npm ci` run in tests/integration/otlp_js. Without node_modules the test skips,
// unless MMF_REQUIRE_JS_PEER=1 (as in CI), which makes that a failure. MMF_OTLP_JS_DIR, from the
// environment or else from the compile definition, names the script's directory.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "child_process.h"
#include "known_span.h"
#include "test_otlp_grpc_collector.h"

namespace mmf {
namespace {

using testing_support::ExportTraceServiceRequest;
using testing_support::TestOtlpGrpcCollector;

TEST(JsGrpcPeerTest, GrpcExportDecodesToTheKnownSpanWithNoUnknownFields) {
#ifdef MMF_OTLP_JS_DIR
  const testing_support::JsPeer peer =
      testing_support::find_js_peer(MMF_OTLP_JS_DIR, {"export_span.js"});
#else
  const testing_support::JsPeer peer = testing_support::find_js_peer("", {"export_span.js"});
#endif
  if (!peer.problem.empty()) {
    if (peer.fatal) FAIL() << peer.problem;
    GTEST_SKIP() << peer.problem;
  }
  TestOtlpGrpcCollector collector;  // answers OK with an empty ExportTraceServiceResponse
  int exit_code = -1;
  std::string out;
  std::string err;
  try {
    testing_support::ChildProcess child(
        {peer.node, peer.dir + "/export_span.js", "grpc", collector.url()});
    exit_code = child.finish(std::chrono::seconds(60));
    out = child.out();
    err = child.err();
  } catch (const std::runtime_error& error) {
    err = error.what();
  }
  EXPECT_EQ(exit_code, 0) << err;
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "");

  const std::vector<testing_support::OtlpGrpcRequest> requests = collector.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  EXPECT_FALSE(requests[0].compressed);
  ExportTraceServiceRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(requests[0].body)) << "not a valid ExportTraceServiceRequest";
  testing_support::expect_known_request(decoded);
}

}  // namespace
}  // namespace mmf
