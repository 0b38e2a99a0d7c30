// The logging pipeline: two byte queues (below warn, and warn and above) that logging threads
// append encoded records to, and one writer thread that swaps them out, decodes, orders and
// hands the records to the sinks.
//
// Why a swapped byte buffer per queue rather than a ring of records: appending is one short
// critical section (a size check and a memcpy), and the writer takes everything queued in O(1)
// by swapping the buffer with its own empty one, so logging threads never wait for formatting
// or I/O, and the writer never holds a lock while it works.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "log/record_codec.h"
#include "mmf/environment.h"
#include "mmf/log.h"
#include "mmf/log_sinks.h"
#include "trace/clock.h"

namespace mmf {

struct LoggingPipeline::State {
  struct Queue {
    std::mutex mutex;
    std::string bytes;
    std::size_t capacity = 0;
  };

  explicit State(LoggingOptions o) : options(std::move(o)) {
    normal.capacity = options.queue_bytes;
    priority.capacity = options.priority_queue_bytes;
    // Reserved up front: a queue that grew under its lock would make every logging thread wait
    // for the copy. (Pages are touched only as records arrive.)
    normal.bytes.reserve(normal.capacity);
    priority.bytes.reserve(priority.capacity);
    if (options.sinks.empty()) options.sinks.push_back(std::make_shared<StreamSink>());
  }

  LoggingOptions options;
  Queue normal;
  Queue priority;
  std::atomic<std::uint64_t> sequence{0};

  std::mutex loggers_mutex;
  std::map<std::string, std::unique_ptr<Logger>, std::less<>> loggers;
  LogLevel default_level = LogLevel::kInfo;

  std::mutex writer_mutex;
  std::condition_variable wake;  // the writer waits on it
  std::condition_variable done;  // flush() and shutdown() wait on it
  bool wake_requested = false;
  std::uint64_t flush_requested = 0;
  std::uint64_t flush_completed = 0;
  bool stopping = false;
  bool stopped = false;
  std::atomic<bool> closed{false};  // no more records accepted
  std::thread writer;

  std::atomic<std::uint64_t> records{0};
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> dropped_queue_full{0};
  std::atomic<std::uint64_t> dropped_priority_queue_full{0};
  std::atomic<std::uint64_t> dropped_after_shutdown{0};
  std::atomic<std::uint64_t> debug_held{0};
  std::atomic<std::uint64_t> debug_released{0};
  std::atomic<std::uint64_t> debug_discarded{0};

  // Appends encoded records (count of them) to the queue for level; false when it is full or the
  // pipeline is closed (the caller releases their Contexts).
  bool push(std::string_view encoded, std::size_t count, bool high) noexcept;
  void request_wake() noexcept;
  void run() noexcept;
  // Takes both queues and writes them out; false when there was nothing.
  bool drain(std::string& normal_taken, std::string& priority_taken,
             std::vector<std::pair<std::uint64_t, std::string_view>>& order,
             std::vector<LogRecord>& batch) noexcept;
};

namespace {

// The DebugLogScope open on this thread, if any.
thread_local DebugLogScope* tls_debug_scope = nullptr;
// Where this thread encodes a record before appending it to a queue (reused: no allocation once
// it has grown to the largest record).
thread_local std::string tls_scratch;

}  // namespace

bool LoggingPipeline::State::push(std::string_view encoded, std::size_t count, bool high) noexcept {
  Queue& queue = high ? priority : normal;
  bool wake_now = high;
  {
    std::lock_guard lock(queue.mutex);
    if (closed.load(std::memory_order_relaxed)) {
      dropped_after_shutdown.fetch_add(count, std::memory_order_relaxed);
      return false;
    }
    if (queue.bytes.size() + encoded.size() > queue.capacity) {
      (high ? dropped_priority_queue_full : dropped_queue_full)
          .fetch_add(count, std::memory_order_relaxed);
      wake_now = true;
      return false;
    }
    try {
      queue.bytes.append(encoded);
    } catch (...) {
      (high ? dropped_priority_queue_full : dropped_queue_full)
          .fetch_add(count, std::memory_order_relaxed);
      return false;
    }
    wake_now = wake_now || queue.bytes.size() > queue.capacity / 2;
  }
  if (wake_now) request_wake();
  return true;
}

void LoggingPipeline::State::request_wake() noexcept {
  {
    std::lock_guard lock(writer_mutex);
    wake_requested = true;
  }
  wake.notify_one();
}

bool LoggingPipeline::State::drain(std::string& normal_taken, std::string& priority_taken,
                                   std::vector<std::pair<std::uint64_t, std::string_view>>& order,
                                   std::vector<LogRecord>& batch) noexcept {
  normal_taken.clear();
  priority_taken.clear();
  {
    // Both at once: a thread's later record must not be taken from one queue while its earlier
    // record, in the other queue, is left for the next round.
    std::scoped_lock lock(normal.mutex, priority.mutex);
    normal_taken.swap(normal.bytes);
    priority_taken.swap(priority.bytes);
  }
  if (normal_taken.empty() && priority_taken.empty()) return false;
  // The two queues interleave: put the records back in the order they were made.
  order.clear();
  try {
    // Each queue holds a thread's records in the order the thread made them. When both queues
    // hold records, they are interleaved again by the numbers given when the records were made
    // (a sort, not a merge: within a queue, the numbers of different threads may cross).
    for (const std::string* taken : {&normal_taken, &priority_taken}) {
      detail::for_each_record(*taken,
                              [&](const detail::RecordHeader& header, std::string_view bytes) {
                                order.emplace_back(header.sequence, bytes);
                              });
    }
    if (!normal_taken.empty() && !priority_taken.empty()) {
      std::stable_sort(order.begin(), order.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
    }
    batch.resize(order.size());
  } catch (...) {  // out of memory: these records are lost, their Contexts go back
    detail::release_contexts(normal_taken);
    detail::release_contexts(priority_taken);
    dropped_queue_full.fetch_add(order.size(), std::memory_order_relaxed);
    return true;
  }
  std::size_t made = 0;
  for (const auto& [made_at, bytes] : order) {
    detail::RecordHeader header;
    std::memcpy(&header, bytes.data(), sizeof header);
    try {
      detail::decode_record(header, bytes, batch[made]);
      ++made;
    } catch (...) {
      dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
    }
  }
  const std::span<const LogRecord> decoded(batch.data(), made);
  for (const auto& sink : options.sinks) sink->write(decoded, options.resource);
  written.fetch_add(made, std::memory_order_relaxed);
  return true;
}

void LoggingPipeline::State::run() noexcept {
  // Swapped with the queues: as large as they are, so that neither side ever grows.
  std::string normal_taken;
  std::string priority_taken;
  normal_taken.reserve(normal.capacity);
  priority_taken.reserve(priority.capacity);
  std::vector<std::pair<std::uint64_t, std::string_view>> order;
  std::vector<LogRecord> batch;
  std::unique_lock lock(writer_mutex);
  for (;;) {
    wake.wait_for(lock, options.flush_interval,
                  [&] { return wake_requested || stopping || flush_requested > flush_completed; });
    wake_requested = false;
    const std::uint64_t flushing = flush_requested;
    const bool stop = stopping;
    lock.unlock();
    while (drain(normal_taken, priority_taken, order, batch)) {
    }
    if (flushing > flush_completed || stop) {
      for (const auto& sink : options.sinks) sink->flush();
    }
    lock.lock();
    if (flushing > flush_completed) {
      flush_completed = flushing;
      done.notify_all();
    }
    if (stop) break;
  }
  lock.unlock();
  for (const auto& sink : options.sinks) sink->shutdown();
  lock.lock();
  stopped = true;
  done.notify_all();
}

void Logger::write(LogLevel level, std::string_view message, LogFields fields,
                   std::int64_t time_unix_nano, const char* file, std::uint32_t line,
                   const char* function) noexcept {
  LoggingPipeline::State& state = *pipeline_.state_;
  state.records.fetch_add(1, std::memory_order_relaxed);
  const detail::ContextData* context = detail::tls_current;
  DebugLogScope* scope = tls_debug_scope;
  if (scope != nullptr && scope->state_ != &state) scope = nullptr;  // another pipeline's
  if (scope != nullptr && level >= LogLevel::kError) scope->failed_ = true;
  const bool hold = scope != nullptr && level <= LogLevel::kDebug &&
                    state.options.trace_aware_debug &&
                    !(context != nullptr && context->span_context.is_sampled());

  const detail::RecordHeader header{
      .level = level,
      .line = line,
      .sequence = state.sequence.fetch_add(1, std::memory_order_relaxed),
      .time_unix_nano = time_unix_nano != 0 ? time_unix_nano : detail::now_unix_nanos(),
      .logger = this,
      .context = context,
      .file = file,
      .function = function};
  try {
    if (hold) {
      const std::size_t before = scope->held_.size();
      detail::encode_record(scope->held_, header, message, fields);
      if (scope->held_.size() > state.options.debug_scope_bytes) {  // over the budget
        scope->held_.resize(before);
        state.debug_discarded.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      detail::retain(context);
      ++scope->held_records_;
      state.debug_held.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    tls_scratch.clear();
    detail::encode_record(tls_scratch, header, message, fields);
  } catch (...) {  // out of memory: this record is lost
    state.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  detail::retain(context);
  if (!state.push(tls_scratch, 1, level >= LogLevel::kWarn)) detail::release(context);
}

LoggingPipeline::LoggingPipeline(LoggingOptions options)
    : state_(std::make_unique<State>(std::move(options))) {
  state_->default_level = state_->options.level;
  State* state = state_.get();
  state_->writer = std::thread([state] { state->run(); });
}

LoggingPipeline::~LoggingPipeline() {
  // Stop being the default before going away.
  Logger* mine = nullptr;
  {
    std::lock_guard lock(state_->loggers_mutex);
    auto it = state_->loggers.find(std::string_view());
    if (it != state_->loggers.end()) mine = it->second.get();
  }
  if (mine != nullptr) detail::default_logger.compare_exchange_strong(mine, nullptr);
  shutdown(std::chrono::seconds(5));
}

Logger& LoggingPipeline::logger(std::string_view name) {
  std::lock_guard lock(state_->loggers_mutex);
  auto it = state_->loggers.find(name);
  if (it == state_->loggers.end()) {
    it = state_->loggers
             .emplace(std::string(name), std::unique_ptr<Logger>(new Logger(
                                             *this, std::string(name), state_->default_level)))
             .first;
  }
  return *it->second;
}

void LoggingPipeline::set_level(std::string_view logger_name, LogLevel level) {
  Logger& target = logger(logger_name);
  std::lock_guard lock(state_->loggers_mutex);
  target.level_set_ = true;
  target.level_.store(level, std::memory_order_relaxed);
}

void LoggingPipeline::set_default_level(LogLevel level) {
  std::lock_guard lock(state_->loggers_mutex);
  state_->default_level = level;
  for (auto& [name, logger] : state_->loggers) {
    if (!logger->level_set_) logger->level_.store(level, std::memory_order_relaxed);
  }
}

void LoggingPipeline::make_default() noexcept {
  try {
    detail::default_logger.store(&logger(), std::memory_order_release);
  } catch (...) {
    // Out of memory for the logger: the default stays what it was.
  }
}

bool LoggingPipeline::flush(std::chrono::milliseconds timeout) noexcept {
  State& state = *state_;
  std::unique_lock lock(state.writer_mutex);
  if (state.stopped) return false;
  const std::uint64_t ticket = ++state.flush_requested;
  state.wake.notify_one();
  return state.done.wait_for(lock, timeout, [&] {
    return state.flush_completed >= ticket || state.stopped;
  }) && state.flush_completed >= ticket;
}

bool LoggingPipeline::shutdown(std::chrono::milliseconds timeout) noexcept {
  State& state = *state_;
  std::unique_lock lock(state.writer_mutex);
  if (state.stopping) return false;
  state.stopping = true;
  {
    // From now on records are refused; the writer drains what is queued.
    std::lock_guard normal_lock(state.normal.mutex);
    std::lock_guard priority_lock(state.priority.mutex);
    state.closed.store(true, std::memory_order_relaxed);
  }
  state.wake.notify_one();
  const bool finished = state.done.wait_for(lock, timeout, [&] { return state.stopped; });
  lock.unlock();
  // The writer is joined even past timeout: it uses the state this object owns. What bounds the
  // wait is the sinks' own time limits (an OTLP sink's request timeout).
  if (state.writer.joinable()) state.writer.join();
  return finished;
}

LoggingStats LoggingPipeline::stats() const noexcept {
  const State& s = *state_;
  const auto get = [](const std::atomic<std::uint64_t>& v) {
    return v.load(std::memory_order_relaxed);
  };
  return {.records = get(s.records),
          .written = get(s.written),
          .dropped_queue_full = get(s.dropped_queue_full),
          .dropped_priority_queue_full = get(s.dropped_priority_queue_full),
          .dropped_after_shutdown = get(s.dropped_after_shutdown),
          .debug_held = get(s.debug_held),
          .debug_released = get(s.debug_released),
          .debug_discarded = get(s.debug_discarded)};
}

DebugLogScope::DebugLogScope(LoggingPipeline& pipeline) noexcept
    : state_(pipeline.state_.get()), previous_(tls_debug_scope) {
  tls_debug_scope = this;
}

DebugLogScope::DebugLogScope() noexcept : DebugLogScope(default_logger().pipeline()) {}

DebugLogScope::~DebugLogScope() {
  tls_debug_scope = previous_;
  if (held_records_ == 0) return;
  if (failed_ && state_->push(held_, held_records_, /*high=*/false)) {
    state_->debug_released.fetch_add(held_records_, std::memory_order_relaxed);
    return;
  }
  detail::release_contexts(held_);
  state_->debug_discarded.fetch_add(held_records_, std::memory_order_relaxed);
}

namespace detail {

Logger& fallback_logger() noexcept {
  // Made on first use and never destroyed, so that logging from static destructors stays safe;
  // flushed at exit.
  static LoggingPipeline* const pipeline = [] {
    LoggingOptions options;
    if (auto level = read_string(process_environment(), "MMF_LOG_LEVEL")) {
      if (auto parsed = parse_log_level(*level)) {
        options.level = *parsed;
      } else {
        std::fprintf(stderr,
                     "mmf-observability: MMF_LOG_LEVEL='%.32s' is not a log level (trace, debug, "
                     "info, warn, error, critical, off); using info\n",
                     level->c_str());
      }
    }
    auto* made = new LoggingPipeline(std::move(options));
    std::atexit([] { pipeline->flush(std::chrono::seconds(2)); });
    return made;
  }();
  static Logger* const logger = &pipeline->logger();
  return *logger;
}

}  // namespace detail
}  // namespace mmf
