// A loopback OTLP collector on a real gRPC server, for tests of the OTLP/gRPC transport and of
// the JS SDK's gRPC exporter, so that no test mocks gRPC.
//
// What it promises: it serves every method (a generic service, so no generated code) on
// 127.0.0.1 at a port the kernel picks, from construction until stop() or destruction. It
// records every unary request it reads (method, metadata, message bytes as gRPC decompressed
// them, whether the client compressed it) and answers each with the next scripted reply, or
// with the default reply (OK, empty message) when the script is empty. A reply can carry any
// status with a message and binary details (grpc-status-details-bin), a response message (a
// partial-success answer), or hang until the client gives up or the collector stops.
//
// Usage:
//   mmf::testing_support::TestOtlpGrpcCollector collector;
//   collector.respond({.code = grpc::StatusCode::UNAVAILABLE});
//   ... send to collector.url() ...
//   ASSERT_TRUE(collector.wait_for_requests(2, std::chrono::seconds(5)));
//   EXPECT_EQ(collector.requests()[1].metadata_value("api-key"), "secret");
//
// Thread-safety: every member may be called from any thread; gRPC's threads serve the calls.
// stop() cancels hanging calls and waits for every call to end; the destructor calls it.
#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mmf::testing_support {

struct OtlpGrpcRequest {
  std::string method;  // "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
  std::multimap<std::string, std::string> metadata;  // as the server saw it, keys lower-case
  std::string body;                                  // the request message, decompressed
  bool compressed = false;                           // the client sent the message compressed
  std::string encoding;                              // its compression ("gzip"), "" for none

  // The first value of key, or "" when it was not sent.
  std::string metadata_value(std::string_view key) const;
};

struct OtlpGrpcReply {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message{};  // the status message
  std::string details{};  // grpc-status-details-bin: a serialized google.rpc.Status
  std::string body{};     // the response message, for OK
  bool hang = false;      // never answer; the call ends when the client or stop() cancels it
};

class TestOtlpGrpcCollector {
 public:
  // Throws std::runtime_error when the server cannot start.
  TestOtlpGrpcCollector();
  ~TestOtlpGrpcCollector();
  TestOtlpGrpcCollector(const TestOtlpGrpcCollector&) = delete;
  TestOtlpGrpcCollector& operator=(const TestOtlpGrpcCollector&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string url() const;

  // Queues the answer to one future request; answers are used in the order queued.
  void respond(OtlpGrpcReply reply);
  // The answer used while the queue is empty.
  void set_default_reply(OtlpGrpcReply reply);

  // Every request read so far, in arrival order.
  std::vector<OtlpGrpcRequest> requests() const;
  // Waits until at least count requests were read; false on timeout.
  bool wait_for_requests(std::size_t count, std::chrono::milliseconds timeout) const;

  // Idempotent. After it returns the server is shut down and no call is in progress.
  void stop();

 private:
  class Reactor;
  class Service;
  OtlpGrpcReply record(OtlpGrpcRequest request);  // records it and returns its answer

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<OtlpGrpcReply> script_;
  OtlpGrpcReply default_reply_;
  std::vector<OtlpGrpcRequest> requests_;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::once_flag stopped_;
};

// A serialized google.rpc.Status with code and message, whose details hold one
// google.rpc.RetryInfo with retry_delay delay (the answer of a collector that asks for a pause).
std::string status_details_with_retry_info(int code, std::string_view message,
                                           std::chrono::milliseconds delay);

}  // namespace mmf::testing_support
