// OTLP/gRPC transport: delivers payloads that the project's encoders have already produced in
// protobuf to an OpenTelemetry collector's gRPC Export methods, with the retry rules of the
// OTLP/gRPC specification. Part of the mmf::observability_grpc component; linking the component
// registers it with make_otlp_transport(), so OtlpExporterOptions{.protocol = OtlpProtocol::kGrpc}
// (or OTEL_EXPORTER_OTLP_PROTOCOL=grpc) is all a program needs to use it.
//
// What it promises: send() makes one logical export through a generic unary call (no generated
// code): "/v1/traces", "/v1/metrics" and "/v1/logs" become the Export method of TraceService,
// MetricsService and LogsService; the body goes out as it is. The endpoint is http://host[:port]
// (plaintext) or https://host[:port] (TLS, verified with certificate_file or the system roots,
// with a client certificate for mutual TLS); the port defaults to 4317 and any path is ignored,
// as the specification says. Headers become call metadata (names lower-cased), gzip compresses
// the message, timeout bounds each attempt.
//
// Retries: UNAVAILABLE, ABORTED, OUT_OF_RANGE, DATA_LOSS, CANCELLED (unless cancel() caused it)
// and an attempt's own DEADLINE_EXCEEDED are retried with exponential backoff and jitter;
// RESOURCE_EXHAUSTED is retried only when the collector's status details hold a
// google.rpc.RetryInfo, whose delay then replaces the backoff; every other code is permanent.
// No attempt or wait runs past the caller's deadline. TransportResult::http_status stays 0; the
// message names the gRPC code and the collector's message, never a header value.
//
// Thread-safety, cancel() and cost: as OtlpHttpTransport (mmf/otlp_transport.h). Sends are
// serialised on one channel that is kept for the transport's life; the body is copied once per
// send() into gRPC's buffer.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "mmf/otlp_transport.h"

namespace mmf {

class OtlpGrpcTransport final : public OtlpTransport {
 public:
  // Throws std::invalid_argument, listing every problem, when validate() reports any or when an
  // option cannot work over gRPC (a header that is not valid metadata, insecure_skip_verify, an
  // unreadable certificate file).
  explicit OtlpGrpcTransport(OtlpHttpOptions options);
  ~OtlpGrpcTransport() override;
  OtlpGrpcTransport(const OtlpGrpcTransport&) = delete;
  OtlpGrpcTransport& operator=(const OtlpGrpcTransport&) = delete;

  // content_type must be "application/x-protobuf": gRPC carries protobuf only.
  TransportResult send(std::string_view path, std::string_view body, std::string_view content_type,
                       std::chrono::steady_clock::time_point deadline) noexcept override;
  void cancel() noexcept override;

 private:
  struct State;  // the gRPC channel and stub, kept out of this header
  std::unique_ptr<State> state_;
};

}  // namespace mmf
