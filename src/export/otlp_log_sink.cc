#include "mmf/otlp_log_sink.h"

#include <optional>
#include <string_view>
#include <utility>

#include "export/diagnostics.h"
#include "export/otlp_logs_encoder.h"
#include "export/partial_success.h"

namespace mmf {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kComponent = "OTLP log sink";
// The time one write() may take when options.http.timeout is 0 ("no limit but the deadline"):
// the sink runs on the logging pipeline's only thread, so some deadline must end a write.
constexpr std::chrono::milliseconds kDefaultTimeout{10000};

// Reports what make_message() says. Building the message allocates, and write() must not throw:
// a report that cannot be built is dropped (the counters in stats() still tell).
template <class MakeMessage>
void report(MakeMessage&& make_message) noexcept {
  try {
    detail::report(kComponent, make_message());
  } catch (...) {
  }
}

}  // namespace

OtlpLogSink::OtlpLogSink(OtlpExporterOptions options, std::string scope_name,
                         std::string scope_version)
    : protocol_(options.protocol),
      timeout_(options.http.timeout.count() > 0 ? options.http.timeout : kDefaultTimeout),
      transport_(make_otlp_transport(options)),
      scope_name_(std::move(scope_name)),
      scope_version_(std::move(scope_version)) {}

OtlpLogSink::~OtlpLogSink() = default;

void OtlpLogSink::write(std::span<const LogRecord> records, const Resource& resource) noexcept {
  if (records.empty()) return;
  const bool json = protocol_ == OtlpProtocol::kHttpJson;
  const InstrumentationScope scope{.name = scope_name_, .version = scope_version_};
  try {
    if (json) {
      detail::encode_logs_request_json(records, resource, scope, body_);
    } else {
      detail::encode_logs_request_proto(records, resource, scope, body_);
    }
  } catch (...) {  // out of memory while encoding: this batch is lost, the next may fit
    body_.clear();
    body_.shrink_to_fit();
    failed_requests_.fetch_add(1, std::memory_order_relaxed);
    report([&] {
      return "out of memory while encoding a batch of " + std::to_string(records.size()) +
             " log records";
    });
    return;
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(body_.size(), std::memory_order_relaxed);
  const TransportResult result =
      transport_->send("/v1/logs", body_, json ? "application/json" : "application/x-protobuf",
                       Clock::now() + timeout_);
  if (result.attempts > 1) {
    retries_.fetch_add(static_cast<std::uint64_t>(result.attempts - 1), std::memory_order_relaxed);
  }
  if (!result.ok()) {
    failed_requests_.fetch_add(1, std::memory_order_relaxed);
    if (result.status != TransportResult::Status::kCancelled) {
      report(
          [&] { return std::to_string(records.size()) + " log records lost: " + result.message; });
    }
    return;
  }
  records_sent_.fetch_add(records.size(), std::memory_order_relaxed);
  const std::optional<detail::PartialSuccess> partial =
      json ? detail::parse_partial_success_json(result.response_body)
           : detail::parse_partial_success_proto(result.response_body);
  if (partial) {
    if (partial->rejected > 0) {
      records_rejected_.fetch_add(static_cast<std::uint64_t>(partial->rejected),
                                  std::memory_order_relaxed);
    }
    report([&] {
      return "the collector rejected " + std::to_string(partial->rejected) + " of " +
             std::to_string(records.size()) + " log records" +
             (partial->error_message.empty() ? std::string() : ": " + partial->error_message);
    });
  }
}

void OtlpLogSink::shutdown() noexcept { transport_->cancel(); }

OtlpLogSinkStats OtlpLogSink::stats() const noexcept {
  return {.requests = requests_.load(std::memory_order_relaxed),
          .failed_requests = failed_requests_.load(std::memory_order_relaxed),
          .records_sent = records_sent_.load(std::memory_order_relaxed),
          .records_rejected = records_rejected_.load(std::memory_order_relaxed),
          .bytes_sent = bytes_sent_.load(std::memory_order_relaxed),
          .retries = retries_.load(std::memory_order_relaxed)};
}

}  // namespace mmf
