// StreamSink (pipes and sockets: whole batches, partial writes resumed, a stalled or vanished
// reader counted rather than fatal) and RotatingFileSink (appending, rotation by size, the file
// names and what each holds, max_files = 0, oversized lines, errors that name the path).
#include "mmf/log_sinks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "log/log_format.h"

namespace mmf {
namespace {

using Json = nlohmann::json;

// Records whose JSON lines all have the same length: "record-0007" and so on.
std::vector<LogRecord> numbered_records(int count, int first = 0, std::size_t padding = 0) {
  std::vector<LogRecord> records;
  for (int i = first; i < first + count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "record-%04d", i);
    LogRecord record;
    record.message = name + std::string(padding, '.');
    records.push_back(std::move(record));
  }
  return records;
}

std::string json_lines(std::span<const LogRecord> records) {
  std::string out;
  for (const LogRecord& record : records) detail::format_json_line(record, Resource(), out);
  return out;
}

std::vector<std::string> messages_of(const std::string& text) {
  std::vector<std::string> messages;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    messages.push_back(Json::parse(line)["message"].get<std::string>());
  }
  return messages;
}

std::vector<std::string> names(int first, int last) {
  std::vector<std::string> out;
  for (const LogRecord& record : numbered_records(last - first + 1, first)) {
    out.push_back(record.message);
  }
  return out;
}

std::string read_until_eof(int fd) {
  std::string data;
  char chunk[4096];
  for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    data.append(chunk, static_cast<std::size_t>(n));
  }
  return data;
}

struct Pipe {
  Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void close_end(int end) {
    ::close(fds[end]);
    fds[end] = -1;
  }
  int fds[2] = {-1, -1};
};

// A connected pair of stream sockets whose sending side holds little, so that a large batch
// can only go out in pieces.
struct SmallSocketPair {
  explicit SmallSocketPair(bool nonblocking) {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    const int size = 4096;
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (nonblocking) ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  }
  ~SmallSocketPair() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int fds[2] = {-1, -1};
};

// ---- StreamSink ----

TEST(StreamSinkTest, WritesABatchOfJsonLines) {
  Pipe pipe;
  StreamSink sink({.fd = pipe.fds[1]});
  const std::vector<LogRecord> records = numbered_records(3);
  sink.write(records, Resource());
  pipe.close_end(1);
  const std::string written = read_until_eof(pipe.fds[0]);
  EXPECT_EQ(written, json_lines(records));
  EXPECT_EQ(messages_of(written), names(0, 2));
  EXPECT_EQ(sink.stats().bytes_written, written.size());
  EXPECT_EQ(sink.stats().write_errors, 0U);
}

TEST(StreamSinkTest, WritesConsoleLines) {
  Pipe pipe;
  StreamSink sink({.fd = pipe.fds[1], .format = LogFormat::kConsole, .color = true});
  LogRecord record;
  record.level = LogLevel::kWarn;
  record.message = "disk\nfull";
  sink.write(std::span(&record, 1), Resource());
  pipe.close_end(1);
  EXPECT_EQ(read_until_eof(pipe.fds[0]), "00:00:00.000 \x1b[33mWARN\x1b[0m  disk\\nfull\n");
}

TEST(StreamSinkTest, EmptyBatchWritesNothing) {
  Pipe pipe;
  StreamSink sink({.fd = pipe.fds[1]});
  sink.write({}, Resource());
  EXPECT_EQ(sink.stats().bytes_written, 0U);
  EXPECT_EQ(sink.stats().write_errors, 0U);
}

// The batch is 50 times what the socket holds, so the non-blocking writer must see partial
// writes and EAGAIN, wait for room, and resume where it stopped.
TEST(StreamSinkTest, ResumesPartialWritesUntilTheBatchIsOut) {
  for (const bool nonblocking : {true, false}) {
    SmallSocketPair sockets(nonblocking);
    const std::vector<LogRecord> records = numbered_records(200, 0, 1000);
    const std::string expected = json_lines(records);
    std::string received;
    std::thread reader([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the socket fill up
      received = read_until_eof(sockets.fds[1]);
    });
    StreamSink sink({.fd = sockets.fds[0]});
    sink.write(records, Resource());
    ::shutdown(sockets.fds[0], SHUT_WR);
    reader.join();
    EXPECT_EQ(received.size(), expected.size()) << "nonblocking=" << nonblocking;
    EXPECT_TRUE(received == expected) << "nonblocking=" << nonblocking;
    EXPECT_EQ(sink.stats().bytes_written, expected.size());
    EXPECT_EQ(sink.stats().write_errors, 0U);
  }
}

TEST(StreamSinkTest, GivesUpOnAReaderThatStalls) {
  SmallSocketPair sockets(true);
  const std::vector<LogRecord> records = numbered_records(100, 0, 10'000);
  StreamSink sink({.fd = sockets.fds[0]});
  const auto start = std::chrono::steady_clock::now();
  sink.write(records, Resource());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(sink.stats().write_errors, 1U);
  EXPECT_GT(sink.stats().bytes_written, 0U);
  EXPECT_LT(sink.stats().bytes_written, json_lines(records).size());
  EXPECT_GE(elapsed, std::chrono::milliseconds(90));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(StreamSinkTest, AReaderThatHasGoneAwayIsCountedWithoutSigpipe) {
  sigset_t mask_before;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &mask_before), 0);
  Pipe pipe;
  pipe.close_end(0);
  StreamSink sink({.fd = pipe.fds[1]});
  const std::vector<LogRecord> records = numbered_records(2);
  sink.write(records, Resource());  // SIGPIPE's default action would end this test program
  sink.write(records, Resource());
  EXPECT_EQ(sink.stats().write_errors, 2U);
  EXPECT_EQ(sink.stats().bytes_written, 0U);
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "a SIGPIPE was left pending";
  sigset_t mask_after;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &mask_after), 0);
  EXPECT_EQ(sigismember(&mask_after, SIGPIPE), sigismember(&mask_before, SIGPIPE));
}

TEST(StreamSinkTest, ABadDescriptorIsCounted) {
  StreamSink sink({.fd = -1});
  const std::vector<LogRecord> records = numbered_records(1);
  sink.write(records, Resource());
  EXPECT_EQ(sink.stats().write_errors, 1U);
  EXPECT_EQ(sink.stats().bytes_written, 0U);
}

TEST(StreamSinkTest, PipesAreNotTerminals) {
  Pipe pipe;
  EXPECT_FALSE(stream_is_terminal(pipe.fds[1]));
  EXPECT_FALSE(stream_is_terminal(-1));
}

// ---- RotatingFileSink ----

class RotatingFileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        ::testing::TempDir() + "mmf_log_sinks_" + test->name() + "_" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_;
    path_ = dir_ + "/app.log";
  }
  void TearDown() override {
    std::remove(path_.c_str());
    for (int n = 1; n <= 10; ++n) std::remove(numbered(n).c_str());
    ::rmdir(dir_.c_str());
  }

  std::string numbered(int n) const { return path_ + "." + std::to_string(n); }

  static std::string contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static bool exists(const std::string& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0;
  }

  static std::size_t line_size() { return json_lines(numbered_records(1)).size(); }

  std::string dir_;
  std::string path_;
};

TEST_F(RotatingFileSinkTest, AppendsToTheFile) {
  {
    RotatingFileSink sink({.path = path_});
    sink.write(numbered_records(2), Resource());
    EXPECT_EQ(sink.stats().bytes_written, 2 * line_size());
  }
  RotatingFileSink sink({.path = path_});
  sink.write(numbered_records(1, 2), Resource());
  EXPECT_EQ(messages_of(contents(path_)), names(0, 2));
  EXPECT_EQ(sink.stats().rotations, 0U);
  const mode_t umask = ::umask(0);
  ::umask(umask);
  struct stat status {};
  ASSERT_EQ(::stat(path_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0644 & ~umask);
}

TEST_F(RotatingFileSinkTest, RotatesBySizeAndKeepsMaxFiles) {
  for (const bool one_batch : {false, true}) {
    TearDown();
    SetUp();
    RotatingFileSink sink({.path = path_, .max_bytes = 3 * line_size(), .max_files = 2});
    const std::vector<LogRecord> records = numbered_records(10);
    if (one_batch) {
      sink.write(records, Resource());
    } else {
      for (const LogRecord& record : records) sink.write(std::span(&record, 1), Resource());
    }
    // 0-2 filled the first file, 3-5 the second, 6-8 the third; 9 started the fourth. Only the
    // newest two rotated files are kept.
    EXPECT_EQ(messages_of(contents(path_)), names(9, 9)) << one_batch;
    EXPECT_EQ(messages_of(contents(numbered(1))), names(6, 8)) << one_batch;
    EXPECT_EQ(messages_of(contents(numbered(2))), names(3, 5)) << one_batch;
    EXPECT_FALSE(exists(numbered(3)));
    EXPECT_EQ(sink.stats().rotations, 3U);
    EXPECT_EQ(sink.stats().bytes_written, 10 * line_size());
    EXPECT_EQ(sink.stats().write_errors, 0U);
  }
}

TEST_F(RotatingFileSinkTest, MaxFilesZeroStartsTheFileOver) {
  RotatingFileSink sink({.path = path_, .max_bytes = 3 * line_size(), .max_files = 0});
  sink.write(numbered_records(8), Resource());
  EXPECT_EQ(messages_of(contents(path_)), names(6, 7));
  EXPECT_FALSE(exists(numbered(1)));
  EXPECT_EQ(sink.stats().rotations, 2U);
}

TEST_F(RotatingFileSinkTest, ALineLongerThanMaxBytesIsWrittenWholeToAFileOfItsOwn) {
  RotatingFileSink sink({.path = path_, .max_bytes = line_size() / 2, .max_files = 5});
  sink.write(numbered_records(3), Resource());
  EXPECT_EQ(messages_of(contents(path_)), names(2, 2));
  EXPECT_EQ(messages_of(contents(numbered(1))), names(1, 1));
  EXPECT_EQ(messages_of(contents(numbered(2))), names(0, 0));
  EXPECT_EQ(sink.stats().rotations, 2U);
}

TEST_F(RotatingFileSinkTest, WhatTheFileAlreadyHeldCountsTowardMaxBytes) {
  const std::string earlier = json_lines(numbered_records(2, 100));
  std::ofstream(path_, std::ios::binary) << earlier;
  RotatingFileSink sink({.path = path_, .max_bytes = 3 * line_size(), .max_files = 1});
  sink.write(numbered_records(2), Resource());
  EXPECT_EQ(contents(numbered(1)), earlier + json_lines(numbered_records(1)));
  EXPECT_EQ(messages_of(contents(path_)), names(1, 1));
}

TEST_F(RotatingFileSinkTest, WritesConsoleLinesWithoutColour) {
  RotatingFileSink sink({.path = path_, .format = LogFormat::kConsole});
  sink.write(numbered_records(1), Resource());
  EXPECT_EQ(contents(path_), "00:00:00.000 INFO  record-0000\n");
}

TEST_F(RotatingFileSinkTest, AFileThatCannotBeOpenedIsAnErrorNamingThePath) {
  const std::string missing = dir_ + "/no-such-dir/app.log";
  try {
    RotatingFileSink sink({.path = missing});
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos) << error.what();
  }
}

TEST_F(RotatingFileSinkTest, BadOptionsAreRejectedNamingTheSetting) {
  auto message = [](const RotatingFileOptions& options) -> std::string {
    try {
      RotatingFileSink sink(options);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "no exception";
  };
  EXPECT_NE(message({}).find("path"), std::string::npos);
  EXPECT_NE(message({.path = path_, .max_bytes = 0}).find("max_bytes"), std::string::npos);
  EXPECT_NE(message({.path = path_, .max_files = -1}).find("max_files"), std::string::npos);
}

// When the directory disappears, rotation cannot reopen the file: the loss is counted, and the
// sink opens the file again once it can.
TEST_F(RotatingFileSinkTest, RecoversWhenTheFileCanBeOpenedAgain) {
  RotatingFileSink sink({.path = path_, .max_bytes = line_size(), .max_files = 1});
  sink.write(numbered_records(1), Resource());
  ASSERT_EQ(std::remove(path_.c_str()), 0);
  ASSERT_EQ(::rmdir(dir_.c_str()), 0);
  sink.write(numbered_records(1, 1), Resource());  // rotation: rename and reopen fail
  sink.write(numbered_records(1, 2), Resource());  // still cannot open
  EXPECT_GE(sink.stats().write_errors, 2U);
  ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
  sink.write(numbered_records(1, 3), Resource());
  EXPECT_EQ(messages_of(contents(path_)), names(3, 3));
}

}  // namespace
}  // namespace mmf
