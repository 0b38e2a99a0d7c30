#include "export/diagnostics.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace mmf::detail {
namespace {

constexpr std::chrono::seconds kInterval{10};

struct Limiter {
  std::chrono::steady_clock::time_point last{};
  unsigned long held_back = 0;
};

bool silenced() noexcept {
  static const bool off = [] {
    const char* value = std::getenv("MMF_DIAGNOSTICS");
    return value != nullptr && (std::strcmp(value, "off") == 0 || std::strcmp(value, "0") == 0);
  }();
  return off;
}

}  // namespace

void report(std::string_view component, std::string_view message) noexcept {
  if (silenced()) return;
  static std::mutex mutex;
  static std::map<std::string, Limiter, std::less<>> limiters;
  try {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = limiters.find(component);
    if (found == limiters.end()) found = limiters.emplace(std::string(component), Limiter{}).first;
    Limiter& limiter = found->second;
    const auto now = std::chrono::steady_clock::now();
    if (limiter.last != std::chrono::steady_clock::time_point{} && now - limiter.last < kInterval) {
      ++limiter.held_back;
      return;
    }
    limiter.last = now;
    std::string line = "mmf-observability: ";
    line.append(component).append(": ").append(message);
    if (limiter.held_back > 0) {
      line += " (" + std::to_string(limiter.held_back) + " similar reports held back)";
      limiter.held_back = 0;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
  } catch (...) {
    // Out of memory while reporting: nothing useful can be said.
  }
}

}  // namespace mmf::detail
