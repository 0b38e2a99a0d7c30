// Samplers: which new spans are recorded and exported.
//
// The Tracer asks its Sampler once per new span, before the span exists. Every sampler here is
// safe to share between threads and costs a few nanoseconds: no lock, no allocation unless it
// adds attributes. The standard ones follow the OpenTelemetry specification and are named as
// OTEL_TRACES_SAMPLER names them (see sampler_from_config()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/environment.h"
#include "mmf/span_kind.h"
#include "mmf/trace_context.h"

namespace mmf {

enum class SamplingDecision : std::uint8_t {
  kDrop,             // not recorded: the span costs almost nothing and is never exported
  kRecordOnly,       // recorded (is_recording() is true) but not sampled: not exported
  kRecordAndSample,  // recorded, sampled flag set, exported
};

// What a sampler sees of the span to come. The references live for the call only.
struct SamplingParameters {
  const SpanContext& parent;  // the parent's context; invalid for a root span
  const TraceId& trace_id;    // the new span's trace ID (the parent's, or a fresh one)
  std::string_view name;
  SpanKind kind;
  std::span<const Attribute> attributes;  // those given at start
};

struct SamplingResult {
  SamplingDecision decision = SamplingDecision::kDrop;
  std::vector<KeyValue> attributes{};       // added to the span when it is recorded
  std::optional<TraceState> trace_state{};  // replaces the parent's tracestate when set
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult should_sample(const SamplingParameters& parameters) noexcept = 0;
  // E.g. "ParentBased{root=TraceIdRatioBased{0.050000}}", as the specification suggests.
  virtual std::string description() const = 0;

  // The decision alone, for samplers that never add attributes or change the tracestate (all of
  // this library's): the tracer calls it instead of should_sample() when decision_only() is
  // true, and so builds no SamplingResult for the many spans a low sample rate drops.
  // (Defined out of line, so that a caller's compiler never guesses this body and inlines its
  // SamplingResult into the caller: the tracer's start_span() grew a frame that large for it.)
  virtual SamplingDecision decide(const SamplingParameters& parameters) noexcept;
  bool decision_only() const noexcept { return decision_only_; }

 protected:
  Sampler() = default;
  // A sampler that passes true promises that should_sample() returns no attributes and no
  // trace_state, so that decide() says all there is to say.
  explicit Sampler(bool decision_only) noexcept : decision_only_(decision_only) {}

 private:
  bool decision_only_ = false;
};

// Samples everything.
std::shared_ptr<Sampler> always_on_sampler();
// Samples nothing.
std::shared_ptr<Sampler> always_off_sampler();
// Samples a trace when its trace ID falls below ratio (clamped to [0, 1]): the decision depends
// on the trace ID only, so every service with the same ratio agrees on a trace.
std::shared_ptr<Sampler> trace_id_ratio_sampler(double ratio);
// Follows the parent's decision when there is a parent; root spans go to root.
struct ParentBasedOptions {
  std::shared_ptr<Sampler> remote_parent_sampled = always_on_sampler();
  std::shared_ptr<Sampler> remote_parent_not_sampled = always_off_sampler();
  std::shared_ptr<Sampler> local_parent_sampled = always_on_sampler();
  std::shared_ptr<Sampler> local_parent_not_sampled = always_off_sampler();
};
std::shared_ptr<Sampler> parent_based_sampler(std::shared_ptr<Sampler> root,
                                              ParentBasedOptions options = {});
// Samples at most traces_per_second new traces per second (a token bucket that allows a burst of
// one second's worth), whatever the load. Not parent-aware by itself: wrap it in
// parent_based_sampler() so that a sampled trace stays sampled across services.
std::shared_ptr<Sampler> rate_limiting_sampler(double traces_per_second);

// The sampler named by OTEL_TRACES_SAMPLER's values: always_on, always_off, traceidratio,
// parentbased_always_on, parentbased_always_off, parentbased_traceidratio, and this library's
// ratelimiting and parentbased_ratelimiting (argument: traces per second). argument is
// OTEL_TRACES_SAMPLER_ARG: a ratio in [0, 1] for the ratio samplers (default 1.0), traces per
// second for the rate-limiting ones (default 100); ignored by the others. A bad name gives
// nullptr and an error naming source; a bad argument, one naming argument_source (default:
// source + " argument").
std::shared_ptr<Sampler> sampler_from_config(std::string_view name,
                                             std::optional<std::string_view> argument,
                                             std::string_view source, ConfigErrors& errors,
                                             std::string_view argument_source = {});
// The same from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG; nullptr (no error) when
// OTEL_TRACES_SAMPLER is unset.
std::shared_ptr<Sampler> sampler_from_env(const EnvLookup& env, ConfigErrors& errors);

}  // namespace mmf
