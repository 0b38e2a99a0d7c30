// make_otlp_transport(): the one place that turns a protocol into a transport. The core library
// has no gRPC dependency, so the OTLP/gRPC transport reaches it through a factory that the
// mmf::observability_grpc component registers while the program starts.
#include <atomic>
#include <memory>
#include <stdexcept>

#include "mmf/otlp_exporter.h"

namespace mmf {
namespace {

std::atomic<detail::OtlpGrpcTransportFactory>& grpc_factory() noexcept {
  static std::atomic<detail::OtlpGrpcTransportFactory> factory{nullptr};
  return factory;
}

}  // namespace

std::optional<OtlpProtocol> parse_otlp_protocol(std::string_view name) noexcept {
  if (name == "http/protobuf") return OtlpProtocol::kHttpProtobuf;
  if (name == "http/json") return OtlpProtocol::kHttpJson;
  if (name == "grpc") return OtlpProtocol::kGrpc;
  return std::nullopt;
}

std::string_view otlp_protocol_name(OtlpProtocol protocol) noexcept {
  switch (protocol) {
    case OtlpProtocol::kHttpJson:
      return "http/json";
    case OtlpProtocol::kGrpc:
      return "grpc";
    case OtlpProtocol::kHttpProtobuf:
      break;
  }
  return "http/protobuf";
}

bool otlp_grpc_transport_available() noexcept {
  return grpc_factory().load(std::memory_order_acquire) != nullptr;
}

void detail::set_otlp_grpc_transport_factory(OtlpGrpcTransportFactory factory) noexcept {
  grpc_factory().store(factory, std::memory_order_release);
}

std::shared_ptr<OtlpTransport> make_otlp_transport(const OtlpExporterOptions& options) {
  if (options.transport) return options.transport;
  if (options.protocol != OtlpProtocol::kGrpc) {
    return std::make_shared<OtlpHttpTransport>(options.http);
  }
  const detail::OtlpGrpcTransportFactory factory = grpc_factory().load(std::memory_order_acquire);
  if (factory == nullptr) {
    throw std::invalid_argument(
        "OTLP protocol 'grpc' needs the OTLP/gRPC transport: link mmf::observability_grpc");
  }
  return factory(options.http);
}

}  // namespace mmf
