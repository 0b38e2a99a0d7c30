// HybridService: an HTTP and a gRPC server in one process with one UnifiedObservability. A
// request crosses HTTP -> gRPC (-> back to the same process) with one trace and one correlation
// ID; both servers' metrics land in the one registry; the health service follows start/stop;
// failures to bind say which server.
#include "mmf/hybrid_service.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "mmf/context.h"
#include "mmf/test/echo.grpc.pb.h"
#include "mmf/testing.h"
#include "mmf/unified.h"

namespace mmf {
namespace {

using ::testing::HasSubstr;

// Opens only loopback ports and writes nothing.
ObservabilityConfig quiet() {
  ObservabilityConfig config{.service_name = "hybrid-test",
                             .environment = "production",
                             .traces_exporter = {"none"},
                             .prometheus_port = 0,
                             .metrics_bind_address = "127.0.0.1",
                             .logs_exporter = {"none"}};
  config.trace_sample_rate = 1.0;  // in code: the production preset's 0.05 does not apply
  return config;
}

// Says what the handler saw: its Context is current in the synchronous API.
class Echo final : public mmf::test::Echo::Service {
 public:
  grpc::Status Unary(grpc::ServerContext*, const mmf::test::EchoRequest* request,
                     mmf::test::EchoReply* reply) override {
    const Context& context = Context::current();
    reply->set_text(request->text());
    reply->set_correlation_id(std::string(context.correlation_id()));
    reply->set_trace_id(context.span_context().trace_id.to_hex());
    return grpc::Status::OK;
  }
};

// grpc.health.v1.Health/Check for the whole server (an empty request); the status number of
// the answer (1: SERVING, 2: NOT_SERVING), or -1 when the call failed.
int health_status(const std::string& target) {
  grpc::GenericStub stub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty_message(std::string{});  // a ByteBuffer without a slice is no message
  grpc::ByteBuffer request(&empty_message, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   const std::lock_guard<std::mutex> lock(mutex);
                   status = std::move(s);
                   finished = true;
                   done.notify_all();
                 });
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return finished; });
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  // HealthCheckResponse { ServingStatus status = 1; }: tag 0x08, then a one-byte varint.
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return bytes.empty() ? 0 : -1;  // an empty message is status 0, UNKNOWN
}

TEST(HybridService, OneRequestCrossesHttpAndGrpcWithOneTraceAndCorrelationId) {
  UnifiedObservability observability(quiet());
  observability.initialize();
  Echo echo;
  HybridService service(observability,
                        {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = 0});
  service.add_grpc_service(&echo);
  std::unique_ptr<mmf::test::Echo::Stub> stub;
  service.http().Get(
      "/echo/{text}", [&](const httplib::Request& request, httplib::Response& response) {
        mmf::test::EchoRequest call;
        call.set_text(route_parameter(request, "text"));
        mmf::test::EchoReply reply;
        grpc::ClientContext context;
        const grpc::Status status = stub->Unary(&context, call, &reply);
        response.set_content(status.ok() ? reply.trace_id() + " " + reply.correlation_id() + " " +
                                               Context::current().span_context().trace_id.to_hex() +
                                               " " + std::string(get_correlation_id())
                                         : "failed: " + status.error_message(),
                             "text/plain");
      });
  service.start();
  ASSERT_GT(service.http_port(), 0);
  ASSERT_GT(service.grpc_port(), 0);
  stub = mmf::test::Echo::NewStub(
      CorrelationInterceptor::create_channel("127.0.0.1:" + std::to_string(service.grpc_port()),
                                             grpc::InsecureChannelCredentials(), observability));

  httplib::Client client("127.0.0.1", service.http_port());
  const httplib::Result result = client.Get(
      "/echo/hello", {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                      {"X-Correlation-ID", "hybrid-corr-1"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  // The gRPC handler's trace and correlation ID, then the HTTP handler's.
  EXPECT_EQ(result->body,
            "4bf92f3577b34da6a3ce929d0e0e4736 hybrid-corr-1 4bf92f3577b34da6a3ce929d0e0e4736 "
            "hybrid-corr-1");
  EXPECT_EQ(result->get_header_value("X-Correlation-ID"), "hybrid-corr-1");

  // Both servers record into the one registry. The HTTP request is recorded once its response
  // is written, which the client may see first: wait for it.
  const auto http_requests = [&observability] {
    return test::MetricSnapshot::of(observability.metrics())
        .count("http_server_request_duration_seconds", {{"http_request_method", "GET"},
                                                        {"http_route", "/echo/{text}"},
                                                        {"http_response_status_code", "200"}})
        .value_or(0);
  };
  for (int i = 0; i < 500 && http_requests() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(http_requests(), 1U);
  const test::MetricSnapshot metrics = test::MetricSnapshot::of(observability.metrics());
  EXPECT_EQ(metrics.count("rpc_server_call_duration_seconds", {{"rpc_service", "mmf.test.Echo"},
                                                               {"rpc_method", "Unary"},
                                                               {"rpc_grpc_status_code", "0"}}),
            1U);
  EXPECT_EQ(metrics.count("rpc_client_call_duration_seconds", {{"rpc_service", "mmf.test.Echo"},
                                                               {"rpc_method", "Unary"},
                                                               {"rpc_grpc_status_code", "0"}}),
            1U);
  EXPECT_EQ(metrics.value("mmf_correlation_requests_total", {{"origin", "incoming"}}), 2.0);

  service.stop();
  service.wait();
  observability.shutdown();
}

TEST(HybridService, HealthServiceServesWhileRunningAndWaitReturnsAfterStop) {
  UnifiedObservability observability(quiet());
  observability.initialize();
  Echo echo;
  HybridService service(observability,
                        {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = 0});
  service.add_grpc_service(&echo);
  service.start();
  const std::string target = "127.0.0.1:" + std::to_string(service.grpc_port());
  EXPECT_EQ(health_status(target), 1);  // SERVING
  std::thread stopper([&service] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    service.stop(std::chrono::milliseconds(500));
  });
  service.wait();  // returns once stop() is done
  stopper.join();
  EXPECT_EQ(health_status(target), -1);  // nothing listens any more
  service.stop();                        // again: nothing happens
}

TEST(HybridService, APortInUseFailsStartNamingTheServer) {
  UnifiedObservability observability(quiet());
  observability.initialize();
  Echo echo;
  HybridService first(observability, {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = 0});
  first.add_grpc_service(&echo);
  first.start();
  HybridService second(
      observability, {.bind_address = "127.0.0.1", .http_port = first.http_port(), .grpc_port = 0});
  second.add_grpc_service(&echo);
  try {
    second.start();
    ADD_FAILURE() << "start() succeeded on a port in use";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("HTTP server cannot listen on 127.0.0.1:" +
                                        std::to_string(first.http_port())));
  }
  second.wait();  // stopped by the failure: returns at once
  EXPECT_THROW(second.start(), std::runtime_error);

  // gRPC would share a port in use (SO_REUSEPORT) and split the calls: HybridService refuses.
  HybridService third(
      observability, {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = first.grpc_port()});
  third.add_grpc_service(&echo);
  try {
    third.start();
    ADD_FAILURE() << "start() succeeded on a gRPC port in use";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("gRPC server cannot listen on 127.0.0.1:" +
                                        std::to_string(first.grpc_port())));
  }
  first.stop();
}

TEST(HybridService, AGrpcServerWithoutServicesIsRefusedWithAReason) {
  UnifiedObservability observability(quiet());
  observability.initialize();
  HybridService service(observability,
                        {.bind_address = "127.0.0.1", .http_port = 0, .grpc_port = 0});
  try {
    service.start();
    ADD_FAILURE() << "start() succeeded without a gRPC service";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("no gRPC service was added"));
  }
}

TEST(HybridService, NeedsAnInitializedObservability) {
  UnifiedObservability observability(quiet());
  EXPECT_THROW(HybridService service(observability), std::logic_error);
}

}  // namespace
}  // namespace mmf
