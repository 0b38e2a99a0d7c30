#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mmf/exporters.h"
#include "mmf/tracer.h"

namespace mmf {
namespace {

// Runs spans through a tracer whose exporter writes to a temporary file; returns its lines.
template <class Body>
std::vector<nlohmann::json> console_lines(Body body) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  {
    Tracer tracer({.exporter = std::make_shared<ConsoleSpanExporter>(file),
                   .resource = Resource({{"service.name", std::string("payments")}})});
    body(tracer);
    EXPECT_TRUE(tracer.force_flush(std::chrono::seconds(10)));
  }
  std::rewind(file);
  std::vector<nlohmann::json> lines;
  char buffer[8192];
  while (std::fgets(buffer, sizeof buffer, file) != nullptr) {
    lines.push_back(nlohmann::json::parse(buffer));  // throws (and fails) on a broken line
  }
  std::fclose(file);
  return lines;
}

TEST(ConsoleSpanExporter, WritesOneJsonObjectPerSpan) {
  const auto lines = console_lines([](Tracer& tracer) {
    Span parent = tracer.start_span("GET /users/{id}", {.kind = SpanKind::kServer});
    parent.set_attribute("http.route", "/users/{id}").set_attribute("http.response.status_code", 200);
    {
      Span child = tracer.start_span("SELECT users", {.kind = SpanKind::kClient,
                                                      .parent = parent.context_with_span()});
      child.set_status(StatusCode::kError, "timeout");
      child.add_event("retry", {{"attempt", 2}});
    }
  });
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json& child = lines[0];
  const nlohmann::json& parent = lines[1];
  EXPECT_EQ(parent["name"], "GET /users/{id}");
  EXPECT_EQ(parent["kind"], "server");
  EXPECT_EQ(parent["service"], "payments");
  EXPECT_EQ(parent["attributes"]["http.route"], "/users/{id}");
  EXPECT_EQ(parent["attributes"]["http.response.status_code"], 200);
  EXPECT_EQ(parent["trace_id"].get<std::string>().size(), 32u);
  EXPECT_FALSE(parent.contains("parent_span_id"));
  EXPECT_EQ(child["parent_span_id"], parent["span_id"]);
  EXPECT_EQ(child["trace_id"], parent["trace_id"]);
  EXPECT_EQ(child["status"], "error");
  EXPECT_EQ(child["status_message"], "timeout");
  ASSERT_EQ(child["events"].size(), 1u);
  EXPECT_EQ(child["events"][0]["name"], "retry");
  EXPECT_EQ(child["events"][0]["attributes"]["attempt"], 2);
  const std::string start = parent["start_time"];
  ASSERT_EQ(start.size(), 27u);  // 2026-11-30T19:40:00.123456Z
  EXPECT_EQ(start[10], 'T');
  EXPECT_EQ(start.back(), 'Z');
  EXPECT_GE(parent["duration_ms"].get<double>(), 0.0);
}

TEST(ConsoleSpanExporter, HostileTextCannotBreakTheLine) {
  const auto lines = console_lines([](Tracer& tracer) {
    Span span = tracer.start_span("evil\n{\"name\":\"forged\"}");
    span.set_attribute("user\"id", "a\r\nb\x01\x7f\xff\xfe")
        .set_attribute("tags", std::span<const std::string_view>());
  });
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["name"], "evil\n{\"name\":\"forged\"}");
  const std::string value = lines[0]["attributes"]["user\"id"];
  EXPECT_EQ(value.substr(0, 6), "a\r\nb\x01\x7f");  // invalid UTF-8 became U+FFFD
  EXPECT_TRUE(lines[0]["attributes"]["tags"].is_array());
}

TEST(SpanExporterFromEnv, ChoosesByName) {
  ConfigErrors errors;
  EXPECT_NE(std::dynamic_pointer_cast<OtlpSpanExporter>(
                span_exporter_from_env(environment_from({}), errors)),
            nullptr);
  EXPECT_NE(std::dynamic_pointer_cast<ConsoleSpanExporter>(span_exporter_from_env(
                environment_from({{"OTEL_TRACES_EXPORTER", "console"}}), errors)),
            nullptr);
  EXPECT_EQ(span_exporter_from_env(environment_from({{"OTEL_TRACES_EXPORTER", "none"}}), errors),
            nullptr);
  auto both = span_exporter_from_env(
      environment_from({{"OTEL_TRACES_EXPORTER", "otlp, console"}}), errors);
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(std::dynamic_pointer_cast<OtlpSpanExporter>(both), nullptr);  // a fan-out
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(span_exporter_from_env(environment_from({{"OTEL_TRACES_EXPORTER", "zipkin"}}), errors),
            nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_TRACES_EXPORTER");
  errors.clear();
  EXPECT_EQ(span_exporter_from_env(
                environment_from({{"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector"}}), errors),
            nullptr);
  EXPECT_FALSE(errors.empty());
}

}  // namespace
}  // namespace mmf
