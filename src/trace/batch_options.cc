#include "mmf/batch_options.h"

#include <cstdint>
#include <string>

namespace mmf {

BatchOptions batch_options_from_env(const EnvLookup& env, ConfigErrors& errors,
                                    BatchOptions defaults) {
  BatchOptions options = defaults;
  // A queue of a million spans per thread is already far beyond any sane memory budget.
  constexpr std::int64_t kMaxSpans = 1 << 20;
  if (auto value = read_milliseconds(env, "OTEL_BSP_SCHEDULE_DELAY", errors)) {
    options.schedule_delay = *value;
  }
  if (auto value = read_milliseconds(env, "OTEL_BSP_EXPORT_TIMEOUT", errors)) {
    options.export_timeout = *value;
  }
  if (auto value = read_int(env, "OTEL_BSP_MAX_QUEUE_SIZE", 1, kMaxSpans, errors)) {
    options.max_queue_size = static_cast<std::size_t>(*value);
  }
  if (auto value = read_int(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1, kMaxSpans, errors)) {
    options.max_export_batch_size = static_cast<std::size_t>(*value);
  }
  return options;
}

void validate(const BatchOptions& options, std::string_view source, ConfigErrors& errors) {
  const std::string prefix(source);
  if (options.max_queue_size == 0) {
    errors.push_back({prefix + ".max_queue_size", "must be at least 1"});
  }
  if (options.max_export_batch_size == 0) {
    errors.push_back({prefix + ".max_export_batch_size", "must be at least 1"});
  }
  if (options.max_export_batch_size > options.max_queue_size && options.max_queue_size > 0) {
    errors.push_back(
        {prefix + ".max_export_batch_size", std::to_string(options.max_export_batch_size) +
                                                " is larger than max_queue_size " +
                                                std::to_string(options.max_queue_size)});
  }
  if (options.schedule_delay.count() < 0) {
    errors.push_back({prefix + ".schedule_delay", "must not be negative"});
  }
  if (options.export_timeout.count() <= 0) {
    errors.push_back({prefix + ".export_timeout", "must be positive"});
  }
}

}  // namespace mmf
