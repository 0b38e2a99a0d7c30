// OtlpLogSink: sends log records to an OpenTelemetry collector over OTLP/HTTP (/v1/logs), as
// protobuf (the default) or JSON, so that logs land beside the traces and metrics they belong to.
//
//   mmf::ConfigErrors errors;
//   auto options = mmf::otlp_exporter_options_from_env(mmf::process_environment(), "LOGS", errors);
//   auto sink = std::make_shared<mmf::OtlpLogSink>(std::move(options));
//
// Each write() is one ExportLogsServiceRequest, encoded into one reused buffer (no protobuf
// library, no intermediate objects; the mapping of a record is in src/export/otlp_logs_encoder.h)
// and sent with OtlpHttpTransport's retry rules, within options.http.timeout (10 s when that is
// 0, so that a hanging collector cannot stall the logging pipeline for good). A batch that
// cannot be delivered is lost, counted in stats() and reported on stderr (rate-limited); a
// collector's partial-success answer counts the records it rejected.
//
// Configuration: otlp_exporter_options_from_env(env, "LOGS", errors) reads the transport's
// variables for the LOGS signal (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, ..._HEADERS, ...) and the
// protocol (OTEL_EXPORTER_OTLP_LOGS_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL).
//
// Thread-safety: write() is called by one thread at a time (as LogSink promises) and blocks that
// thread, the logging pipeline's, for the exchange; stats() and shutdown() may be called from any
// thread, and shutdown() makes a write in progress return within about 100 ms.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mmf/log_record.h"
#include "mmf/otlp_exporter.h"
#include "mmf/otlp_transport.h"
#include "mmf/resource.h"

namespace mmf {

// The sink's own counts since it was made.
struct OtlpLogSinkStats {
  std::uint64_t requests = 0;          // export requests sent (a request's retries included)
  std::uint64_t failed_requests = 0;   // requests that failed in the end (their records lost)
  std::uint64_t records_sent = 0;      // records in requests the collector accepted
  std::uint64_t records_rejected = 0;  // of those, rejected by a partial-success answer
  std::uint64_t bytes_sent = 0;        // encoded request bodies (before compression)
  std::uint64_t retries = 0;           // attempts beyond the first
};

class OtlpLogSink final : public LogSink {
 public:
  // Throws std::invalid_argument when options.http is invalid and no transport is given (see
  // validate() in mmf/otlp_transport.h). scope_* name the instrumentation scope of the records.
  explicit OtlpLogSink(OtlpExporterOptions options = {},
                       std::string scope_name = "mmf-observability",
                       std::string scope_version = {});
  ~OtlpLogSink() override;
  OtlpLogSink(const OtlpLogSink&) = delete;
  OtlpLogSink& operator=(const OtlpLogSink&) = delete;

  void write(std::span<const LogRecord> records, const Resource& resource) noexcept override;
  // Nothing is buffered between writes: flush() has nothing to do.
  void flush() noexcept override {}
  // Cancels the transport: a send in progress, and every later one, ends at once.
  void shutdown() noexcept override;

  OtlpLogSinkStats stats() const noexcept;

 private:
  OtlpProtocol protocol_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<OtlpTransport> transport_;
  std::string scope_name_;
  std::string scope_version_;
  std::string body_;  // reused between batches: grows to the largest batch, then stays
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> failed_requests_{0};
  std::atomic<std::uint64_t> records_sent_{0};
  std::atomic<std::uint64_t> records_rejected_{0};
  std::atomic<std::uint64_t> bytes_sent_{0};
  std::atomic<std::uint64_t> retries_{0};
};

}  // namespace mmf
