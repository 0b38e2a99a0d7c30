// span_exporter_from_env(): the exporters OTEL_TRACES_EXPORTER names (mmf/exporters.h).
#include <memory>
#include <string>
#include <vector>

#include "mmf/exporters.h"

namespace mmf {
namespace {

// Sends every batch to each of several exporters ("otlp,console").
class FanOutSpanExporter final : public SpanExporter {
 public:
  explicit FanOutSpanExporter(std::vector<std::shared_ptr<SpanExporter>> exporters)
      : exporters_(std::move(exporters)) {}

  ExportResult export_spans(std::span<const SpanView> spans, const Resource& resource,
                            const InstrumentationScope& scope,
                            std::chrono::steady_clock::time_point deadline) noexcept override {
    ExportResult result = ExportResult::kSuccess;
    for (const auto& exporter : exporters_) {
      if (exporter->export_spans(spans, resource, scope, deadline) != ExportResult::kSuccess) {
        result = ExportResult::kFailure;
      }
    }
    return result;
  }
  void shutdown() noexcept override {
    for (const auto& exporter : exporters_) exporter->shutdown();
  }

 private:
  std::vector<std::shared_ptr<SpanExporter>> exporters_;
};

}  // namespace

std::shared_ptr<SpanExporter> span_exporter_from_env(const EnvLookup& env, ConfigErrors& errors) {
  const std::string names = read_string(env, "OTEL_TRACES_EXPORTER").value_or("otlp");
  std::vector<std::shared_ptr<SpanExporter>> exporters;
  bool none = false;
  std::string_view rest = names;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name == "none") {
      none = true;
    } else if (name == "console") {
      exporters.push_back(std::make_shared<ConsoleSpanExporter>());
    } else if (name == "otlp") {
      // A misconfigured exporter is not made at all: the errors say why, and a caller that
      // starts anyway must not send spans somewhere the operator did not mean.
      const std::size_t known_errors = errors.size();
      OtlpExporterOptions options = otlp_exporter_options_from_env(env, errors);
      if (errors.size() == known_errors) validate(options.http, "OTLP exporter options", errors);
      if (errors.size() == known_errors) {
        exporters.push_back(std::make_shared<OtlpSpanExporter>(std::move(options)));
      }
    } else if (!name.empty()) {
      errors.push_back({"environment variable OTEL_TRACES_EXPORTER",
                        "unknown exporter '" + std::string(name.substr(0, 64)) +
                            "' (expected otlp, console or none)"});
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (none) return nullptr;
  return fan_out(std::move(exporters));
}

std::shared_ptr<SpanExporter> fan_out(std::vector<std::shared_ptr<SpanExporter>> exporters) {
  std::erase(exporters, nullptr);
  if (exporters.empty()) return nullptr;
  if (exporters.size() == 1) return exporters.front();
  return std::make_shared<FanOutSpanExporter>(std::move(exporters));
}

}  // namespace mmf
