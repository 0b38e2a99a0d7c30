// Log sinks that write text: StreamSink (a file descriptor such as stdout) and RotatingFileSink.
//
//   auto console = std::make_unique<mmf::StreamSink>(mmf::StreamSinkOptions{
//       .format = mmf::LogFormat::kConsole, .color = mmf::stream_is_terminal(1)});
//   auto file = std::make_unique<mmf::RotatingFileSink>(mmf::RotatingFileOptions{
//       .path = "/var/log/payment/service.log", .max_bytes = 50 * 1024 * 1024});
//
// Formats (one record per line, see src/log/log_format.h for the details):
//   kJson     one JSON object per line: timestamp, level, message, logger, service, version,
//             environment, trace and span IDs, the Context's IDs, business and caller fields,
//             source. Every string is escaped and repaired to UTF-8, and a field can never take
//             the name of a reserved member (it becomes "field.<name>"), so a line is always
//             one whole, parseable object.
//   kConsole  "21:48:51.360 INFO  [logger] message  key=value ...", for people at a terminal;
//             control characters are escaped, so a message cannot forge a line or colour.
//
// Both sinks write each batch with write(2), so what write() returns has reached the kernel:
// flush() has nothing to do, and a crash of the process loses nothing already written. Neither
// throws from write(); failures are counted in stats().
//
// Thread-safety: write(), flush() and shutdown() are called by one thread at a time (the logging
// pipeline's); stats() may be called from any thread at any time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mmf/log_record.h"
#include "mmf/resource.h"

namespace mmf {

enum class LogFormat : std::uint8_t { kJson, kConsole };

// Whether fd is a terminal (isatty): the usual test for turning console colours on.
bool stream_is_terminal(int fd) noexcept;

struct StreamSinkOptions {
  int fd = 1;  // not owned: the caller keeps it open while the sink lives
  LogFormat format = LogFormat::kJson;
  bool color = false;  // ANSI colours by level, for kConsole
};

struct StreamSinkStats {
  std::uint64_t bytes_written = 0;
  std::uint64_t write_errors = 0;  // batches not written in full (error, or blocked too long)
};

// Writes records to a file descriptor. A write that is interrupted or partial is resumed. On a
// non-blocking descriptor that is full (EAGAIN), it waits up to 100 ms at a time for room and
// gives up on the rest of the batch when none comes, so a stalled reader cannot stop the
// pipeline for long. A reader that has gone away (EPIPE) is an error, not a SIGPIPE that would
// end the process.
class StreamSink final : public LogSink {
 public:
  explicit StreamSink(StreamSinkOptions options = {}) noexcept;

  void write(std::span<const LogRecord> records, const Resource& resource) noexcept override;
  // write(2) is not buffered in this process: there is nothing to flush.
  void flush() noexcept override {}

  StreamSinkStats stats() const noexcept;

 private:
  StreamSinkOptions options_;
  std::string line_;   // one formatted record, reused
  std::string batch_;  // the batch's lines, reused
  std::atomic<std::uint64_t> bytes_written_{0};
  std::atomic<std::uint64_t> write_errors_{0};
};

struct RotatingFileOptions {
  std::string path;  // required; the directory must exist
  // The size at which the file is rotated: a line that would take it past this goes to a new
  // file. A single line longer than this is still written whole, to a file of its own.
  std::size_t max_bytes = 10 * 1024 * 1024;
  // How many rotated files to keep: path.1 (the newest) to path.<max_files>. With 0, the file
  // is emptied and started over instead.
  int max_files = 5;
  LogFormat format = LogFormat::kJson;
};

struct RotatingFileStats {
  std::uint64_t bytes_written = 0;
  std::uint64_t rotations = 0;
  std::uint64_t write_errors = 0;  // failed writes, renames and reopenings
};

// Appends records to a file and rotates it by size: path -> path.1 -> path.2 ... -> path.N,
// the oldest one deleted. Only this sink should write to the file: it counts the file's size
// itself rather than asking the file system before every line.
class RotatingFileSink final : public LogSink {
 public:
  // Opens (or creates, mode 0644) path for appending. Throws std::invalid_argument naming the
  // setting when path is empty, max_bytes is 0 or max_files is negative, and std::system_error
  // naming the path when the file cannot be opened.
  explicit RotatingFileSink(RotatingFileOptions options);
  ~RotatingFileSink() override;
  RotatingFileSink(const RotatingFileSink&) = delete;
  RotatingFileSink& operator=(const RotatingFileSink&) = delete;

  // When the file cannot be reopened after a rotation, the batch is lost (and counted); the
  // next write() tries to open it again.
  void write(std::span<const LogRecord> records, const Resource& resource) noexcept override;
  // write(2) is not buffered in this process: there is nothing to flush. (No fsync either: the
  // kernel has the data, and syncing on every flush would cost a disk round trip per batch.)
  void flush() noexcept override {}

  RotatingFileStats stats() const noexcept;

 private:
  bool open_file(bool truncate) noexcept;
  void rotate() noexcept;
  void write_out(std::string_view data) noexcept;

  RotatingFileOptions options_;
  int fd_ = -1;
  std::size_t file_size_ = 0;  // what the open file holds
  std::string line_;
  std::string batch_;
  std::atomic<std::uint64_t> bytes_written_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> write_errors_{0};
};

}  // namespace mmf
