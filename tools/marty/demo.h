// `marty demo`: the project's main job, a small scenario that shows the library at work.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace marty {

struct DemoOptions {
  // Keep serving simulated traffic for this long; one walk-through when unset.
  std::optional<std::chrono::milliseconds> duration;
  // Where the traffic serves /metrics (0: any free port), over any configuration. Unset: the
  // configuration's port; when none set it, 9464, or a free port when 9464 is taken.
  std::optional<int> metrics_port;
  // The configuration file (--config); "": the one MMF_CONFIG_FILE names, if any.
  std::string config_file;
};

// Runs the demo. Narrates on stdout, reports on stderr. Returns the process exit code: non-zero
// when a check inside the demo failed (a correlation ID lost on the way, for example).
int run_demo(const DemoOptions& options);

}  // namespace marty
