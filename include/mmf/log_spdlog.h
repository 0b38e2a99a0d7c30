// spdlog -> mmf: an spdlog sink that hands each message to an mmf Logger, so that an existing
// spdlog logger's records get the trace and correlation context (and the mmf sinks: JSON lines,
// OTLP) with no change at its call sites. Header-only: include it where spdlog is available
// (Debian: libspdlog-dev, CMake target spdlog::spdlog).
//
//   auto app = spdlog::stdout_color_mt("app");             // the existing logger
//   mmf::route_spdlog_to(*app, logging.logger("app"));     // its sinks replaced by the bridge
//   app->info("order {} placed", id);                      // now a record with correlation_id...
//
// The context is read on the thread that calls the sink, which for spdlog's synchronous
// loggers is the thread that logs. spdlog's async loggers call sinks from their own thread
// pool, where the request's Context is not current: bridge a synchronous logger (mmf's pipeline
// does the asynchronous part itself).
//
// Levels: spdlog's trace, debug, info, warn, err, critical map to mmf's; both loggers' levels
// apply (spdlog's first). The message is spdlog's formatted payload; spdlog's source location
// (SPDLOG_LOGGER_INFO and friends) and time are kept.
//
// Thread-safety: the sink is thread-safe without spdlog's mutex (mmf's Logger is), so it uses
// spdlog's null_mutex.
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <memory>
#include <string_view>

#include "mmf/log.h"

namespace mmf {

inline LogLevel from_spdlog_level(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    case spdlog::level::err:
      return LogLevel::kError;
    case spdlog::level::critical:
      return LogLevel::kCritical;
    default:
      return LogLevel::kOff;
  }
}

class SpdlogBridgeSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  // target must outlive the sink (a pipeline's logger lives as long as the pipeline).
  explicit SpdlogBridgeSink(Logger& target) noexcept : target_(target) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    const auto since_epoch = message.time.time_since_epoch();
    target_.log_from(from_spdlog_level(message.level),
                     std::string_view(message.payload.data(), message.payload.size()), {},
                     std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count(),
                     message.source.filename, static_cast<std::uint32_t>(message.source.line),
                     message.source.funcname);
  }
  // Records are on their way to the pipeline's writer, which flushes on its own schedule;
  // spdlog's flush policy (flush_on) asks for it explicitly.
  void flush_() override { target_.pipeline().flush(std::chrono::seconds(2)); }

 private:
  Logger& target_;
};

// Replaces logger's sinks with a bridge to target (the level of logger is kept).
inline void route_spdlog_to(spdlog::logger& logger, Logger& target) {
  logger.sinks().clear();
  logger.sinks().push_back(std::make_shared<SpdlogBridgeSink>(target));
}

}  // namespace mmf
