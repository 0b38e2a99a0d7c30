// Proves the project's OTLP .proto files (tests/proto) against the official OpenTelemetry JS SDK:
// otlp_js/export_span.js exports one known span to a TestHttpServer, once as OTLP/HTTP protobuf
// and once as OTLP/HTTP JSON, and the classes generated from our .proto files must read back
// exactly what the JS side sent.
//
// The protobuf leg checks field numbers and wire types: a wrong number or type leaves the value in
// the unknown fields (checked everywhere, recursively) or in the wrong field (the exact comparison
// with the known request fails). The JSON leg checks field names, which never reach the protobuf
// wire: libprotobuf's JSON parser maps each key through our descriptors and rejects a key it does
// not know.
//
// Needs node and `npm ci` run in tests/integration/otlp_js. Without node_modules the tests skip,
// unless MMF_REQUIRE_JS_PEER=1 (as in CI), which makes that a failure. MMF_OTLP_JS_DIR, from the
// environment or else from the compile definition, names the script's directory.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "child_process.h"
#include "known_span.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test_http_server.h"

extern char** environ;

namespace mmf {
namespace {

using testing_support::bytes_from_hex;
using testing_support::expect_known_request;
using testing_support::ExportTraceServiceRequest;
using testing_support::kLinkSpanIdHex;
using testing_support::kLinkTraceIdHex;
using testing_support::known_request;
using testing_support::kParentSpanIdHex;
using testing_support::kSpanIdHex;
using testing_support::kTraceIdHex;
using testing_support::TestHttpServer;
using testing_support::unknown_fields;
namespace fs = std::filesystem;

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    unsigned chunk = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      chunk = chunk << 8 | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0U);
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out.push_back(j <= n ? kAlphabet[chunk >> (18 - 6 * j) & 0x3F] : '=');
    }
  }
  return out;
}

// --- Running export_span.js.

struct ProcessResult {
  int exit_code = -1;  // -1 when it did not exit normally (killed, timed out, never started)
  std::string out;
  std::string err;
};

// Runs argv (argv[0] an absolute path) with the inherited environment and captures its output;
// kills it when it outlives timeout.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  ProcessResult result;
  try {
    testing_support::ChildProcess child(argv);
    result.exit_code = child.finish(timeout);
    result.out = child.out();
    result.err = child.err();
  } catch (const std::runtime_error& error) {
    result.err = error.what();
  }
  return result;
}

class JsPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
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
    js_dir_ = peer.dir;
    node_ = peer.node;
  }

  // Runs the script with encoding against server_, answering 200 with an empty
  // ExportTraceServiceResponse in that encoding; returns the one request it sent.
  testing_support::RecordedRequest export_known_span(const std::string& encoding,
                                                     const std::string& content_type,
                                                     const std::string& empty_response) {
    server_.set_default_response(
        {.status = 200, .headers = {{"Content-Type", content_type}}, .body = empty_response});
    const ProcessResult run =
        run_process({node_, js_dir_ + "/export_span.js", encoding, server_.url() + "/v1/traces"},
                    std::chrono::seconds(60));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(run.err, "");
    const std::vector<testing_support::RecordedRequest> requests = server_.requests();
    EXPECT_EQ(requests.size(), 1U);
    if (requests.empty()) return {};
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].target, "/v1/traces");
    EXPECT_EQ(requests[0].header("content-type"), content_type);
    EXPECT_EQ(requests[0].header("content-encoding"), "");
    return requests[0];
  }

  std::string js_dir_;
  std::string node_;
  TestHttpServer server_;
};

TEST_F(JsPeerTest, ProtobufExportDecodesToTheKnownSpanWithNoUnknownFields) {
  // An empty ExportTraceServiceResponse serializes to no bytes at all.
  const auto request = export_known_span("protobuf", "application/x-protobuf", "");
  ExportTraceServiceRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(request.body)) << "not a valid ExportTraceServiceRequest";
  expect_known_request(decoded);
}

// OTLP/JSON differs from the canonical protobuf JSON mapping in that ids are hex, not base64.
// The raw document is checked for that, then the ids are rewritten to base64 so that
// libprotobuf's strict parser (unknown keys rejected) can read the rest with our descriptors.
TEST_F(JsPeerTest, JsonExportDecodesToTheKnownSpanWithEveryKeyKnown) {
  const auto request = export_known_span("json", "application/json", "{}");
  nlohmann::json document =
      nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(document.is_discarded()) << request.body;
  ASSERT_EQ(document["resourceSpans"].size(), 1U) << request.body;
  ASSERT_EQ(document["resourceSpans"][0]["scopeSpans"].size(), 1U) << request.body;
  ASSERT_EQ(document["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 1U) << request.body;
  nlohmann::json& span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  ASSERT_EQ(span["links"].size(), 1U) << request.body;
  nlohmann::json& link = span["links"][0];

  const std::vector<std::pair<nlohmann::json*, std::string_view>> ids = {
      {&span["traceId"], kTraceIdHex},
      {&span["spanId"], kSpanIdHex},
      {&span["parentSpanId"], kParentSpanIdHex},
      {&link["traceId"], kLinkTraceIdHex},
      {&link["spanId"], kLinkSpanIdHex}};
  for (const auto& [id, hex] : ids) {
    EXPECT_EQ(*id, std::string(hex));
    *id = base64(bytes_from_hex(hex));
  }
  // 64-bit times are decimal strings, so that JSON readers with doubles do not round them.
  EXPECT_EQ(span["startTimeUnixNano"], "1700000000000123456");
  EXPECT_EQ(span["endTimeUnixNano"], "1700000001250000001");
  EXPECT_EQ(span["events"][0]["timeUnixNano"], "1700000000500000789");

  ExportTraceServiceRequest decoded;
  const auto status = google::protobuf::util::JsonStringToMessage(document.dump(), &decoded);
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << request.body;
  expect_known_request(decoded);
}

// The guard the protobuf leg relies on: a field our .proto does not declare, however deep, is
// reported with its path instead of vanishing.
TEST(JsPeerUnknownFieldsTest, ReportsAnUndeclaredFieldDeepInTheRequest) {
  ExportTraceServiceRequest request = known_request();
  ASSERT_EQ(request.resource_spans_size(), 1);
  auto& span = *request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  // Field 17, wire type varint (17 << 3 = 0x88 0x01), value 1: not in trace.proto's Span.
  ASSERT_TRUE(span.ParseFromString(span.SerializeAsString() + "\x88\x01\x01"));
  ExportTraceServiceRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(request.SerializeAsString()));
  EXPECT_EQ(unknown_fields(decoded),
            std::vector<std::string>{"request.resource_spans[0].scope_spans[0].spans[0]"});
  EXPECT_EQ(unknown_fields(known_request()), std::vector<std::string>{});
}

}  // namespace
}  // namespace mmf
