// RecordingLogSink and LogCapture (mmf/testing.h).
#include <stdexcept>
#include <utility>

#include "mmf/testing.h"

namespace mmf::test {
namespace {

LoggingOptions with_sink(LoggingOptions options, std::shared_ptr<LogSink> sink) {
  options.sinks.push_back(std::move(sink));
  return options;
}

}  // namespace

void RecordingLogSink::write(std::span<const LogRecord> records,
                             const Resource& /*resource*/) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    records_.insert(records_.end(), records.begin(), records.end());
  } catch (...) {  // out of memory: the records are lost, as a failing sink's would be
  }
}

std::vector<LogRecord> RecordingLogSink::records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return records_;
}

void RecordingLogSink::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  records_.clear();
}

LogCapture::LogCapture(LogLevel level) : LogCapture(LoggingOptions{.level = level}) {}

LogCapture::LogCapture(LoggingOptions options)
    : sink_(std::make_shared<RecordingLogSink>()),
      pipeline_(with_sink(std::move(options), sink_)) {}

std::vector<LogRecord> LogCapture::records() {
  if (!pipeline_.flush(std::chrono::seconds(5))) {
    throw std::runtime_error("LogCapture: the logging pipeline did not write its records in 5 s");
  }
  return sink_->records();
}

void LogCapture::clear() {
  pipeline_.flush(std::chrono::seconds(5));
  sink_->clear();
}

}  // namespace mmf::test
