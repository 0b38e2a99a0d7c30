// BatchOptions: how the tracing pipeline batches finished spans for export, with the
// OpenTelemetry batch span processor's settings and defaults:
//   OTEL_BSP_SCHEDULE_DELAY         schedule_delay          5000 ms
//   OTEL_BSP_EXPORT_TIMEOUT         export_timeout         30000 ms
//   OTEL_BSP_MAX_QUEUE_SIZE         max_queue_size          2048 spans
//   OTEL_BSP_MAX_EXPORT_BATCH_SIZE  max_export_batch_size    512 spans
//
// max_queue_size bounds the spans waiting in each thread's queue (the pipeline keeps one queue
// per thread that ends spans, so that ending a span never contends with another thread). A
// queue also has room for the spans of one batch being exported, which the exporter reads in
// place.
#pragma once

#include <chrono>
#include <cstddef>

#include "mmf/environment.h"

namespace mmf {

struct BatchOptions {
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
};

// defaults with each OTEL_BSP_* variable that is set applied; bad values keep the default and
// add an error.
BatchOptions batch_options_from_env(const EnvLookup& env, ConfigErrors& errors,
                                    BatchOptions defaults = {});

// One error per setting that cannot work (a zero queue or batch size, a batch larger than the
// queue), naming source (e.g. "TracerOptions.batch").
void validate(const BatchOptions& options, std::string_view source, ConfigErrors& errors);

}  // namespace mmf
