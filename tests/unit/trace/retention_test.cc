// Error and slow-request retention: unsampled traces kept when their local root fails or is slow.
#include <gtest/gtest.h>

#include <set>

#include "mmf/tracer.h"

namespace mmf {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Fixture {
  std::shared_ptr<InMemorySpanExporter> exporter = std::make_shared<InMemorySpanExporter>();
  Tracer tracer;

  explicit Fixture(RetentionOptions retention,
                   std::shared_ptr<Sampler> sampler = always_off_sampler())
      : tracer({.sampler = std::move(sampler), .exporter = exporter, .retention = retention}) {}

  std::set<std::string> exported_names() {
    EXPECT_TRUE(tracer.force_flush(seconds(10)));
    std::set<std::string> names;
    for (const SpanData& span : exporter->spans()) names.insert(span.name);
    return names;
  }
};

TEST(RetentionTest, AnUnsampledTraceWhoseRootFailsIsExportedWhole) {
  Fixture f({.enabled = true});
  {
    Span root = f.tracer.start_span("root", {.kind = SpanKind::kServer});
    EXPECT_TRUE(root.is_recording());
    EXPECT_FALSE(root.context().is_sampled()) << "downstream still sees an unsampled trace";
    {
      auto scope = root.activate();
      Span child = f.tracer.start_span("child");
      Span grandchild = f.tracer.start_span("grandchild", {.parent = child.context_with_span()});
    }
    root.set_status(StatusCode::kError, "boom");
  }
  EXPECT_EQ(f.exported_names(), (std::set<std::string>{"root", "child", "grandchild"}));
  for (const SpanData& span : f.exporter->spans()) EXPECT_FALSE(span.flags.sampled());
  EXPECT_EQ(f.tracer.stats().retained_exported, 3u);
  EXPECT_EQ(f.tracer.stats().retained_discarded, 0u);
}

TEST(RetentionTest, AFastSuccessfulTraceIsDiscarded) {
  Fixture f({.enabled = true, .latency_threshold = seconds(60)});
  {
    Span root = f.tracer.start_span("root");
    auto scope = root.activate();
    Span child = f.tracer.start_span("child");
  }
  EXPECT_TRUE(f.exported_names().empty());
  EXPECT_EQ(f.tracer.stats().retained_discarded, 2u);
}

TEST(RetentionTest, ASlowRootKeepsItsTrace) {
  Fixture f({.enabled = true, .latency_threshold = milliseconds(500)});
  {
    Span root = f.tracer.start_span("slow root",
                                    {.start_time = std::chrono::system_clock::now() - seconds(2)});
    auto scope = root.activate();
    Span child = f.tracer.start_span("child");
  }
  EXPECT_EQ(f.exported_names(), (std::set<std::string>{"slow root", "child"}));
}

TEST(RetentionTest, SpansEndingAfterTheirRootAreNotKept) {
  Fixture f({.enabled = true});
  Span late;
  {
    Span root = f.tracer.start_span("root");
    late = f.tracer.start_span("late child", {.parent = root.context_with_span()});
    root.set_status(StatusCode::kError);
  }
  late.end();
  EXPECT_EQ(f.exported_names(), (std::set<std::string>{"root"}));
  EXPECT_EQ(f.tracer.stats().retained_discarded, 1u);
}

TEST(RetentionTest, TheMemoryBudgetStopsRecordingAndIsCounted) {
  Fixture f({.enabled = true, .memory_budget_bytes = 1000});
  Span root = f.tracer.start_span("root");
  {
    auto scope = root.activate();
    for (int i = 0; i < 50; ++i) f.tracer.start_span("child").set_attribute("i", i);
  }
  root.set_status(StatusCode::kError);
  root.end();
  const TracerStats stats = f.tracer.stats();
  EXPECT_GT(stats.dropped_retention_budget, 0u);
  EXPECT_LT(stats.retained_exported, 51u);
  EXPECT_GE(stats.retained_exported, 2u);
}

TEST(RetentionTest, SampledTracesTakeTheUsualPath) {
  Fixture f({.enabled = true}, always_on_sampler());
  { Span root = f.tracer.start_span("sampled"); }
  EXPECT_EQ(f.exported_names(), (std::set<std::string>{"sampled"}));
  EXPECT_EQ(f.tracer.stats().retained_exported, 0u);
  EXPECT_EQ(f.tracer.stats().spans_exported, 1u);
}

}  // namespace
}  // namespace mmf
