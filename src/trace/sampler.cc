#include "mmf/sampler.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

#include "propagation/text.h"

namespace mmf {
namespace {

std::string fixed6(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%f", value);
  return text;
}

class ConstantSampler final : public Sampler {
 public:
  explicit ConstantSampler(bool sample) : Sampler(true), sample_(sample) {}
  SamplingResult should_sample(const SamplingParameters& parameters) noexcept override {
    return {.decision = decide(parameters)};
  }
  SamplingDecision decide(const SamplingParameters& /*parameters*/) noexcept override {
    return sample_ ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }
  std::string description() const override {
    return sample_ ? "AlwaysOnSampler" : "AlwaysOffSampler";
  }

 private:
  bool sample_;
};

// The decision uses the last 8 bytes of the trace ID as a big-endian number, shifted right by one
// so that the comparison stays in int64 range: the same rule as the Go and Java SDKs, so services
// written with them and with this library agree on which traces a ratio keeps. W3C trace IDs are
// random in (at least) their last 7 bytes.
class TraceIdRatioSampler final : public Sampler {
 public:
  explicit TraceIdRatioSampler(double ratio)
      : Sampler(true),
        ratio_(std::isnan(ratio) ? 0.0 : std::clamp(ratio, 0.0, 1.0)),
        bound_(ratio_ >= 1.0 ? std::uint64_t{1} << 63
                             : static_cast<std::uint64_t>(ratio_ * 9223372036854775808.0)) {}

  SamplingResult should_sample(const SamplingParameters& parameters) noexcept override {
    return {.decision = decide(parameters)};
  }
  SamplingDecision decide(const SamplingParameters& parameters) noexcept override {
    const auto& bytes = parameters.trace_id.bytes();
    std::uint64_t low = 0;
    for (std::size_t i = 8; i < 16; ++i) low = (low << 8) | bytes[i];
    return (low >> 1) < bound_ ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
  }
  std::string description() const override { return "TraceIdRatioBased{" + fixed6(ratio_) + "}"; }

 private:
  double ratio_;
  std::uint64_t bound_;
};

class ParentBasedSampler final : public Sampler {
 public:
  ParentBasedSampler(std::shared_ptr<Sampler> root, ParentBasedOptions options)
      : Sampler(all_decision_only(root, options)),
        root_(root ? std::move(root) : always_on_sampler()),
        options_(std::move(options)) {
    if (!options_.remote_parent_sampled) options_.remote_parent_sampled = always_on_sampler();
    if (!options_.remote_parent_not_sampled) {
      options_.remote_parent_not_sampled = always_off_sampler();
    }
    if (!options_.local_parent_sampled) options_.local_parent_sampled = always_on_sampler();
    if (!options_.local_parent_not_sampled) {
      options_.local_parent_not_sampled = always_off_sampler();
    }
  }

  SamplingResult should_sample(const SamplingParameters& parameters) noexcept override {
    return delegate(parameters.parent).should_sample(parameters);
  }
  SamplingDecision decide(const SamplingParameters& parameters) noexcept override {
    return delegate(parameters.parent).decide(parameters);
  }

  Sampler& delegate(const SpanContext& parent) const noexcept {
    if (!parent.is_valid()) return *root_;
    if (parent.is_remote) {
      return parent.is_sampled() ? *options_.remote_parent_sampled
                                 : *options_.remote_parent_not_sampled;
    }
    return parent.is_sampled() ? *options_.local_parent_sampled
                               : *options_.local_parent_not_sampled;
  }

  static bool all_decision_only(const std::shared_ptr<Sampler>& root,
                                const ParentBasedOptions& options) {
    const auto simple = [](const std::shared_ptr<Sampler>& sampler) {
      return sampler == nullptr || sampler->decision_only();  // null means a constant default
    };
    return simple(root) && simple(options.remote_parent_sampled) &&
           simple(options.remote_parent_not_sampled) && simple(options.local_parent_sampled) &&
           simple(options.local_parent_not_sampled);
  }

  std::string description() const override {
    return "ParentBased{root=" + root_->description() +
           ",remoteParentSampled=" + options_.remote_parent_sampled->description() +
           ",remoteParentNotSampled=" + options_.remote_parent_not_sampled->description() +
           ",localParentSampled=" + options_.local_parent_sampled->description() +
           ",localParentNotSampled=" + options_.local_parent_not_sampled->description() + "}";
  }

 private:
  std::shared_ptr<Sampler> root_;
  ParentBasedOptions options_;
};

// A token bucket kept as one atomic number (the generic cell rate algorithm): theoretical_ is the
// time at which the bucket would be full again. A trace is allowed when that time is at most one
// second ahead of now, and each allowed trace pushes it one interval further. One compare-and-swap
// per decision, no lock, and exact under contention.
class RateLimitingSampler final : public Sampler {
 public:
  explicit RateLimitingSampler(double traces_per_second)
      : Sampler(true),
        rate_(std::isnan(traces_per_second) ? 0.0 : std::max(traces_per_second, 0.0)),
        interval_nanos_(rate_ > 0 ? static_cast<std::int64_t>(std::llround(1e9 / rate_)) : 0),
        burst_nanos_(std::max<std::int64_t>(kSecond - interval_nanos_, 0)) {}

  SamplingResult should_sample(const SamplingParameters& parameters) noexcept override {
    return {.decision = decide(parameters)};
  }
  SamplingDecision decide(const SamplingParameters& /*parameters*/) noexcept override {
    if (rate_ <= 0.0) return SamplingDecision::kDrop;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t theoretical = theoretical_.load(std::memory_order_relaxed);
    while (true) {
      const std::int64_t base = std::max(theoretical, now);
      if (base - now > burst_nanos_) return SamplingDecision::kDrop;
      if (theoretical_.compare_exchange_weak(theoretical, base + interval_nanos_,
                                             std::memory_order_relaxed)) {
        return SamplingDecision::kRecordAndSample;
      }
    }
  }
  std::string description() const override { return "RateLimitingSampler{" + fixed6(rate_) + "}"; }

 private:
  static constexpr std::int64_t kSecond = 1'000'000'000;
  double rate_;
  std::int64_t interval_nanos_;
  std::int64_t burst_nanos_;
  std::atomic<std::int64_t> theoretical_{0};
};

std::optional<double> parse_number(std::string_view text) {
  text = detail::trim_ows(text);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

SamplingDecision Sampler::decide(const SamplingParameters& parameters) noexcept {
  return should_sample(parameters).decision;
}

std::shared_ptr<Sampler> always_on_sampler() {
  static const auto sampler = std::make_shared<ConstantSampler>(true);
  return sampler;
}

std::shared_ptr<Sampler> always_off_sampler() {
  static const auto sampler = std::make_shared<ConstantSampler>(false);
  return sampler;
}

std::shared_ptr<Sampler> trace_id_ratio_sampler(double ratio) {
  return std::make_shared<TraceIdRatioSampler>(ratio);
}

std::shared_ptr<Sampler> parent_based_sampler(std::shared_ptr<Sampler> root,
                                              ParentBasedOptions options) {
  return std::make_shared<ParentBasedSampler>(std::move(root), std::move(options));
}

std::shared_ptr<Sampler> rate_limiting_sampler(double traces_per_second) {
  return std::make_shared<RateLimitingSampler>(traces_per_second);
}

std::shared_ptr<Sampler> sampler_from_config(std::string_view name,
                                             std::optional<std::string_view> argument,
                                             std::string_view source, ConfigErrors& errors,
                                             std::string_view argument_source) {
  const bool ratio_based = name == "traceidratio" || name == "parentbased_traceidratio";
  const bool rate_based = name == "ratelimiting" || name == "parentbased_ratelimiting";
  double value = rate_based ? 100.0 : 1.0;
  if ((ratio_based || rate_based) && argument.has_value() && !argument->empty()) {
    const std::optional<double> parsed = parse_number(*argument);
    if (!parsed || (ratio_based && (*parsed < 0.0 || *parsed > 1.0)) ||
        (rate_based && *parsed < 0.0)) {
      errors.push_back({argument_source.empty() ? std::string(source) + " argument"
                                                : std::string(argument_source),
                        std::string("'") + std::string(argument->substr(0, 64)) + "' is not " +
                            (ratio_based ? "a ratio in [0, 1]" : "a rate of traces per second")});
      return nullptr;
    }
    value = *parsed;
  }
  if (name == "always_on") return always_on_sampler();
  if (name == "always_off") return always_off_sampler();
  if (name == "traceidratio") return trace_id_ratio_sampler(value);
  if (name == "ratelimiting") return rate_limiting_sampler(value);
  if (name == "parentbased_always_on") return parent_based_sampler(always_on_sampler());
  if (name == "parentbased_always_off") return parent_based_sampler(always_off_sampler());
  if (name == "parentbased_traceidratio") {
    return parent_based_sampler(trace_id_ratio_sampler(value));
  }
  if (name == "parentbased_ratelimiting") {
    return parent_based_sampler(rate_limiting_sampler(value));
  }
  errors.push_back({std::string(source),
                    "unknown sampler '" + std::string(name.substr(0, 64)) +
                        "' (expected always_on, always_off, traceidratio, parentbased_always_on, "
                        "parentbased_always_off, parentbased_traceidratio, ratelimiting or "
                        "parentbased_ratelimiting)"});
  return nullptr;
}

std::shared_ptr<Sampler> sampler_from_env(const EnvLookup& env, ConfigErrors& errors) {
  const std::optional<std::string> name = read_string(env, "OTEL_TRACES_SAMPLER");
  if (!name) return nullptr;
  const std::optional<std::string> argument = read_string(env, "OTEL_TRACES_SAMPLER_ARG");
  std::optional<std::string_view> argument_view;
  if (argument) argument_view = *argument;
  return sampler_from_config(*name, argument_view, "environment variable OTEL_TRACES_SAMPLER",
                             errors, "environment variable OTEL_TRACES_SAMPLER_ARG");
}

}  // namespace mmf
