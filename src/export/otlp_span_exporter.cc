#include <stdexcept>
#include <string>

#include "export/diagnostics.h"
#include "export/otlp_trace_encoder.h"
#include "export/partial_success.h"
#include "mmf/otlp_exporter.h"

namespace mmf {
namespace {

constexpr std::string_view kComponent = "OTLP trace exporter";

std::string_view content_type(OtlpProtocol protocol) noexcept {
  return protocol == OtlpProtocol::kHttpJson ? "application/json" : "application/x-protobuf";
}

}  // namespace

OtlpSpanExporter::OtlpSpanExporter(OtlpExporterOptions options)
    : protocol_(options.protocol), transport_(make_otlp_transport(options)) {}

OtlpSpanExporter::~OtlpSpanExporter() = default;

ExportResult OtlpSpanExporter::export_spans(
    std::span<const SpanView> spans, const Resource& resource, const InstrumentationScope& scope,
    std::chrono::steady_clock::time_point deadline) noexcept {
  if (spans.empty()) return ExportResult::kSuccess;
  try {
    if (protocol_ == OtlpProtocol::kHttpJson) {
      detail::encode_trace_request_json(spans, resource, scope, body_);
    } else {
      detail::encode_trace_request_proto(spans, resource, scope, body_);
    }
  } catch (...) {  // out of memory while encoding: this batch is lost, the next may fit
    body_.clear();
    body_.shrink_to_fit();
    failed_requests_.fetch_add(1, std::memory_order_relaxed);
    detail::report(kComponent, "out of memory while encoding a batch of " +
                                   std::to_string(spans.size()) + " spans");
    return ExportResult::kFailure;
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(body_.size(), std::memory_order_relaxed);
  const TransportResult result =
      transport_->send("/v1/traces", body_, content_type(protocol_), deadline);
  if (result.attempts > 1) {
    retries_.fetch_add(static_cast<std::uint64_t>(result.attempts - 1), std::memory_order_relaxed);
  }
  if (!result.ok()) {
    failed_requests_.fetch_add(1, std::memory_order_relaxed);
    if (result.status != TransportResult::Status::kCancelled) {
      detail::report(kComponent, std::to_string(spans.size()) + " spans lost: " + result.message);
    }
    return ExportResult::kFailure;
  }
  spans_sent_.fetch_add(spans.size(), std::memory_order_relaxed);
  const std::optional<detail::PartialSuccess> partial =
      protocol_ == OtlpProtocol::kHttpJson
          ? detail::parse_partial_success_json(result.response_body)
          : detail::parse_partial_success_proto(result.response_body);
  if (partial) {
    if (partial->rejected > 0) {
      spans_rejected_.fetch_add(static_cast<std::uint64_t>(partial->rejected),
                                std::memory_order_relaxed);
    }
    detail::report(
        kComponent,
        "the collector rejected " + std::to_string(partial->rejected) + " of " +
            std::to_string(spans.size()) + " spans" +
            (partial->error_message.empty() ? std::string() : ": " + partial->error_message));
  }
  return ExportResult::kSuccess;
}

void OtlpSpanExporter::shutdown() noexcept { transport_->cancel(); }

OtlpExporterStats OtlpSpanExporter::stats() const noexcept {
  return {.requests = requests_.load(std::memory_order_relaxed),
          .failed_requests = failed_requests_.load(std::memory_order_relaxed),
          .spans_sent = spans_sent_.load(std::memory_order_relaxed),
          .spans_rejected = spans_rejected_.load(std::memory_order_relaxed),
          .bytes_sent = bytes_sent_.load(std::memory_order_relaxed),
          .retries = retries_.load(std::memory_order_relaxed)};
}

OtlpExporterOptions otlp_exporter_options_from_env(const EnvLookup& env, ConfigErrors& errors,
                                                   OtlpExporterOptions defaults) {
  return otlp_exporter_options_from_env(env, "TRACES", errors, std::move(defaults));
}

OtlpExporterOptions otlp_exporter_options_from_env(const EnvLookup& env, std::string_view signal,
                                                   ConfigErrors& errors,
                                                   OtlpExporterOptions defaults) {
  OtlpExporterOptions options = std::move(defaults);
  options.http = otlp_http_options_from_env(env, signal, errors, std::move(options.http));
  const std::string per_signal = "OTEL_EXPORTER_OTLP_" + std::string(signal) + "_PROTOCOL";
  for (std::string_view name :
       {std::string_view("OTEL_EXPORTER_OTLP_PROTOCOL"), std::string_view(per_signal)}) {
    const std::optional<std::string> value = read_string(env, name);
    if (!value) continue;
    const std::optional<OtlpProtocol> protocol = parse_otlp_protocol(*value);
    if (!protocol) {
      errors.push_back({"environment variable " + std::string(name),
                        std::string("'") + value->substr(0, 64) +
                            "' is not a supported protocol (http/protobuf, http/json or grpc)"});
    } else if (*protocol == OtlpProtocol::kGrpc && !otlp_grpc_transport_available()) {
      errors.push_back({"environment variable " + std::string(name),
                        "'grpc' needs the OTLP/gRPC transport: link mmf::observability_grpc"});
    } else {
      options.protocol = *protocol;
    }
  }
  // OTLP/gRPC listens on its own port: the default endpoint follows the protocol unless an
  // ENDPOINT variable (or the caller's defaults) chose one.
  const bool endpoint_set =
      read_string(env, "OTEL_EXPORTER_OTLP_ENDPOINT").has_value() ||
      read_string(env, "OTEL_EXPORTER_OTLP_" + std::string(signal) + "_ENDPOINT").has_value();
  if (options.protocol == OtlpProtocol::kGrpc && !endpoint_set &&
      options.http.endpoint == kDefaultOtlpHttpEndpoint) {
    options.http.endpoint = std::string(kDefaultOtlpGrpcEndpoint);
    options.http.endpoint_is_full_url = false;
  }
  return options;
}

}  // namespace mmf
