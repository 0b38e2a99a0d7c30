// Structured logging that carries the trace and correlation context.
//
//   MMF_LOG_INFO("Payment processed", {{"amount", 12.5}, {"result_id", id}});
//   MMF_LOG_DEBUG("cache miss");                          // a level check when debug is off
//
//   mmf::LoggingPipeline logging({.resource = resource, .level = mmf::LogLevel::kInfo});
//   logging.make_default();                              // the MMF_LOG_* macros use it
//   mmf::Logger& db = logging.logger("payment.db");
//   MMF_LOG(db, mmf::LogLevel::kWarn, "slow query", {{"ms", 812}});
//   logging.set_level("payment.db", mmf::LogLevel::kDebug);  // at run time
//
// Every record automatically carries the time, the level, the message, the caller's fields,
// the source location and, from the current Context, the trace and span IDs and flags, the
// correlation and request IDs, user and session IDs, operation, plugin and business fields.
// Sinks (mmf/log_sinks.h, mmf/otlp_log_sink.h) write them as JSON lines (the default, on
// stdout), console text, rotating files or OTLP.
//
// What the calling thread does: a level check (an atomic load); when enabled, it encodes the
// record into a compact buffer (the Context is kept by reference, not copied) and appends it
// to the pipeline's queue under a short lock. Formatting and I/O happen on the pipeline's
// background thread. The queue is bounded: when it is full a record is dropped and counted.
// Records of level warn and above have a queue of their own, so that a flood of info or debug
// records never costs an error record its place.
//
// Trace-aware debug logs: with LoggingOptions::trace_aware_debug, debug and trace records made
// inside a DebugLogScope (one per request; the HTTP and gRPC integrations open it) whose trace
// is not sampled are held in the scope, and written only if the request ends in an error (a
// record of level error or above inside the scope, or DebugLogScope::mark_error()); otherwise
// they are discarded (and counted). Records of sampled traces are written at once.
//
// Thread-safety: everything may be called from any thread. A Logger lives as long as its
// pipeline. Destroying a pipeline while other threads log through it is not allowed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/log_record.h"
#include "mmf/resource.h"

namespace mmf {

// Where a record was made. Not std::source_location: clang 14 with libstdc++ 12 has no
// <source_location>; the builtins below (GCC and clang both have them) give the same.
struct SourceLocation {
  const char* file = nullptr;
  std::uint32_t line = 0;
  const char* function = nullptr;
  static constexpr SourceLocation current(const char* file = __builtin_FILE(),
                                          int line = __builtin_LINE(),
                                          const char* function = __builtin_FUNCTION()) noexcept {
    return {file, static_cast<std::uint32_t>(line), function};
  }
};

// A field of one record: {"amount", 12.5}. Strings are copied when the record is made.
using LogField = Attribute;
using LogFields = std::initializer_list<LogField>;

class LoggingPipeline;

class Logger {
 public:
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool enabled(LogLevel level) const noexcept {
    return level >= level_.load(std::memory_order_relaxed) && level != LogLevel::kOff;
  }
  // Makes a record (when the level is enabled). Never throws and never blocks on I/O.
  void log(LogLevel level, std::string_view message, LogFields fields = {},
           SourceLocation where = SourceLocation::current()) noexcept {
    if (enabled(level)) write(level, message, fields, 0, where.file, where.line, where.function);
  }
  // For bridges from other logging libraries (mmf/log_spdlog.h): a record with its own time
  // (0: now) and source location (file and function: static storage, or null).
  void log_from(LogLevel level, std::string_view message, LogFields fields,
                std::int64_t time_unix_nano, const char* file, std::uint32_t line,
                const char* function) noexcept {
    if (enabled(level)) write(level, message, fields, time_unix_nano, file, line, function);
  }

  const std::string& name() const noexcept { return name_; }
  LogLevel level() const noexcept { return level_.load(std::memory_order_relaxed); }
  LoggingPipeline& pipeline() const noexcept { return pipeline_; }

 private:
  friend class LoggingPipeline;
  Logger(LoggingPipeline& pipeline, std::string name, LogLevel level)
      : pipeline_(pipeline), name_(std::move(name)), level_(level) {}
  void write(LogLevel level, std::string_view message, LogFields fields,
             std::int64_t time_unix_nano, const char* file, std::uint32_t line,
             const char* function) noexcept;

  LoggingPipeline& pipeline_;
  const std::string name_;
  std::atomic<LogLevel> level_;
  bool level_set_ = false;  // by set_level(name): default-level changes leave it alone
};

struct LoggingOptions {
  // Where records go; empty: JSON lines on stdout.
  std::vector<std::shared_ptr<LogSink>> sinks{};
  Resource resource{};                         // service, version, environment of every record
  LogLevel level = LogLevel::kInfo;            // of every logger without a level of its own
  std::size_t queue_bytes = 4 << 20;           // encoded records waiting, below warn (about 20,000)
  std::size_t priority_queue_bytes = 1 << 20;  // the same for warn and above
  // How long records may wait before the writer takes them, when nothing wakes it earlier (an
  // error record, a queue half full, flush()).
  std::chrono::milliseconds flush_interval{100};
  bool trace_aware_debug = false;
  // Held per DebugLogScope; records beyond it are discarded (and counted).
  std::size_t debug_scope_bytes = 64 << 10;
};

struct LoggingStats {
  std::uint64_t records = 0;             // made (enabled level), held debug records included
  std::uint64_t written = 0;             // handed to the sinks
  std::uint64_t dropped_queue_full = 0;  // below warn, queue full
  std::uint64_t dropped_priority_queue_full = 0;  // warn and above, their queue full
  std::uint64_t dropped_after_shutdown = 0;
  std::uint64_t debug_held = 0;       // debug/trace records held by a DebugLogScope
  std::uint64_t debug_released = 0;   // of those, written because the request failed
  std::uint64_t debug_discarded = 0;  // of those, discarded (request fine, or over the budget)
};

class LoggingPipeline {
 public:
  explicit LoggingPipeline(LoggingOptions options = {});
  ~LoggingPipeline();  // shutdown(5 s); stops being the default
  LoggingPipeline(const LoggingPipeline&) = delete;
  LoggingPipeline& operator=(const LoggingPipeline&) = delete;

  // The logger called name ("" is the default logger), made on first use.
  Logger& logger(std::string_view name = {});
  // Changes the level of one logger (made if new) at run time; it keeps it from then on.
  void set_level(std::string_view logger_name, LogLevel level);
  // Changes the level of every logger that has no level of its own.
  void set_default_level(LogLevel level);

  // The MMF_LOG_* macros and default_logger() use this pipeline from now on (until another one
  // is made the default, or this one is destroyed).
  void make_default() noexcept;

  // Writes everything logged before the call; true when done within timeout.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;
  // Flushes, then stops the writer thread and shuts the sinks down. Idempotent; records made
  // afterwards are dropped and counted.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;

  LoggingStats stats() const noexcept;

  struct State;  // the queue and the writer (src/log)

 private:
  friend class Logger;
  friend class DebugLogScope;
  std::unique_ptr<State> state_;
};

// The default logger: the default pipeline's (see make_default), or, when none was made the
// default, that of a process-wide pipeline writing JSON lines to stdout at level info (or
// MMF_LOG_LEVEL when set), made on first use and flushed at exit.
namespace detail {
inline std::atomic<Logger*> default_logger{nullptr};
Logger& fallback_logger() noexcept;
}  // namespace detail
inline Logger& default_logger() noexcept {
  Logger* logger = detail::default_logger.load(std::memory_order_acquire);
  return logger != nullptr ? *logger : detail::fallback_logger();
}

// One request's held debug records (see trace_aware_debug above). Open it where the request
// starts, on the thread that handles it; it ends with the request.
class DebugLogScope {
 public:
  explicit DebugLogScope(LoggingPipeline& pipeline) noexcept;
  DebugLogScope() noexcept;  // for the default pipeline
  ~DebugLogScope();
  DebugLogScope(const DebugLogScope&) = delete;
  DebugLogScope& operator=(const DebugLogScope&) = delete;

  // The request failed: the held records are written when the scope ends.
  void mark_error() noexcept { failed_ = true; }

 private:
  friend class Logger;
  LoggingPipeline::State* state_ = nullptr;
  DebugLogScope* previous_ = nullptr;
  std::string held_;  // encoded records
  std::size_t held_records_ = 0;
  bool failed_ = false;
};

}  // namespace mmf

// MMF_LOG(logger, level, message[, {fields...}]) and one macro per level for the default
// logger. The fields and the message are not evaluated when the level is off.
#define MMF_LOG(logger, level, message, ...)                          \
  do {                                                                \
    ::mmf::Logger& mmf_log_logger_ = (logger);                        \
    if (mmf_log_logger_.enabled(level)) {                             \
      mmf_log_logger_.log(level, message __VA_OPT__(, ) __VA_ARGS__); \
    }                                                                 \
  } while (false)
#define MMF_LOG_TRACE(message, ...) \
  MMF_LOG(::mmf::default_logger(), ::mmf::LogLevel::kTrace, message __VA_OPT__(, ) __VA_ARGS__)
#define MMF_LOG_DEBUG(message, ...) \
  MMF_LOG(::mmf::default_logger(), ::mmf::LogLevel::kDebug, message __VA_OPT__(, ) __VA_ARGS__)
#define MMF_LOG_INFO(message, ...) \
  MMF_LOG(::mmf::default_logger(), ::mmf::LogLevel::kInfo, message __VA_OPT__(, ) __VA_ARGS__)
#define MMF_LOG_WARN(message, ...) \
  MMF_LOG(::mmf::default_logger(), ::mmf::LogLevel::kWarn, message __VA_OPT__(, ) __VA_ARGS__)
#define MMF_LOG_ERROR(message, ...) \
  MMF_LOG(::mmf::default_logger(), ::mmf::LogLevel::kError, message __VA_OPT__(, ) __VA_ARGS__)
#define MMF_LOG_CRITICAL(message, ...) \
  MMF_LOG(::mmf::default_logger(), ::mmf::LogLevel::kCritical, message __VA_OPT__(, ) __VA_ARGS__)
