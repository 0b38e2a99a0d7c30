#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mmf::detail {
namespace {

std::int64_t now_unix_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Taken while the test program starts, independently of /proc.
const std::int64_t kProgramStartNanos = now_unix_nanos();

const MetricFamilyData* find(const std::vector<MetricFamilyData>& families, std::string_view name) {
  for (const MetricFamilyData& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::optional<double> value(const std::vector<MetricFamilyData>& families, std::string_view name) {
  const MetricFamilyData* family = find(families, name);
  if (family == nullptr || family->points.size() != 1) return std::nullopt;
  return family->points[0].value;
}

double self_value(std::string_view name) {
  const std::optional<double> result = value(collect_process_metrics(), name);
  EXPECT_TRUE(result.has_value()) << name;
  return result.value_or(-1);
}

// ---- The real /proc/self -------------------------------------------------------------------

TEST(ProcessMetrics, ReportsEveryFamilyOnceWithOnePointAndNoLabels) {
  const std::vector<MetricFamilyData> families = collect_process_metrics();
  const std::vector<std::string> expected = {"process_cpu_seconds",
                                             "process_resident_memory_bytes",
                                             "process_virtual_memory_bytes",
                                             "process_open_fds",
                                             "process_max_fds",
                                             "process_start_time_seconds",
                                             "process_threads",
                                             "process_uptime_seconds"};
  ASSERT_EQ(families.size(), expected.size());
  for (const std::string& name : expected) {
    const MetricFamilyData* family = find(families, name);
    ASSERT_NE(family, nullptr) << name;
    EXPECT_FALSE(family->help.empty()) << name;
    EXPECT_TRUE(family->label_names.empty()) << name;
    ASSERT_EQ(family->points.size(), 1u) << name;
    EXPECT_TRUE(family->points[0].label_values.empty()) << name;
    EXPECT_TRUE(std::isfinite(family->points[0].value)) << name;
    EXPECT_GE(family->points[0].value, 0) << name;
    EXPECT_EQ(family->kind,
              name == "process_cpu_seconds" ? MetricKind::kCounter : MetricKind::kGauge)
        << name;
    // OpenMetrics requires a family with a unit to end with it.
    if (!family->unit.empty()) {
      EXPECT_TRUE(name.ends_with("_" + family->unit)) << name;
    }
  }
  EXPECT_EQ(find(families, "process_cpu_seconds")->unit, "seconds");
  EXPECT_EQ(find(families, "process_resident_memory_bytes")->unit, "bytes");
  EXPECT_EQ(find(families, "process_cpu_seconds")->help,
            "Total user and system CPU time spent in seconds.");
}

TEST(ProcessMetrics, CpuSecondsGrowAfterBurningCpu) {
  const double before = self_value("process_cpu_seconds");
  timespec start{};
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
  volatile std::uint64_t sink = 0;
  do {
    for (int i = 0; i < 100000; ++i) sink = sink + static_cast<std::uint64_t>(i);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  } while ((now.tv_sec - start.tv_sec) * 1'000'000'000L + (now.tv_nsec - start.tv_nsec) <
           60'000'000L);
  const double after = self_value("process_cpu_seconds");
  EXPECT_GE(before, 0);
  EXPECT_GE(after - before, 0.02);  // 60 ms burnt; clock ticks are 10 ms
}

TEST(ProcessMetrics, ResidentMemoryGrowsAfterTouching64MiB) {
  constexpr std::size_t kSize = 64u << 20;
  const double resident_before = self_value("process_resident_memory_bytes");
  const double virtual_before = self_value("process_virtual_memory_bytes");
  void* memory = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* bytes = static_cast<volatile char*>(memory);
  for (std::size_t i = 0; i < kSize; i += 4096) bytes[i] = 1;
  const double resident_after = self_value("process_resident_memory_bytes");
  const double virtual_after = self_value("process_virtual_memory_bytes");
  ::munmap(memory, kSize);
  EXPECT_GE(resident_after - resident_before, 56.0 * (1 << 20));
  EXPECT_GE(virtual_after - virtual_before, 64.0 * (1 << 20));
  EXPECT_GE(virtual_after, resident_after);
}

TEST(ProcessMetrics, OpenFdsFollowOpeningAndClosingFiles) {
  const double before = self_value("process_open_fds");
  int fds[3];
  for (int& fd : fds) fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (const int fd : fds) ASSERT_GE(fd, 0);
  EXPECT_EQ(self_value("process_open_fds"), before + 3);
  for (const int fd : fds) ::close(fd);
  EXPECT_EQ(self_value("process_open_fds"), before);
}

// Counts the descriptors that are open by asking for each one's flags: no /proc involved.
std::uint64_t open_fds_by_probing() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t last = std::min<rlim_t>(limit.rlim_cur, 1 << 16);
  std::uint64_t count = 0;
  for (rlim_t fd = 0; fd < last; ++fd) {
    if (::fcntl(static_cast<int>(fd), F_GETFD) != -1) ++count;
  }
  return count;
}

TEST(ProcessMetrics, OpenFdsCountOnlyTheApplicationsDescriptorsEitherWay) {
  const std::uint64_t probed = open_fds_by_probing();
  EXPECT_EQ(count_open_fds("/proc/self/fd", /*allow_size_shortcut=*/false), probed);
  EXPECT_EQ(count_open_fds("/proc/self/fd", /*allow_size_shortcut=*/true), probed);
  EXPECT_EQ(self_value("process_open_fds"), static_cast<double>(probed));
}

TEST(ProcessMetrics, MaxFdsIsTheSoftLimit) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const double expected =
      limit.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(limit.rlim_cur);
  EXPECT_EQ(self_value("process_max_fds"), expected);
}

TEST(ProcessMetrics, ThreadsCountAThreadWhileItRuns) {
  const double before = self_value("process_threads");
  std::promise<void> release;
  std::promise<void> started;
  std::thread thread([&] {
    started.set_value();
    release.get_future().wait();
  });
  started.get_future().wait();
  const double during = self_value("process_threads");
  release.set_value();
  thread.join();
  EXPECT_EQ(during, before + 1);
  // join() returns when the thread has cleared its ID, a moment before the kernel takes it off
  // the thread group's count; wait for that, so that a repeated run starts from a settled count.
  double after = self_value("process_threads");
  for (int i = 0; i < 1000 && after != before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    after = self_value("process_threads");
  }
  EXPECT_EQ(after, before);
}

TEST(ProcessMetrics, StartTimeIsWhenTheProgramStarted) {
  const std::vector<MetricFamilyData> families = collect_process_metrics();
  const double now = static_cast<double>(now_unix_nanos()) / 1e9;
  const double start = value(families, "process_start_time_seconds").value_or(0);
  const double uptime = value(families, "process_uptime_seconds").value_or(-1);
  EXPECT_LE(start, now);
  EXPECT_NEAR(start, now - uptime, 2.0);
  // The boot time has whole-second resolution; loading a sanitized program takes a while.
  const double program_start = static_cast<double>(kProgramStartNanos) / 1e9;
  EXPECT_LE(start, program_start + 1.5);
  EXPECT_GE(start, program_start - 30);
  // The counter's series began with the process (OpenMetrics _created).
  EXPECT_NEAR(
      static_cast<double>(find(families, "process_cpu_seconds")->points[0].start_time_unix_nano) /
          1e9,
      start, 1e-6);
}

// ---- Fake proc directories -----------------------------------------------------------------

// A stat line whose fields 14.. are utime=250 stime=150 ... threads=7 ... starttime=12345
// vsize=104857600 rss=2560 (numbered as in proc(5); fields 3..13 come first).
constexpr std::string_view kFields =
    " S 1 2 3 0 -1 4194304 10 0 0 0 250 150 0 0 20 0 7 0 12345 104857600 2560 "
    "18446744073709551615 1 2 3 0 0\n";
constexpr std::string_view kLimits =
    "Limit                     Soft Limit           Hard Limit           Units     \n"
    "Max processes             96365                96365                processes \n"
    "Max open files            1024                 524288               files     \n"
    "Max locked memory         8388608              8388608              bytes     \n";
constexpr std::int64_t kBootTime = 1'700'000'000;
constexpr std::int64_t kNow = (kBootTime + 1000) * 1'000'000'000;

class FakeProc : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "/mmf_proc_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::filesystem::create_directory(root_ / "self");
    std::filesystem::create_directory(root_ / "self" / "fd");
    write("self/stat", "4242 (my (weird) proc)" + std::string(kFields));
    write("self/limits", std::string(kLimits));
    write("stat", "cpu  1 2 3\nbtime " + std::to_string(kBootTime) + "\nprocesses 9\n");
    for (int fd = 0; fd < 5; ++fd) write("self/fd/" + std::to_string(fd), "");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void write(const std::string& relative, const std::string& content) {
    std::ofstream(root_ / relative, std::ios::binary | std::ios::trunc) << content;
  }

  ProcSource source() const {
    return {.proc_self_dir = (root_ / "self").string(),
            .proc_stat = (root_ / "stat").string(),
            .ticks_per_second = 100,
            .page_size = 4096,
            .now_unix_nano = kNow};
  }
  std::vector<MetricFamilyData> collect() const { return collect_process_metrics(source()); }

  std::filesystem::path root_;
};

TEST_F(FakeProc, ReadsEveryValueAfterACommandNameWithSpacesAndParentheses) {
  const std::vector<MetricFamilyData> families = collect();
  EXPECT_EQ(families.size(), 8u);
  EXPECT_DOUBLE_EQ(value(families, "process_cpu_seconds").value_or(-1), 4.0);
  EXPECT_EQ(value(families, "process_resident_memory_bytes"), 2560.0 * 4096);
  EXPECT_EQ(value(families, "process_virtual_memory_bytes"), 104857600.0);
  EXPECT_EQ(value(families, "process_open_fds"), 5.0);
  EXPECT_EQ(value(families, "process_max_fds"), 1024.0);
  EXPECT_DOUBLE_EQ(value(families, "process_start_time_seconds").value_or(-1),
                   static_cast<double>(kBootTime) + 123.45);
  EXPECT_EQ(value(families, "process_threads"), 7.0);
  EXPECT_NEAR(value(families, "process_uptime_seconds").value_or(-1), 1000 - 123.45, 1e-6);
  EXPECT_EQ(find(families, "process_cpu_seconds")->points[0].start_time_unix_nano,
            (kBootTime + 123) * 1'000'000'000 + 450'000'000);
}

TEST_F(FakeProc, ACommandNameMayHoldNewlinesAndLookLikeFields) {
  write("self/stat", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 11\n) 12)" + std::string(kFields));
  EXPECT_EQ(value(collect(), "process_threads"), 7.0);
}

TEST_F(FakeProc, AStatFileCutShortLeavesOutWhatItDoesNotHold) {
  const std::string full = "4242 (my (weird) proc)" + std::string(kFields);
  // Cut within utime ("25" of "250"): nothing from stat may be reported, least of all 0.2 s.
  write("self/stat", full.substr(0, full.find(" 250 ") + 3));
  std::vector<MetricFamilyData> families = collect();
  EXPECT_EQ(find(families, "process_cpu_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_threads"), nullptr);
  EXPECT_EQ(find(families, "process_resident_memory_bytes"), nullptr);
  EXPECT_EQ(find(families, "process_start_time_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_uptime_seconds"), nullptr);
  EXPECT_EQ(value(families, "process_open_fds"), 5.0);  // not from stat
  EXPECT_EQ(value(families, "process_max_fds"), 1024.0);

  // Cut right after vsize, without its separator: vsize may be missing digits, rss is absent.
  write("self/stat", full.substr(0, full.find(" 104857600 ") + 10));
  families = collect();
  EXPECT_EQ(value(families, "process_threads"), 7.0);
  EXPECT_TRUE(find(families, "process_start_time_seconds") != nullptr);
  EXPECT_EQ(find(families, "process_virtual_memory_bytes"), nullptr);
  EXPECT_EQ(find(families, "process_resident_memory_bytes"), nullptr);
}

TEST_F(FakeProc, EveryPrefixOfTheStatFileReportsOnlyTrueValues) {
  const std::string full = "4242 (my (weird) proc)" + std::string(kFields);
  const std::vector<MetricFamilyData> truth = collect();
  for (std::size_t size = 0; size <= full.size(); ++size) {
    write("self/stat", full.substr(0, size));
    for (const MetricFamilyData& family : collect()) {
      if (family.name == "process_uptime_seconds") continue;
      EXPECT_EQ(value(truth, family.name), family.points[0].value) << family.name << " " << size;
    }
  }
}

TEST_F(FakeProc, GarbageInTheStatFileLeavesItsFamiliesOut) {
  for (const std::string& content :
       std::vector<std::string>{"", "\n", "hello world", "4242 (no closing paren S 1 2 3",
                                "))))))))", std::string(8000, ')'), std::string(8000, 'x'),
                                "4242 (p)", "4242 (p)  S 1 2 3 4 5 6 7 8 9 10 11 12 13 14"}) {
    write("self/stat", content);
    const std::vector<MetricFamilyData> families = collect();
    EXPECT_EQ(families.size(), 2u) << content;  // open and max fds only
  }
}

TEST_F(FakeProc, ANonNumberInAFieldLeavesOutOnlyItsFamily) {
  write("self/stat",
        "1 (p) S 1 2 3 0 -1 4194304 10 0 0 0 2x0 150 0 0 20 0 7 0 12345 104857600 -5 0\n");
  const std::vector<MetricFamilyData> families = collect();
  EXPECT_EQ(find(families, "process_cpu_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_resident_memory_bytes"), nullptr);  // "-5"
  EXPECT_EQ(value(families, "process_threads"), 7.0);
  EXPECT_EQ(value(families, "process_virtual_memory_bytes"), 104857600.0);
}

TEST_F(FakeProc, MissingFilesLeaveOutTheirFamilies) {
  std::filesystem::remove(root_ / "stat");
  std::vector<MetricFamilyData> families = collect();
  EXPECT_EQ(find(families, "process_start_time_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_uptime_seconds"), nullptr);
  ASSERT_NE(find(families, "process_cpu_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_cpu_seconds")->points[0].start_time_unix_nano, 0);

  std::filesystem::remove(root_ / "self" / "limits");
  std::filesystem::remove_all(root_ / "self" / "fd");
  families = collect();
  EXPECT_EQ(find(families, "process_max_fds"), nullptr);
  EXPECT_EQ(find(families, "process_open_fds"), nullptr);

  std::filesystem::remove(root_ / "self" / "stat");
  EXPECT_TRUE(collect().empty());

  ProcSource nowhere = source();
  nowhere.proc_self_dir = "/nonexistent/proc/self";
  EXPECT_TRUE(collect_process_metrics(nowhere).empty());
  nowhere.proc_self_dir = std::string(PATH_MAX + 10, 'a');
  EXPECT_TRUE(collect_process_metrics(nowhere).empty());
}

TEST_F(FakeProc, MaxFdsReadsUnlimitedAndRejectsACutLine) {
  write("self/limits",
        "Max open files            unlimited            unlimited            files\n");
  EXPECT_EQ(value(collect(), "process_max_fds"), INFINITY);
  write("self/limits", "Max open files            10");  // "10" may be the start of "1024"
  EXPECT_EQ(find(collect(), "process_max_fds"), nullptr);
  write("self/limits",
        "Max open files            lots                 lots                 files\n");
  EXPECT_EQ(find(collect(), "process_max_fds"), nullptr);
}

TEST_F(FakeProc, BootTimeIsFoundAfterLinesLongerThanAnyBuffer) {
  write("stat",
        "cpu 1 2\nintr " + std::string(20000, '7') + "\nbtime " + std::to_string(kBootTime) + "\n");
  EXPECT_DOUBLE_EQ(value(collect(), "process_start_time_seconds").value_or(-1),
                   static_cast<double>(kBootTime) + 123.45);
  // A line too long for the buffer is skipped whole, not read as pieces that look like lines.
  write("stat", std::string(4096, 'x') + "btime 5\nbtime " + std::to_string(kBootTime) + "\n");
  EXPECT_DOUBLE_EQ(value(collect(), "process_start_time_seconds").value_or(-1),
                   static_cast<double>(kBootTime) + 123.45);
  write("stat", "btime 17");  // cut short
  EXPECT_EQ(find(collect(), "process_start_time_seconds"), nullptr);
}

TEST_F(FakeProc, EveryEntryOfAFakeFdDirectoryCounts) {
  // Names that collide with the descriptor used for listing are still counted: they are files,
  // not links back to the directory.
  for (int fd = 0; fd < 300; ++fd) write("self/fd/" + std::to_string(fd), "");
  EXPECT_EQ(value(collect(), "process_open_fds"), 300.0);
}

TEST_F(FakeProc, UnusableRatesLeaveOutWhatNeedsThem) {
  ProcSource bad = source();
  bad.ticks_per_second = -1;
  bad.page_size = -1;
  const std::vector<MetricFamilyData> families = collect_process_metrics(bad);
  EXPECT_EQ(find(families, "process_cpu_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_start_time_seconds"), nullptr);
  EXPECT_EQ(find(families, "process_resident_memory_bytes"), nullptr);
  EXPECT_EQ(value(families, "process_virtual_memory_bytes"), 104857600.0);
}

TEST_F(FakeProc, UptimeIsNeverNegative) {
  ProcSource early = source();
  early.now_unix_nano = kBootTime * 1'000'000'000;  // before the process started
  EXPECT_EQ(value(collect_process_metrics(early), "process_uptime_seconds"), 0.0);
}

}  // namespace
}  // namespace mmf::detail
