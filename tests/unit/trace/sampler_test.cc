#include "mmf/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "mmf/ids.h"
#include "mmf/tracer.h"

namespace mmf {
namespace {

SamplingDecision decide(Sampler& sampler, const SpanContext& parent, const TraceId& trace_id) {
  const SamplingParameters parameters{.parent = parent,
                                      .trace_id = trace_id,
                                      .name = "op",
                                      .kind = SpanKind::kInternal,
                                      .attributes = {}};
  return sampler.should_sample(parameters).decision;
}

SamplingDecision decide_root(Sampler& sampler, const TraceId& trace_id = new_trace_id()) {
  return decide(sampler, SpanContext{}, trace_id);
}

SpanContext parent_context(bool remote, bool sampled) {
  SpanContext parent;
  parent.trace_id = new_trace_id();
  parent.span_id = new_span_id();
  parent.flags = TraceFlags(sampled ? TraceFlags::kSampled : 0);
  parent.is_remote = remote;
  return parent;
}

TraceId trace_id_with_low_bits(std::uint64_t low) {
  std::array<std::uint8_t, 16> bytes{};
  bytes[0] = 1;
  for (int i = 0; i < 8; ++i) bytes[15 - i] = static_cast<std::uint8_t>(low >> (8 * i));
  return TraceId(bytes);
}

TEST(Sampler, ConstantSamplers) {
  EXPECT_EQ(decide_root(*always_on_sampler()), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*always_off_sampler()), SamplingDecision::kDrop);
  EXPECT_EQ(always_on_sampler()->description(), "AlwaysOnSampler");
}

TEST(Sampler, RatioComparesTheLowTraceIdBits) {
  auto half = trace_id_ratio_sampler(0.5);
  // Below 2^63 after the shift (the top bit of the low 8 bytes clear) is kept.
  EXPECT_EQ(decide_root(*half, trace_id_with_low_bits(0x7FFFFFFFFFFFFFFEULL)),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*half, trace_id_with_low_bits(0x8000000000000000ULL)),
            SamplingDecision::kDrop);
  EXPECT_EQ(decide_root(*trace_id_ratio_sampler(1.0), trace_id_with_low_bits(~0ULL)),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*trace_id_ratio_sampler(0.0), trace_id_with_low_bits(0)),
            SamplingDecision::kDrop);
  EXPECT_EQ(half->description(), "TraceIdRatioBased{0.500000}");
}

TEST(Sampler, RatioKeepsAboutThatShareAndIsDeterministic) {
  auto sampler = trace_id_ratio_sampler(0.1);
  int kept = 0;
  constexpr int kTraces = 100000;
  for (int i = 0; i < kTraces; ++i) {
    const TraceId id = new_trace_id();
    const SamplingDecision first = decide_root(*sampler, id);
    EXPECT_EQ(decide_root(*sampler, id), first);
    kept += first == SamplingDecision::kRecordAndSample;
  }
  EXPECT_NEAR(kept, kTraces / 10, 600);  // about 6 standard deviations
}

TEST(Sampler, RatioClampsOutOfRangeValues) {
  EXPECT_EQ(trace_id_ratio_sampler(7.0)->description(), "TraceIdRatioBased{1.000000}");
  EXPECT_EQ(trace_id_ratio_sampler(-1.0)->description(), "TraceIdRatioBased{0.000000}");
  EXPECT_EQ(decide_root(*trace_id_ratio_sampler(std::nan(""))), SamplingDecision::kDrop);
}

TEST(Sampler, ParentBasedFollowsTheParent) {
  auto sampler = parent_based_sampler(always_off_sampler());
  EXPECT_EQ(decide_root(*sampler), SamplingDecision::kDrop);  // root: the root sampler decides
  const SpanContext remote_sampled = parent_context(true, true);
  EXPECT_EQ(decide(*sampler, remote_sampled, remote_sampled.trace_id),
            SamplingDecision::kRecordAndSample);
  const SpanContext local_unsampled = parent_context(false, false);
  EXPECT_EQ(decide(*sampler, local_unsampled, local_unsampled.trace_id), SamplingDecision::kDrop);

  auto custom =
      parent_based_sampler(always_on_sampler(), {.remote_parent_not_sampled = always_on_sampler()});
  const SpanContext remote_unsampled = parent_context(true, false);
  EXPECT_EQ(decide(*custom, remote_unsampled, remote_unsampled.trace_id),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide(*custom, local_unsampled, local_unsampled.trace_id), SamplingDecision::kDrop);
  EXPECT_EQ(custom->description().rfind("ParentBased{root=AlwaysOnSampler,", 0), 0u);
}

TEST(Sampler, ParentBasedWithNullDelegatesUsesDefaults) {
  auto sampler = parent_based_sampler(nullptr, {.local_parent_sampled = nullptr});
  const SpanContext local_sampled = parent_context(false, true);
  EXPECT_EQ(decide(*sampler, local_sampled, local_sampled.trace_id),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(decide_root(*sampler), SamplingDecision::kRecordAndSample);
}

TEST(Sampler, RateLimitingAllowsABurstThenTheRate) {
  auto sampler = rate_limiting_sampler(50);
  int kept = 0;
  for (int i = 0; i < 1000; ++i)
    kept += decide_root(*sampler) == SamplingDecision::kRecordAndSample;
  // A burst of one second's worth (50), give or take the one that the elapsed time refills.
  EXPECT_GE(kept, 50);
  EXPECT_LE(kept, 52);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // refills about 5
  int later = 0;
  for (int i = 0; i < 1000; ++i)
    later += decide_root(*sampler) == SamplingDecision::kRecordAndSample;
  EXPECT_GE(later, 4);
  EXPECT_LE(later, 12);
  EXPECT_EQ(decide_root(*rate_limiting_sampler(0)), SamplingDecision::kDrop);
  EXPECT_EQ(sampler->description(), "RateLimitingSampler{50.000000}");
}

TEST(Sampler, RateLimitingIsExactUnderContention) {
  auto sampler = rate_limiting_sampler(1000);
  std::atomic<int> kept{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (decide_root(*sampler) == SamplingDecision::kRecordAndSample) kept.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // A burst of 1000 plus whatever refilled while the threads ran (well under a second).
  EXPECT_GE(kept.load(), 1000);
  EXPECT_LE(kept.load(), 2000);
}

TEST(Sampler, FromConfigKnowsTheStandardNames) {
  ConfigErrors errors;
  EXPECT_EQ(sampler_from_config("always_on", std::nullopt, "s", errors)->description(),
            "AlwaysOnSampler");
  EXPECT_EQ(sampler_from_config("traceidratio", "0.25", "s", errors)->description(),
            "TraceIdRatioBased{0.250000}");
  EXPECT_EQ(sampler_from_config("traceidratio", std::nullopt, "s", errors)->description(),
            "TraceIdRatioBased{1.000000}");
  EXPECT_EQ(sampler_from_config("parentbased_traceidratio", "0.05", "s", errors)
                ->description()
                .rfind("ParentBased{root=TraceIdRatioBased{0.050000}", 0),
            0u);
  EXPECT_EQ(sampler_from_config("parentbased_always_off", std::nullopt, "s", errors)
                ->description()
                .rfind("ParentBased{root=AlwaysOffSampler", 0),
            0u);
  EXPECT_EQ(sampler_from_config("ratelimiting", "5", "s", errors)->description(),
            "RateLimitingSampler{5.000000}");
  EXPECT_EQ(sampler_from_config("always_off", "ignored", "s", errors)->description(),
            "AlwaysOffSampler");
  EXPECT_TRUE(errors.empty());
}

TEST(Sampler, FromConfigRejectsBadNamesAndArguments) {
  ConfigErrors errors;
  EXPECT_EQ(sampler_from_config("sometimes", std::nullopt, "file key tracing.sampler", errors),
            nullptr);
  EXPECT_EQ(sampler_from_config("traceidratio", "1.5", "file key tracing.sampler", errors),
            nullptr);
  EXPECT_EQ(sampler_from_config("traceidratio", "half", "file key tracing.sampler", errors),
            nullptr);
  EXPECT_EQ(sampler_from_config("ratelimiting", "-3", "s", errors, "s arg"), nullptr);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].source, "file key tracing.sampler");
  EXPECT_NE(errors[0].message.find("unknown sampler 'sometimes'"), std::string::npos);
  EXPECT_EQ(errors[1].source, "file key tracing.sampler argument");
  EXPECT_NE(errors[1].message.find("[0, 1]"), std::string::npos);
  EXPECT_EQ(errors[3].source, "s arg");
}

TEST(Sampler, FromEnvironment) {
  ConfigErrors errors;
  EXPECT_EQ(sampler_from_env(environment_from({}), errors), nullptr);
  auto sampler = sampler_from_env(environment_from({{"OTEL_TRACES_SAMPLER", "traceidratio"},
                                                    {"OTEL_TRACES_SAMPLER_ARG", "0.5"}}),
                                  errors);
  ASSERT_NE(sampler, nullptr);
  EXPECT_EQ(sampler->description(), "TraceIdRatioBased{0.500000}");
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(sampler_from_env(environment_from({{"OTEL_TRACES_SAMPLER", "traceidratio"},
                                               {"OTEL_TRACES_SAMPLER_ARG", "2"}}),
                             errors),
            nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_TRACES_SAMPLER_ARG");
}

}  // namespace
}  // namespace mmf

namespace mmf {
namespace {

// A sampler that is not decision-only: its attributes and tracestate reach the span.
class TaggingSampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters& parameters) noexcept override {
    calls_with_name.push_back(std::string(parameters.name));
    SamplingResult result{.decision = SamplingDecision::kRecordAndSample};
    result.attributes.push_back({"sampler.tag", std::string("kept")});
    result.trace_state = TraceState::parse("vendor=abc");
    return result;
  }
  std::string description() const override { return "TaggingSampler"; }
  std::vector<std::string> calls_with_name;
};

TEST(Sampler, BuiltInSamplersAreDecisionOnly) {
  EXPECT_TRUE(always_on_sampler()->decision_only());
  EXPECT_TRUE(trace_id_ratio_sampler(0.5)->decision_only());
  EXPECT_TRUE(rate_limiting_sampler(5)->decision_only());
  EXPECT_TRUE(parent_based_sampler(trace_id_ratio_sampler(0.5))->decision_only());
  auto tagging = std::make_shared<TaggingSampler>();
  EXPECT_FALSE(tagging->decision_only());
  EXPECT_FALSE(parent_based_sampler(tagging)->decision_only());
}

TEST(Sampler, ACustomSamplersAttributesAndTraceStateReachTheSpan) {
  auto sampler = std::make_shared<TaggingSampler>();
  auto exporter = std::make_shared<InMemorySpanExporter>();
  Tracer tracer({.sampler = sampler, .exporter = exporter});
  {
    Span span = tracer.start_span("tagged");
    EXPECT_EQ(span.context().trace_state.header(), "vendor=abc");
  }
  ASSERT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
  const std::vector<SpanData> spans = exporter->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_state, "vendor=abc");
  const OwnedAttributeValue* tag = spans[0].attribute("sampler.tag");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(std::get<std::string>(*tag), "kept");
  EXPECT_EQ(sampler->calls_with_name, std::vector<std::string>{"tagged"});
}

}  // namespace
}  // namespace mmf
