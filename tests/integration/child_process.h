// Child processes for the integration tests that run peers (node): a process with pipes to
// its stdin, stdout and stderr, and where to find node.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace mmf::testing_support {

// A child process with pipes to its stdin, stdout and stderr. The pipes are close-on-exec, so
// that a later child does not inherit (and hold open) this one's stdin.
class ChildProcess {
 public:
  // Starts argv (argv[0] an absolute path) with the inherited environment; throws
  // std::runtime_error when it cannot.
  explicit ChildProcess(const std::vector<std::string>& argv) {
    std::array<int, 2> in_pipe{};
    std::array<int, 2> out_pipe{};
    std::array<int, 2> err_pipe{};
    if (pipe2(in_pipe.data(), O_CLOEXEC) != 0 || pipe2(out_pipe.data(), O_CLOEXEC) != 0 ||
        pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    stdin_ = in_pipe[1];
    fds_ = {{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
    if (error != 0) {
      pid_ = -1;
      throw std::runtime_error("posix_spawn(" + argv[0] + "): " + std::strerror(error));
    }
  }
  // A child still running is told to stop (its stdin closes, then SIGTERM) and reaped.
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      finish(std::chrono::seconds(10));
    }
    close_fd(stdin_);
    for (pollfd& fd : fds_) close_fd(fd.fd);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The first line of its stdout, without the '\n'; empty when none came before timeout.
  std::string read_line(std::chrono::seconds timeout) {
    pump(std::chrono::steady_clock::now() + timeout,
         [this] { return out_.find('\n') != std::string::npos; });
    const std::size_t end = out_.find('\n');
    return end == std::string::npos ? "" : out_.substr(0, end);
  }

  // Closes its stdin, reads its output to the end and waits for it; kills it when it is not
  // done within timeout. The exit code is -1 when it did not exit normally.
  int finish(std::chrono::seconds timeout) {
    close_fd(stdin_);
    const bool done = pump(std::chrono::steady_clock::now() + timeout, [] { return false; });
    if (!done) {
      kill(pid_, SIGKILL);
      err_ += "\n[killed after " + std::to_string(timeout.count()) + " s]";
    }
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }

  // Reads stdout and stderr until stop() holds (true), both reach end of file (true) or the
  // deadline passes (false).
  template <class Stop>
  bool pump(std::chrono::steady_clock::time_point deadline, Stop stop) {
    std::array<std::string*, 2> sinks{&out_, &err_};
    while (!stop()) {
      if (fds_[0].fd < 0 && fds_[1].fd < 0) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (poll(fds_.data(), fds_.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
        return false;
      }
      for (std::size_t i = 0; i < fds_.size(); ++i) {
        if (fds_[i].fd < 0 || fds_[i].revents == 0) continue;
        char buffer[4096];
        const ssize_t n = read(fds_[i].fd, buffer, sizeof buffer);
        if (n > 0) {
          sinks[i]->append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          close_fd(fds_[i].fd);  // poll() ignores negative descriptors
        }
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  std::array<pollfd, 2> fds_{};
  std::string out_;
  std::string err_;
};

inline std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// node on PATH (absolute), else /usr/bin/node, else "".
inline std::string find_node() {
  std::string_view path = std::getenv("PATH") == nullptr ? "" : std::getenv("PATH");
  while (!path.empty()) {
    const std::size_t colon = path.find(':');
    const std::filesystem::path candidate = std::filesystem::path(path.substr(0, colon)) / "node";
    if (access(candidate.c_str(), X_OK) == 0) return std::filesystem::absolute(candidate).string();
    path = colon == std::string_view::npos ? "" : path.substr(colon + 1);
  }
  return access("/usr/bin/node", X_OK) == 0 ? "/usr/bin/node" : "";
}

// The npm project of the JS peers and node, for a test's SetUp. dir comes from the environment's
// MMF_OTLP_JS_DIR, else compiled_dir (the build's copy); scripts must be in it. problem says
// what is missing; fatal tells a broken set-up (fail) from a project whose `npm ci` has not run,
// which skips unless MMF_REQUIRE_JS_PEER=1.
struct JsPeer {
  std::string dir;
  std::string node;
  std::string problem;
  bool fatal = false;
};
inline JsPeer find_js_peer(std::string compiled_dir, std::initializer_list<const char*> scripts) {
  JsPeer peer;
  peer.dir = env_or_empty("MMF_OTLP_JS_DIR");
  if (peer.dir.empty()) peer.dir = std::move(compiled_dir);
  peer.fatal = true;
  if (peer.dir.empty()) {
    peer.problem = "set MMF_OTLP_JS_DIR to tests/integration/otlp_js";
    return peer;
  }
  for (const char* script : scripts) {
    if (!std::filesystem::exists(std::filesystem::path(peer.dir) / script)) {
      peer.problem = std::string(script) + " not found in " + peer.dir;
      return peer;
    }
  }
  if (!std::filesystem::exists(std::filesystem::path(peer.dir) / "node_modules")) {
    peer.problem = "no node_modules in " + peer.dir + ": run `npm ci` there";
    peer.fatal = env_or_empty("MMF_REQUIRE_JS_PEER") == "1";
    if (peer.fatal) peer.problem += " (MMF_REQUIRE_JS_PEER=1)";
    return peer;
  }
  peer.node = find_node();
  if (peer.node.empty()) peer.problem = "node is not on PATH nor at /usr/bin/node";
  return peer;
}

}  // namespace mmf::testing_support
