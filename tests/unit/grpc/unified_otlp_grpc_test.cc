// UnifiedObservability configured for OTLP over gRPC (otlp.protocol = grpc, as
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc sets it): its spans and logs reach a gRPC collector's
// TraceService and LogsService, with the configured headers as metadata.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mmf/log.h"
#include "mmf/unified.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "test_otlp_grpc_collector.h"

namespace mmf {
namespace {

using testing_support::OtlpGrpcRequest;
using testing_support::TestOtlpGrpcCollector;

constexpr std::string_view kTraceMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr std::string_view kLogsMethod = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

TEST(UnifiedObservabilityOverGrpc, SpansAndLogsReachTheCollector) {
  TestOtlpGrpcCollector collector;
  ObservabilityConfig config{.service_name = "grpc-exporting",
                             .environment = "production",
                             .otlp_endpoint = collector.url(),
                             .otlp_protocol = OtlpProtocol::kGrpc,
                             .otlp_headers = {{"api-key", "k-123"}},
                             .traces_exporter = {"otlp"},
                             .metrics_exporter = {"none"},
                             .logs_exporter = {"otlp"}};
  config.trace_sample_rate = 1.0;
  ASSERT_TRUE(config.validate().empty());
  UnifiedObservability observability(config);
  observability.initialize();
  {
    Span span = observability.start_span("checkout");
    auto scope = span.activate();
    observability.logger().log(LogLevel::kWarn, "card declined");
  }
  ASSERT_TRUE(observability.shutdown(std::chrono::seconds(10)));

  bool saw_span = false;
  bool saw_log = false;
  for (const OtlpGrpcRequest& request : collector.requests()) {
    EXPECT_EQ(request.metadata_value("api-key"), "k-123");
    if (request.method == kTraceMethod) {
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest spans;
      ASSERT_TRUE(spans.ParseFromString(request.body));
      for (const auto& resource : spans.resource_spans()) {
        for (const auto& scope : resource.scope_spans()) {
          for (const auto& span : scope.spans()) saw_span = saw_span || span.name() == "checkout";
        }
      }
    } else if (request.method == kLogsMethod) {
      opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest logs;
      ASSERT_TRUE(logs.ParseFromString(request.body));
      for (const auto& resource : logs.resource_logs()) {
        for (const auto& scope : resource.scope_logs()) {
          for (const auto& record : scope.log_records()) {
            saw_log = saw_log || (record.body().string_value() == "card declined" &&
                                  record.trace_id().size() == 16);
          }
        }
      }
    }
  }
  EXPECT_TRUE(saw_span);
  EXPECT_TRUE(saw_log);
}

TEST(UnifiedObservabilityOverGrpc, GrpcProtocolDefaultsToPort4317) {
  ObservabilityConfig config{.otlp_protocol = OtlpProtocol::kGrpc};
  EXPECT_EQ(config.otlp_exporter_options("traces").http.endpoint, "http://localhost:4317");
  config.otlp_endpoint = "http://collector:9999";
  EXPECT_EQ(config.otlp_exporter_options("traces").http.endpoint, "http://collector:9999");
}

}  // namespace
}  // namespace mmf
