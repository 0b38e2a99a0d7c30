// The standard process metrics on Linux, named and described as the Prometheus client libraries
// (Go, Python) define them, ready for the exposition writers:
//
//   process_cpu_seconds (counter, exposed as process_cpu_seconds_total)  user + system CPU time
//   process_resident_memory_bytes, process_virtual_memory_bytes          memory
//   process_open_fds, process_max_fds                                    file descriptors
//   process_start_time_seconds                                           start, as Unix seconds
//   process_threads, process_uptime_seconds                              (not in the Go client)
//
// Use: call collect_process_metrics() at each collection and append its families to the
// registry's. Each call reads /proc afresh (three small files and the fd directory, about 17 us
// on Linux 6.18); nothing is cached and nothing is allocated beyond the result. A value that
// cannot be read (a missing file, a truncated or garbled line, no /proc at all) leaves its
// family out rather than reporting 0, so a dashboard shows a gap instead of a false value. Each
// family has exactly one point and no labels.
//
// Open descriptors: counting /proc/self/fd by listing it needs a descriptor of its own, which
// would then be counted too. It is not: it belongs to this call, not to the application, and is
// closed when the call returns. Where the kernel reports the count as the size of the fd
// directory (Linux 6.2 and later) it is read from there without listing, which is what the Go
// client does too; both then report exactly the application's descriptors. (The Go client's
// listing fallback for older kernels counts its own descriptor, one too many.)
//
// Thread-safety: no shared state; call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/metric_data.h"

namespace mmf::detail {

// Where the readings come from. The defaults read this process; tests point the paths at fake
// directories and fix the rates and the clock so that every value is exact.
struct ProcSource {
  std::string proc_self_dir = "/proc/self";  // holds stat, limits and fd/
  std::string proc_stat = "/proc/stat";      // holds the boot time (btime)
  long ticks_per_second = 0;                 // 0: sysconf(_SC_CLK_TCK)
  long page_size = 0;                        // 0: sysconf(_SC_PAGESIZE)
  std::int64_t now_unix_nano = 0;            // 0: the system clock (for process_uptime_seconds)
};

// Reads /proc/self once; never throws.
std::vector<MetricFamilyData> collect_process_metrics();

// The same reading from the given source; never throws.
std::vector<MetricFamilyData> collect_process_metrics(const ProcSource& source);

// The number of descriptors listed in fd_dir (a /proc/<pid>/fd or a stand-in), not counting
// the one this function opens to list it; nullopt when it cannot be read. With
// allow_size_shortcut the size the kernel reports for a procfs fd directory is used when it is
// available; tests turn it off to exercise the listing on the real /proc.
std::optional<std::uint64_t> count_open_fds(const char* fd_dir, bool allow_size_shortcut) noexcept;

}  // namespace mmf::detail
