#include "mmf/log_sinks.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "log/log_format.h"

namespace mmf {
namespace {

// How long a write waits for room in a full non-blocking stream before giving up on the batch.
constexpr int kFullStreamWaitMillis = 100;
// Buffers grown beyond this by one large batch (a 1 MB message...) are released afterwards, so
// a rare burst does not pin its memory for the life of the process.
constexpr std::size_t kRetainedCapacity = 1024 * 1024;

void format_line(LogFormat format, bool color, const LogRecord& record, const Resource& resource,
                 std::string& out) {
  if (format == LogFormat::kConsole) {
    detail::format_console_line(record, resource, color, out);
  } else {
    detail::format_json_line(record, resource, out);
  }
}

void release_if_large(std::string& buffer) noexcept {
  if (buffer.capacity() > kRetainedCapacity) std::string().swap(buffer);
}

// Blocks SIGPIPE in this thread while it lives, and discards a SIGPIPE that a write raised in
// the meantime: a log reader that goes away (a closed pipe or socket) must cost a counted error,
// not the process, whose default action for SIGPIPE is to end.
class SigpipeSuppressor {
 public:
  SigpipeSuppressor() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    // One already pending belongs to someone else: leave it for them.
    already_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0;
  }
  ~SigpipeSuppressor() {
    if (!blocked_) return;
    if (broken_ && !already_pending_) {
      const timespec no_wait{};
      while (sigtimedwait(&pipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeSuppressor(const SigpipeSuppressor&) = delete;
  SigpipeSuppressor& operator=(const SigpipeSuppressor&) = delete;

  void note_broken_pipe() noexcept { broken_ = true; }

 private:
  sigset_t pipe_;
  sigset_t previous_;
  bool already_pending_ = false;
  bool blocked_ = false;
  bool broken_ = false;
};

struct WriteResult {
  std::size_t written = 0;
  bool complete = true;
  int error = 0;
};

// Writes all of data unless an error, or a full non-blocking descriptor that stays full,
// stops it. Resumes after EINTR and partial writes.
WriteResult write_all(int fd, std::string_view data) noexcept {
  WriteResult result;
  while (result.written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + result.written, data.size() - result.written);
    if (n > 0) {
      result.written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd target{.fd = fd, .events = POLLOUT, .revents = 0};
      int ready;
      do {
        ready = ::poll(&target, 1, kFullStreamWaitMillis);
      } while (ready < 0 && errno == EINTR);
      // Ready, or in error (POLLERR, POLLHUP): the next write() says which.
      if (ready > 0) continue;
      result.error = EAGAIN;
    } else {
      result.error = n < 0 ? errno : EIO;  // write() of a non-empty buffer returned 0
    }
    result.complete = false;
    break;
  }
  return result;
}

}  // namespace

bool stream_is_terminal(int fd) noexcept { return ::isatty(fd) == 1; }

// ---- StreamSink ----

StreamSink::StreamSink(StreamSinkOptions options) noexcept : options_(options) {}

void StreamSink::write(std::span<const LogRecord> records, const Resource& resource) noexcept {
  bool formatted = true;
  batch_.clear();
  try {
    for (const LogRecord& record : records) {
      line_.clear();
      format_line(options_.format, options_.color, record, resource, line_);
      batch_ += line_;
    }
  } catch (...) {  // std::bad_alloc: write what was formatted, count the loss
    formatted = false;
  }
  WriteResult result;
  {
    SigpipeSuppressor suppressor;
    result = write_all(options_.fd, batch_);
    if (result.error == EPIPE) suppressor.note_broken_pipe();
  }
  bytes_written_.fetch_add(result.written, std::memory_order_relaxed);
  if (!formatted || !result.complete) write_errors_.fetch_add(1, std::memory_order_relaxed);
  release_if_large(line_);
  release_if_large(batch_);
}

StreamSinkStats StreamSink::stats() const noexcept {
  return {.bytes_written = bytes_written_.load(std::memory_order_relaxed),
          .write_errors = write_errors_.load(std::memory_order_relaxed)};
}

// ---- RotatingFileSink ----

RotatingFileSink::RotatingFileSink(RotatingFileOptions options) : options_(std::move(options)) {
  if (options_.path.empty()) {
    throw std::invalid_argument("mmf::RotatingFileOptions.path: must not be empty");
  }
  if (options_.max_bytes == 0) {
    throw std::invalid_argument("mmf::RotatingFileOptions.max_bytes: must be greater than 0");
  }
  if (options_.max_files < 0) {
    throw std::invalid_argument("mmf::RotatingFileOptions.max_files: must not be negative (got " +
                                std::to_string(options_.max_files) + ")");
  }
  if (!open_file(false)) {
    throw std::system_error(errno, std::generic_category(),
                            "mmf::RotatingFileSink: cannot open log file '" + options_.path + "'");
  }
}

RotatingFileSink::~RotatingFileSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool RotatingFileSink::open_file(bool truncate) noexcept {
  const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  int fd;
  do {
    fd = ::open(options_.path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return false;
  struct stat status {};
  file_size_ = ::fstat(fd, &status) == 0 ? static_cast<std::size_t>(status.st_size) : 0;
  fd_ = fd;
  return true;
}

void RotatingFileSink::rotate() noexcept {
  rotations_.fetch_add(1, std::memory_order_relaxed);
  bool renamed = true;
  if (options_.max_files > 0) {
    try {
      auto numbered = [this](int n) { return options_.path + '.' + std::to_string(n); };
      // rename() replaces the target, so path.<max_files>, the oldest, goes first.
      for (int n = options_.max_files - 1; n >= 1; --n) {
        if (::rename(numbered(n).c_str(), numbered(n + 1).c_str()) != 0 && errno != ENOENT) {
          write_errors_.fetch_add(1, std::memory_order_relaxed);
        }
      }
      renamed = ::rename(options_.path.c_str(), numbered(1).c_str()) == 0;
    } catch (...) {  // std::bad_alloc building a name
      renamed = false;
    }
    if (!renamed) write_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  ::close(fd_);
  fd_ = -1;
  if (!open_file(options_.max_files == 0)) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The file could not be moved aside and is still the full one: try again after another
  // max_bytes rather than on every line.
  if (!renamed) file_size_ = 0;
}

void RotatingFileSink::write_out(std::string_view data) noexcept {
  if (data.empty()) return;
  const WriteResult result = write_all(fd_, data);
  file_size_ += result.written;
  bytes_written_.fetch_add(result.written, std::memory_order_relaxed);
  if (!result.complete) write_errors_.fetch_add(1, std::memory_order_relaxed);
}

void RotatingFileSink::write(std::span<const LogRecord> records,
                             const Resource& resource) noexcept {
  if (fd_ < 0 && !open_file(false)) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  batch_.clear();
  try {
    for (const LogRecord& record : records) {
      line_.clear();
      format_line(options_.format, false, record, resource, line_);
      // A line that does not fit starts a new file, unless the file is empty: a line longer
      // than max_bytes is written whole rather than lost or cut.
      const std::size_t pending = file_size_ + batch_.size();
      if (pending > 0 && pending + line_.size() > options_.max_bytes) {
        write_out(batch_);
        batch_.clear();
        rotate();
        if (fd_ < 0) return;  // counted; the next write() tries to open the file again
      }
      batch_ += line_;
    }
  } catch (...) {  // std::bad_alloc: write what was formatted, count the loss
    write_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  write_out(batch_);
  release_if_large(line_);
  release_if_large(batch_);
}

RotatingFileStats RotatingFileSink::stats() const noexcept {
  return {.bytes_written = bytes_written_.load(std::memory_order_relaxed),
          .rotations = rotations_.load(std::memory_order_relaxed),
          .write_errors = write_errors_.load(std::memory_order_relaxed)};
}

}  // namespace mmf
