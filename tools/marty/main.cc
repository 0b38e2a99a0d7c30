// marty: the command-line tool of mmf-observability.
//
//   marty --help | --version
//   marty demo [--duration SECONDS] [--metrics-port PORT] [--config FILE]
//
// Later capabilities add subcommands (generate service, the local backend).
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "demo.h"
#include "demo_services.h"
#include "mmf/version.h"

namespace {

constexpr int kUsageError = 2;

constexpr const char* kUsage = R"(marty - the mmf-observability command-line tool

Usage:
  marty demo [--duration SECONDS] [--metrics-port PORT] [--config FILE]
                                    run the demo: context, propagation, tracing, metrics, logs
  marty --version                   print the version
  marty --help                      print this help

Commands:
  demo      Walks one simulated request through a gateway, a payment service, a worker
            thread and a legacy Python MMF caller in this process, printing the context at
            each hop, then its spans and metrics. Then starts three services as separate
            processes on loopback ports they choose (gateway -> order -> payment, with a
            fraud-plugin; the order service speaks gRPC), sends one request through them
            (HTTP -> gRPC -> HTTP) and prints its trace ID and correlation ID, and the trace
            as the three exported it. With --duration, drives traffic through
            them for that many seconds (fractions allowed), checks that no request lost its
            correlation ID, and prints a summary on stderr. Each service serves its
            metrics, /healthz and /readyz; the gateway at http://127.0.0.1:PORT/metrics
            (--metrics-port, default 9464 or a free port when 9464 is taken; 0 picks a
            free port), the others on free ports (their URLs are printed on stderr).

            The demo is configured like any service built on mmf-observability: the
            YAML file of --config (else MMF_CONFIG_FILE), then the OTEL_* and MMF_*
            variables (docs/configuration.md). Spans go to stdout unless an OTLP endpoint
            is set (OTEL_EXPORTER_OTLP_ENDPOINT); logs go to stdout as JSON lines
            (MMF_LOG_FORMAT=console for text); MMF_ENVIRONMENT picks a preset. A bad
            setting is reported with its source and the demo exits with status 2.
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "marty: %s\nTry 'marty --help'.\n", message.c_str());
  return kUsageError;
}

// Parses a positive number of seconds ("5", "0.5"); nullopt when malformed or out of range.
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
  double seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > 7 * 24 * 3600.0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

int run_demo_command(const std::vector<std::string_view>& args) {
  marty::DemoOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string_view value;
    if (arg == "--metrics-port" || arg.starts_with("--metrics-port=")) {
      if (arg == "--metrics-port") {
        if (i + 1 == args.size()) return usage_error("--metrics-port needs a port number");
        value = args[++i];
      } else {
        value = arg.substr(std::string_view("--metrics-port=").size());
      }
      int port = -1;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (error != std::errc() || end != value.data() + value.size() || port < 0 || port > 65535) {
        return usage_error("--metrics-port must be a port number (0 to 65535), got '" +
                           std::string(value) + "'");
      }
      options.metrics_port = port;
      continue;
    }
    if (arg == "--config" || arg.starts_with("--config=")) {
      if (arg == "--config") {
        if (i + 1 == args.size()) return usage_error("--config needs a file path");
        value = args[++i];
      } else {
        value = arg.substr(std::string_view("--config=").size());
      }
      if (value.empty()) return usage_error("--config needs a file path");
      options.config_file = std::string(value);
      continue;
    }
    if (arg == "--duration") {
      if (i + 1 == args.size()) return usage_error("--duration needs a number of seconds");
      value = args[++i];
    } else if (arg.starts_with("--duration=")) {
      value = arg.substr(std::string_view("--duration=").size());
    } else {
      return usage_error("unknown option for demo: '" + std::string(arg) + "'");
    }
    options.duration = parse_seconds(value);
    if (!options.duration) {
      return usage_error("--duration must be a positive number of seconds, got '" +
                         std::string(value) + "'");
    }
  }
  return marty::run_demo(options);
}

// marty demo-service --role R [--next URL] [--metrics-port P] [--config F]
int run_demo_service_command(const std::vector<std::string_view>& args) {
  marty::DemoServiceOptions options;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string value(args[i + 1]);
    if (args[i] == "--role") {
      options.role = value;
    } else if (args[i] == "--next") {
      options.next_url = value;
    } else if (args[i] == "--config") {
      options.demo.config_file = value;
    } else if (args[i] == "--metrics-port") {
      int port = -1;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (error != std::errc() || end != value.data() + value.size() || port < 0 || port > 65535) {
        return usage_error("--metrics-port must be a port number (0 to 65535)");
      }
      options.demo.metrics_port = port;
    } else {
      return usage_error("unknown option for demo-service: '" + std::string(args[i]) + "'");
    }
  }
  if (args.size() % 2 != 0) return usage_error("demo-service: an option lacks its value");
  return marty::run_demo_service(options);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kUsageError;
  }
  const std::string_view command = args.front();
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version" || command == "version") {
    std::printf("marty (%s) %s\n", mmf::kLibraryName, mmf::kVersion);
    return 0;
  }
  if (command == "demo") return run_demo_command({args.begin() + 1, args.end()});
  // The demo's services (started by `marty demo`; not meant to be run by hand).
  if (command == "demo-service") return run_demo_service_command({args.begin() + 1, args.end()});
  return usage_error("unknown command '" + std::string(command) + "'");
}
