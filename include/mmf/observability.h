// The umbrella header: everything a service needs in one include.
//
//   #include <mmf/observability.h>
//
// Today: the request Context (mmf/context.h), identifiers (mmf/ids.h), propagation across
// process boundaries (mmf/propagation.h, mmf/carrier.h), coroutine support (mmf/coroutine.h),
// tracing (mmf/tracer.h: spans, samplers, resource, the export pipeline), metric instruments
// (mmf/metrics.h) and the library version (mmf/version.h). Logging and UnifiedObservability join
// as they land.
#pragma once

#include "mmf/baggage.h"
#include "mmf/carrier.h"
#include "mmf/context.h"
#include "mmf/coroutine.h"
#include "mmf/ids.h"
#include "mmf/log.h"
#include "mmf/log_sinks.h"
#include "mmf/metrics.h"
#include "mmf/metrics_scrape.h"
#include "mmf/metrics_server.h"
#include "mmf/otlp_metrics_exporter.h"
#include "mmf/plugins.h"
#include "mmf/propagation.h"
#include "mmf/telemetry_metrics.h"
#include "mmf/trace_context.h"
#include "mmf/tracer.h"
#include "mmf/version.h"
