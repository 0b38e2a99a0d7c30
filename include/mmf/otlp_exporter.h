// OtlpSpanExporter: sends finished spans to an OpenTelemetry collector (Jaeger, Tempo, the
// OpenTelemetry Collector...) over OTLP/HTTP, as protobuf (the default) or JSON.
//
//   mmf::ConfigErrors errors;
//   auto options = mmf::otlp_exporter_options_from_env(mmf::process_environment(), errors);
//   mmf::Tracer tracer({.exporter = std::make_shared<mmf::OtlpSpanExporter>(options)});
//
// The spans are encoded straight from the pipeline's records into one reused buffer (no
// protobuf library, no intermediate objects) and sent with OtlpHttpTransport's retry rules.
// A collector's partial-success answer (some spans rejected) counts as success for the spans
// it kept: the rejected ones are counted in stats() and reported once on stderr (rate-limited).
//
// Configuration (otlp_exporter_options_from_env): the transport's variables
// (mmf/otlp_transport.h) for the TRACES signal, and OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or
// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf, http/json or grpc (with mmf::observability_grpc).
//
// Thread-safety: export_spans() is called by one pipeline thread at a time (as SpanExporter
// promises); stats() and shutdown() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mmf/environment.h"
#include "mmf/otlp_transport.h"
#include "mmf/span_exporter.h"

namespace mmf {

enum class OtlpProtocol : std::uint8_t {
  kHttpProtobuf,  // "http/protobuf": Content-Type application/x-protobuf
  kHttpJson,      // "http/json": Content-Type application/json
  kGrpc,          // "grpc": protobuf through the collector's gRPC Export methods
};

// "http/protobuf", "http/json" or "grpc"; nullopt for anything else.
std::optional<OtlpProtocol> parse_otlp_protocol(std::string_view name) noexcept;
// The name parse_otlp_protocol() reads.
std::string_view otlp_protocol_name(OtlpProtocol protocol) noexcept;

// The collector's default endpoint per protocol (OpenTelemetry's): port 4318 for OTLP/HTTP and
// 4317 for OTLP/gRPC.
inline constexpr std::string_view kDefaultOtlpHttpEndpoint = "http://localhost:4318";
inline constexpr std::string_view kDefaultOtlpGrpcEndpoint = "http://localhost:4317";

struct OtlpExporterOptions {
  OtlpHttpOptions http{};
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  // Sends through this transport instead of the one make_otlp_transport() makes: for tests.
  std::shared_ptr<OtlpTransport> transport = nullptr;
};

// The transport an exporter uses: options.transport when set; else an OtlpHttpTransport for the
// http/* protocols; for grpc, the OTLP/gRPC transport (options.http's endpoint, headers as
// metadata, timeout, gzip, TLS files), which the mmf::observability_grpc component provides:
// linking that component is all it takes. Throws std::invalid_argument when options.http is
// invalid, or when grpc is asked for in a program without the component.
std::shared_ptr<OtlpTransport> make_otlp_transport(const OtlpExporterOptions& options);

// Whether the OTLP/gRPC transport is linked into this program.
bool otlp_grpc_transport_available() noexcept;

namespace detail {
// Set once by the mmf::observability_grpc component while the program starts (a static
// initialiser in the component, which its CMake target makes the linker keep).
using OtlpGrpcTransportFactory = std::shared_ptr<OtlpTransport> (*)(const OtlpHttpOptions&);
void set_otlp_grpc_transport_factory(OtlpGrpcTransportFactory factory) noexcept;
}  // namespace detail

// The exporter's own counts since it was made.
struct OtlpExporterStats {
  std::uint64_t requests = 0;         // export requests sent (a request's retries included)
  std::uint64_t failed_requests = 0;  // requests that failed in the end
  std::uint64_t spans_sent = 0;       // spans in requests the collector accepted
  std::uint64_t spans_rejected = 0;   // of those, rejected by a partial-success answer
  std::uint64_t bytes_sent = 0;       // encoded request bodies (before compression)
  std::uint64_t retries = 0;          // attempts beyond the first
};

class OtlpSpanExporter final : public SpanExporter {
 public:
  // Throws std::invalid_argument when options.http is invalid (see validate()).
  explicit OtlpSpanExporter(OtlpExporterOptions options = {});
  ~OtlpSpanExporter() override;

  ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                            const InstrumentationScope& scope,
                            std::chrono::steady_clock::time_point deadline) noexcept override;
  void shutdown() noexcept override;

  OtlpExporterStats stats() const noexcept;

 private:
  OtlpProtocol protocol_;
  std::shared_ptr<OtlpTransport> transport_;
  std::string body_;  // reused between batches: grows to the largest batch, then stays
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> failed_requests_{0};
  std::atomic<std::uint64_t> spans_sent_{0};
  std::atomic<std::uint64_t> spans_rejected_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
  std::atomic<std::uint64_t> retries_{0};
};

// options with the OTEL_EXPORTER_OTLP_* variables for traces applied; bad values keep the
// default and add an error naming the variable.
OtlpExporterOptions otlp_exporter_options_from_env(const EnvLookup& env, ConfigErrors& errors,
                                                   OtlpExporterOptions defaults = {});
// The same for another signal ("METRICS" or "LOGS"): its per-signal variables
// (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, ...).
OtlpExporterOptions otlp_exporter_options_from_env(const EnvLookup& env, std::string_view signal,
                                                   ConfigErrors& errors,
                                                   OtlpExporterOptions defaults = {});

}  // namespace mmf
