#include "export/partial_success.h"

#include <gtest/gtest.h>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace mmf::detail {
namespace {

using TraceResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using LogsResponse = opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;

TEST(PartialSuccess, ReadsProtobufAnswers) {
  TraceResponse response;
  response.mutable_partial_success()->set_rejected_spans(7);
  response.mutable_partial_success()->set_error_message("too many attributes");
  const auto report = parse_partial_success_proto(response.SerializeAsString());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->rejected, 7);
  EXPECT_EQ(report->error_message, "too many attributes");

  LogsResponse logs;  // the same shape for every signal
  logs.mutable_partial_success()->set_rejected_log_records(3);
  EXPECT_EQ(parse_partial_success_proto(logs.SerializeAsString())->rejected, 3);
}

TEST(PartialSuccess, AFullSuccessHasNoReport) {
  EXPECT_EQ(parse_partial_success_proto(""), std::nullopt);
  TraceResponse empty_report;
  empty_report.mutable_partial_success();
  EXPECT_EQ(parse_partial_success_proto(empty_report.SerializeAsString()), std::nullopt);
  EXPECT_EQ(parse_partial_success_json("{}"), std::nullopt);
  EXPECT_EQ(parse_partial_success_json("{\"partialSuccess\":{}}"), std::nullopt);
}

TEST(PartialSuccess, ReadsJsonAnswers) {
  auto report = parse_partial_success_json(
      R"({"partialSuccess": {"rejectedSpans": "12", "errorMessage": "bad \"key\"\nhere"}})");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->rejected, 12);
  EXPECT_EQ(report->error_message, "bad \"key\"\nhere");
  report = parse_partial_success_json(R"({"partialSuccess":{"rejectedLogRecords":4}})");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->rejected, 4);
}

TEST(PartialSuccess, MalformedAnswersAreIgnoredSafely) {
  const std::string garbage[] = {"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x0a\x7f",
                                 "\x0a\x02\x08", std::string("\x0a\x00", 2), "\x0f"};
  for (const std::string& body : garbage) {
    EXPECT_EQ(parse_partial_success_proto(body), std::nullopt);
  }
  EXPECT_EQ(parse_partial_success_json("{\"partialSuccess\":{\"errorMessage\":\"unterminated"),
            std::nullopt);
  EXPECT_EQ(parse_partial_success_json("\"partialSuccess\""), std::nullopt);
  EXPECT_EQ(parse_partial_success_json("<html>502 Bad Gateway</html>"), std::nullopt);
  const std::string huge(1 << 20, 'x');
  auto report = parse_partial_success_json("{\"partialSuccess\":{\"errorMessage\":\"" + huge +
                                           "\"}}");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->error_message.size(), 1024u);  // kept bounded
}

}  // namespace
}  // namespace mmf::detail
