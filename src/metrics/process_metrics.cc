// Reading /proc for the standard process metrics; see process_metrics.h.
//
// Everything is read with open/read into stack buffers and parsed in place: a collection must
// not allocate beyond its result, and must never report a value it did not read.
#include "metrics/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <string_view>

namespace mmf::detail {
namespace {

// Holds /proc/self/stat whole (about 300 bytes; the command name is at most 64) and any line of
// limits or /proc/stat the metrics need. Longer lines (the "intr" line of /proc/stat on a large
// machine) are skipped: nothing is needed from them.
constexpr std::size_t kBufferSize = 4096;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

using PathBuffer = std::array<char, PATH_MAX>;

// Closes the descriptor on every way out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// dir + "/" + leaf, NUL-terminated, into out; false when it does not fit.
bool join_path(std::span<char> out, std::string_view dir, std::string_view leaf) noexcept {
  if (dir.size() + leaf.size() + 2 > out.size()) return false;
  char* end = std::copy(dir.begin(), dir.end(), out.data());
  *end++ = '/';
  end = std::copy(leaf.begin(), leaf.end(), end);
  *end = '\0';
  return true;
}

// Up to buffer.size() bytes of the file; nullopt when it cannot be opened or read.
std::optional<std::string_view> read_file(const char* path, std::span<char> buffer) noexcept {
  const FileDescriptor file(::open(path, O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return std::nullopt;
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(file.get(), buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  return std::string_view(buffer.data(), size);
}

// Calls on_line(line) for each complete line of the file (without its '\n') until it returns
// true. A last line without '\n' is not a complete line: the file was cut short, and a number
// at its end may be missing digits. Lines longer than the buffer are skipped.
template <typename OnLine>
void for_each_line(const char* path, OnLine on_line) noexcept {
  const FileDescriptor file(::open(path, O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) return;
  std::array<char, kBufferSize> buffer;
  std::size_t held = 0;   // the start of an unfinished line, at the front of the buffer
  bool skipping = false;  // inside a line longer than the buffer
  for (;;) {
    const ssize_t n = ::read(file.get(), buffer.data() + held, buffer.size() - held);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    const std::size_t end = held + static_cast<std::size_t>(n);
    std::size_t start = 0;
    for (std::size_t i = held; i < end; ++i) {
      if (buffer[i] != '\n') continue;
      if (!skipping && on_line(std::string_view(buffer.data() + start, i - start))) return;
      skipping = false;
      start = i + 1;
    }
    held = skipping ? 0 : end - start;
    if (held == buffer.size()) {
      skipping = true;
      held = 0;
    }
    std::memmove(buffer.data(), buffer.data() + start, held);
  }
}

// The whole of text as a decimal number; no sign, no spaces.
std::optional<std::uint64_t> parse_uint(std::string_view text) noexcept {
  std::uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// The fields of /proc/<pid>/stat the metrics use, numbered as in proc(5).
struct StatFields {
  std::optional<std::uint64_t> utime;        // 14, clock ticks
  std::optional<std::uint64_t> stime;        // 15, clock ticks
  std::optional<std::uint64_t> threads;      // 20
  std::optional<std::uint64_t> start_ticks;  // 22, clock ticks after boot
  std::optional<std::uint64_t> vsize;        // 23, bytes
  std::optional<std::uint64_t> rss;          // 24, pages
};

// Field 2 is the command name in parentheses, and a process may name itself anything, spaces
// and ')' included; so the fields that follow are those after the LAST ')'. Each field must end
// with a space or '\n': a file cut short within a number must not yield fewer digits. An empty
// field means the line is not laid out as expected, and nothing after it is trusted.
StatFields parse_stat(std::string_view text) noexcept {
  StatFields fields;
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return fields;
  const std::string_view rest = text.substr(close + 1);
  std::size_t pos = 0;
  for (int number = 3; number <= 24; ++number) {
    if (pos >= rest.size() || rest[pos] != ' ') break;
    ++pos;
    const std::size_t end = rest.find_first_of(" \n", pos);
    if (end == std::string_view::npos || end == pos) break;  // cut short, or not the layout
    const std::optional<std::uint64_t> value = parse_uint(rest.substr(pos, end - pos));
    pos = end;
    switch (number) {
      case 14:
        fields.utime = value;
        break;
      case 15:
        fields.stime = value;
        break;
      case 20:
        fields.threads = value;
        break;
      case 22:
        fields.start_ticks = value;
        break;
      case 23:
        fields.vsize = value;
        break;
      case 24:
        fields.rss = value;
        break;
      default:
        break;
    }
  }
  return fields;
}

// The soft limit from the line "Max open files   <soft>   <hard>   files" of
// /proc/<pid>/limits; "unlimited" is +Inf.
std::optional<double> read_max_open_files(const char* limits_path) noexcept {
  constexpr std::string_view kPrefix = "Max open files ";
  std::optional<double> result;
  for_each_line(limits_path, [&](std::string_view line) {
    if (!line.starts_with(kPrefix)) return false;
    line.remove_prefix(std::min(line.find_first_not_of(' ', kPrefix.size()), line.size()));
    const std::string_view soft = line.substr(0, line.find(' '));
    if (soft == "unlimited") {
      result = std::numeric_limits<double>::infinity();
    } else if (const std::optional<std::uint64_t> value = parse_uint(soft)) {
      result = static_cast<double>(*value);
    }
    return true;
  });
  return result;
}

// The boot time, in Unix seconds, from the line "btime <seconds>" of /proc/stat.
std::optional<std::uint64_t> read_boot_time(const char* proc_stat_path) noexcept {
  constexpr std::string_view kPrefix = "btime ";
  std::optional<std::uint64_t> result;
  for_each_line(proc_stat_path, [&](std::string_view line) {
    if (!line.starts_with(kPrefix)) return false;
    result = parse_uint(line.substr(kPrefix.size()));
    return true;
  });
  return result;
}

// Whether the entry name of the directory open as dir is a link to that directory itself, as
// the entry for our own descriptor is in /proc/self/fd.
bool is_the_directory(int dir, const char* name, const struct stat& dir_stat) noexcept {
  struct stat target {};
  return ::fstatat(dir, name, &target, 0) == 0 && target.st_dev == dir_stat.st_dev &&
         target.st_ino == dir_stat.st_ino;
}

// The start of the process in Unix nanoseconds: boot time + start ticks / ticks per second.
std::optional<std::int64_t> start_unix_nanos(std::optional<std::uint64_t> boot_time,
                                             std::optional<std::uint64_t> start_ticks,
                                             long ticks_per_second) noexcept {
  if (!boot_time || !start_ticks || ticks_per_second <= 0) return std::nullopt;
  const auto ticks = static_cast<std::uint64_t>(ticks_per_second);
  std::uint64_t seconds = 0;
  if (__builtin_add_overflow(*boot_time, *start_ticks / ticks, &seconds) ||
      seconds >=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / kNanosPerSecond)) {
    return std::nullopt;  // garbage; no real clock reads past the year 2262
  }
  const double fraction = static_cast<double>(*start_ticks % ticks) / static_cast<double>(ticks);
  return static_cast<std::int64_t>(seconds) * kNanosPerSecond +
         static_cast<std::int64_t>(fraction * static_cast<double>(kNanosPerSecond));
}

// given when set, else the system's value; 0 when neither is usable.
long rate_or_sysconf(long given, int name) noexcept {
  if (given != 0) return given > 0 ? given : 0;
  const long value = ::sysconf(name);
  return value > 0 ? value : 0;
}

std::int64_t system_now_unix_nanos() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void add_family(std::vector<MetricFamilyData>& out, const char* name, const char* help,
                const char* unit, MetricKind kind, double value,
                std::int64_t start_time_unix_nano = 0) {
  MetricFamilyData& family = out.emplace_back();
  family.name = name;
  family.help = help;
  family.unit = unit;
  family.kind = kind;
  PointData& point = family.points.emplace_back();
  point.value = value;
  point.start_time_unix_nano = start_time_unix_nano;
}

std::vector<MetricFamilyData> collect(const ProcSource& source) {
  const long ticks = rate_or_sysconf(source.ticks_per_second, _SC_CLK_TCK);
  const long page_size = rate_or_sysconf(source.page_size, _SC_PAGESIZE);

  PathBuffer path;
  StatFields stat;
  if (join_path(path, source.proc_self_dir, "stat")) {
    std::array<char, kBufferSize> buffer;
    if (const std::optional<std::string_view> text = read_file(path.data(), buffer)) {
      stat = parse_stat(*text);
    }
  }
  std::optional<std::uint64_t> open_fds;
  if (join_path(path, source.proc_self_dir, "fd")) {
    open_fds = count_open_fds(path.data(), /*allow_size_shortcut=*/true);
  }
  std::optional<double> max_fds;
  if (join_path(path, source.proc_self_dir, "limits")) max_fds = read_max_open_files(path.data());
  const std::optional<std::int64_t> start_nanos =
      start_unix_nanos(read_boot_time(source.proc_stat.c_str()), stat.start_ticks, ticks);

  std::vector<MetricFamilyData> out;
  out.reserve(8);
  if (stat.utime && stat.stime && ticks > 0) {
    const double cpu_ticks = static_cast<double>(*stat.utime) + static_cast<double>(*stat.stime);
    // The series began when the process did: OpenMetrics' process_cpu_seconds_created.
    add_family(out, "process_cpu_seconds", "Total user and system CPU time spent in seconds.",
               "seconds", MetricKind::kCounter, cpu_ticks / static_cast<double>(ticks),
               start_nanos.value_or(0));
  }
  if (stat.rss && page_size > 0) {
    add_family(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "bytes",
               MetricKind::kGauge, static_cast<double>(*stat.rss) * static_cast<double>(page_size));
  }
  if (stat.vsize) {
    add_family(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "bytes",
               MetricKind::kGauge, static_cast<double>(*stat.vsize));
  }
  if (open_fds) {
    add_family(out, "process_open_fds", "Number of open file descriptors.", "", MetricKind::kGauge,
               static_cast<double>(*open_fds));
  }
  if (max_fds) {
    add_family(out, "process_max_fds", "Maximum number of open file descriptors.", "",
               MetricKind::kGauge, *max_fds);
  }
  if (start_nanos) {
    add_family(out, "process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.", "seconds",
               MetricKind::kGauge,
               static_cast<double>(*start_nanos) / static_cast<double>(kNanosPerSecond));
  }
  if (stat.threads) {
    add_family(out, "process_threads", "Number of OS threads in the process.", "",
               MetricKind::kGauge, static_cast<double>(*stat.threads));
  }
  if (start_nanos) {
    const std::int64_t now =
        source.now_unix_nano != 0 ? source.now_unix_nano : system_now_unix_nanos();
    // The boot time has whole-second resolution and moves when the clock is stepped, so a
    // process started a moment ago could come out a little in the future: never below 0.
    const std::int64_t uptime = std::max<std::int64_t>(now - *start_nanos, 0);
    add_family(out, "process_uptime_seconds", "Number of seconds since the process started.",
               "seconds", MetricKind::kGauge,
               static_cast<double>(uptime) / static_cast<double>(kNanosPerSecond));
  }
  return out;
}

}  // namespace

std::optional<std::uint64_t> count_open_fds(const char* fd_dir, bool allow_size_shortcut) noexcept {
  if (allow_size_shortcut) {
    // Since Linux 6.2 the size of a procfs fd directory is its number of entries: no listing,
    // and no descriptor of our own (the listing costs O(n) for a server with 100k sockets).
    struct stat dir_stat {};
    struct statfs fs {};
    if (::stat(fd_dir, &dir_stat) == 0 && dir_stat.st_size > 0 && ::statfs(fd_dir, &fs) == 0 &&
        fs.f_type == PROC_SUPER_MAGIC) {
      return static_cast<std::uint64_t>(dir_stat.st_size);
    }
  }
  const FileDescriptor dir(::open(fd_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat dir_stat {};
  if (dir.get() < 0 || ::fstat(dir.get(), &dir_stat) != 0) return std::nullopt;
  // Our own descriptor shows up in the listing of /proc/self/fd; its entry has this name.
  std::array<char, 16> own_name;
  const char* own_end =
      std::to_chars(own_name.data(), own_name.data() + own_name.size(), dir.get()).ptr;
  const std::string_view own(own_name.data(), static_cast<std::size_t>(own_end - own_name.data()));

  alignas(dirent64) std::array<char, kBufferSize> buffer;
  std::uint64_t count = 0;
  for (;;) {
    const ssize_t n = ::getdents64(dir.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return count;
    for (std::size_t offset = 0; offset < static_cast<std::size_t>(n);) {
      // Copied out rather than cast: the buffer holds bytes, not dirent64 objects.
      unsigned short record_size = 0;
      std::memcpy(&record_size, buffer.data() + offset + offsetof(dirent64, d_reclen),
                  sizeof(record_size));
      const char* name = buffer.data() + offset + offsetof(dirent64, d_name);
      if (record_size == 0) return std::nullopt;  // never from a working kernel
      offset += record_size;
      const std::string_view entry(name);
      if (entry == "." || entry == "..") continue;
      if (entry == own && is_the_directory(dir.get(), name, dir_stat)) continue;
      ++count;
    }
  }
}

std::vector<MetricFamilyData> collect_process_metrics(const ProcSource& source) {
  try {
    return collect(source);
  } catch (const std::bad_alloc&) {
    return {};  // out of memory: no process metrics this time, rather than an exception
  }
}

std::vector<MetricFamilyData> collect_process_metrics() {
  return collect_process_metrics(ProcSource{});
}

}  // namespace mmf::detail
