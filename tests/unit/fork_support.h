// For tests of what a forked child does (a child must never repeat its parent's random IDs):
// runs fn in a child made with fork() and returns the text fn returned there.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>

namespace mmf::testing_support {

// The child's text, or nullopt when the child could not be made, did not exit cleanly, or
// could not write it all. The child leaves with _exit(): nothing of the parent's (static
// destructors, gtest's bookkeeping) runs twice.
inline std::optional<std::string> text_from_forked_child(const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    close(fds[0]);
    const std::string text = fn();
    const ssize_t written = write(fds[1], text.data(), text.size());
    _exit(written == static_cast<ssize_t>(text.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string text;
  char buffer[256];
  ssize_t got = 0;
  while ((got = read(fds[0], buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return text;
}

}  // namespace mmf::testing_support
