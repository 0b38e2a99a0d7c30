// The test kit (CMake target mmf::testing): recorders of traces, metrics and logs, so that a
// service's own GoogleTest tests can check what its instrumentation produced. The matchers that
// read the recordings are in mmf/testing_matchers.h.
//
//   mmf::test::TraceRecorder traces;                    // always-on sampling, in memory
//   {
//     mmf::Span checkout = traces.tracer().start_span("checkout");
//     auto scope = checkout.activate();
//     mmf::Span charge = traces.tracer().start_span("charge_card");
//   }
//   const mmf::test::RecordedSpan* checkout = traces.find("checkout");
//   EXPECT_THAT(traces.children_of(*checkout), ElementsAre(HasName("charge_card")));
//
//   auto before = mmf::test::MetricSnapshot::of(registry);
//   handle_payment();
//   auto after = mmf::test::MetricSnapshot::of(registry);
//   EXPECT_EQ(mmf::test::MetricSnapshot::delta(before, after, "payments_processed_total",
//                                              {{"status", "success"}, {"method", "card"}}), 1);
//
//   mmf::test::LogCapture logs;
//   logs.make_default();                                // MMF_LOG_* now write here
//   MMF_LOG_INFO("Payment processed");
//   EXPECT_THAT(logs.records(), Contains(HasMessage("Payment processed")));
//
// The namespace is mmf::test rather than mmf::testing: inside namespace mmf (where this
// project's tests live) or after `using namespace mmf;`, an mmf::testing would hide or clash
// with GoogleTest's ::testing.
//
// The recorders wait for their pipeline before they answer (Tracer::force_flush,
// LoggingPipeline::flush), so a test sees everything ended or logged before the call, and
// nothing sleeps. Waiting longer than 5 s throws std::runtime_error, which GoogleTest reports
// as a failure of the test.
//
// Thread-safety: the recorders' tracer, registry and pipeline may be used from any thread. Read
// the recordings from the test's thread while nothing else calls clear().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/log.h"
#include "mmf/log_record.h"
#include "mmf/metrics.h"
#include "mmf/resource.h"
#include "mmf/span_exporter.h"
#include "mmf/trace_context.h"
#include "mmf/tracer.h"

namespace mmf {
namespace detail {
struct MetricFamilyData;
}  // namespace detail

namespace test {

// An owned copy of a finished span (every SpanData field: IDs, parent_span_id, name, kind,
// status_code and status_message, attributes, events, links, times) and where it came from.
struct RecordedSpan : SpanData {
  std::string service_name;  // the tracer's resource's service.name
  std::string scope_name;    // TracerOptions::scope_name

  // No parent in this process or another (a span with a remote parent is not a root).
  bool is_root() const noexcept { return !parent_span_id.is_valid(); }
};

// Keeps every exported span, with its resource's service name. Unlike mmf::InMemorySpanExporter
// it can wait for spans ended on other threads, and find() hands out stable pointers.
class RecordingSpanExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                            const InstrumentationScope& scope,
                            std::chrono::steady_clock::time_point deadline) noexcept override;

  // A copy of the spans exported so far, in the order they were exported.
  std::vector<RecordedSpan> spans() const;
  std::size_t size() const;
  // The first exported span called name, or nullptr. Valid until clear() or destruction.
  const RecordedSpan* find(std::string_view name) const;
  void clear();
  // Waits until at least count spans were exported; false when timeout passed first.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable exported_;
  std::deque<RecordedSpan> spans_;  // a deque: find()'s pointers survive later exports
};

// A Tracer whose spans go to a RecordingSpanExporter.
class TraceRecorder {
 public:
  // Always-on sampling (every span is recorded, whatever its parent), a 10 ms schedule delay,
  // and service.name "test-service".
  static TracerOptions default_options();

  TraceRecorder() : TraceRecorder(default_options()) {}
  // options.exporter must be null: the recorder's exporter takes its place (throws
  // std::invalid_argument otherwise).
  explicit TraceRecorder(TracerOptions options);
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  Tracer& tracer() noexcept { return tracer_; }
  RecordingSpanExporter& exporter() noexcept { return *exporter_; }

  // The spans that ended before the call, in the order they were exported (for the spans of
  // one thread, the order they ended).
  std::vector<RecordedSpan> spans();
  // The first span called name in spans(), or nullptr; valid until clear() or destruction.
  const RecordedSpan* find(std::string_view name);
  // Every span called name, in the order of spans().
  std::vector<RecordedSpan> find_all(std::string_view name);
  // The spans whose parent is parent, in the order they started.
  std::vector<RecordedSpan> children_of(const SpanData& parent);
  // The spans of one trace, in the order they started.
  std::vector<RecordedSpan> trace(const TraceId& trace_id);
  // Forgets what was recorded (after a flush, so that no earlier span shows up later).
  void clear();

 private:
  void flush();

  std::shared_ptr<RecordingSpanExporter> exporter_;  // before tracer_, which exports into it
  Tracer tracer_;
};

// The value of every series of a MetricRegistry at one moment. Names are the instruments'
// names; a counter answers to its name with and without "_total". labels name every label of
// the instrument, in any order (the overflow series is {{"otel_metric_overflow", "true"}}).
class MetricSnapshot {
 public:
  static MetricSnapshot of(const MetricRegistry& registry);

  // A counter's, up-down counter's or gauge's value; nullopt when there is no such series.
  std::optional<double> value(std::string_view name, LabelValues labels = {}) const;
  // A histogram's number and sum of observations; nullopt when there is no such series.
  std::optional<std::uint64_t> count(std::string_view name, LabelValues labels = {}) const;
  std::optional<double> sum(std::string_view name, LabelValues labels = {}) const;

  // after's value minus before's, where a series missing from a snapshot counts as 0 (an
  // instrument has no series for a label combination until it is first recorded). Throws
  // std::invalid_argument when after has no such instrument, or the labels do not name its
  // labels: zero would hide the typo. delta is for counters, up-down counters and gauges;
  // count_delta and sum_delta for histograms.
  static double delta(const MetricSnapshot& before, const MetricSnapshot& after,
                      std::string_view name, LabelValues labels = {});
  static std::uint64_t count_delta(const MetricSnapshot& before, const MetricSnapshot& after,
                                   std::string_view name, LabelValues labels = {});
  static double sum_delta(const MetricSnapshot& before, const MetricSnapshot& after,
                          std::string_view name, LabelValues labels = {});

  // Every series, one per line ("name{label="value"} 3"), for failure messages.
  std::string to_string() const;

 private:
  using Families = std::vector<detail::MetricFamilyData>;
  explicit MetricSnapshot(std::shared_ptr<const Families> families)
      : families_(std::move(families)) {}
  std::shared_ptr<const Families> families_;  // shared: copies of a snapshot are cheap
};

// Keeps every record it is given.
class RecordingLogSink final : public LogSink {
 public:
  void write(std::span<const LogRecord> records, const Resource& resource) noexcept override;

  std::vector<LogRecord> records() const;  // in the order they were made
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<LogRecord> records_;
};

// A LoggingPipeline whose records go to a RecordingLogSink.
class LogCapture {
 public:
  // Every logger starts at level (default: everything is captured).
  explicit LogCapture(LogLevel level = LogLevel::kTrace);
  // The capture's sink is added to options.sinks (an empty list stays empty but for it).
  explicit LogCapture(LoggingOptions options);
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  LoggingPipeline& pipeline() noexcept { return pipeline_; }
  Logger& logger(std::string_view name = {}) { return pipeline_.logger(name); }
  // The MMF_LOG_* macros write here until another pipeline is made the default or this capture
  // is destroyed.
  void make_default() noexcept { pipeline_.make_default(); }

  // The records made before the call, in order.
  std::vector<LogRecord> records();
  void clear();

 private:
  std::shared_ptr<RecordingLogSink> sink_;  // before pipeline_, which writes into it
  LoggingPipeline pipeline_;
};

// Short readable forms for failure messages: "card", 42, 12.5, true, ["a", "b"].
std::string describe(const OwnedAttributeValue& value);
std::string describe(const std::vector<KeyValue>& attributes);  // {key=value, ...}
// A trace or span ID in hex, or "none" when invalid.
std::string describe(const TraceId& id);
std::string describe(const SpanId& id);

// How GoogleTest prints a RecordedSpan (found by argument-dependent lookup; an exact match, since
// GoogleTest's own catch-all PrintTo would beat a conversion to SpanData).
void PrintTo(const RecordedSpan& span, std::ostream* out);

}  // namespace test

// How GoogleTest prints spans and records: one line with the names, IDs, status and attributes.
void PrintTo(const SpanData& span, std::ostream* out);
void PrintTo(const LogRecord& record, std::ostream* out);
}  // namespace mmf
