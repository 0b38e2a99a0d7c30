// OTLP logs encoding: records built by hand, encoded, then decoded with real libprotobuf (and
// nlohmann::json and protobuf's JSON parser for OTLP/JSON), field by field, and compared byte
// for byte with libprotobuf's own encoding of the same records.
#include "export/otlp_logs_encoder.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "unit/export/otlp_test_support.h"

namespace mmf::detail {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_resource_ns = opentelemetry::proto::resource::v1;
using ExportLogsServiceRequest =
    opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr std::int64_t kTime = 1'700'000'000'123'456'789;
constexpr std::string_view kTraceHex = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpanHex = "00f067aa0ba902b7";
const InstrumentationScope kScope{.name = "mmf-observability", .version = "0.3.0"};

// A record with every member set: what a log call inside a sampled span with a full Context
// makes.
LogRecord full_record() {
  LogRecord record;
  record.time_unix_nano = kTime;
  record.level = LogLevel::kWarn;
  record.logger = "payments.db";
  record.message = "retrying the charge";
  record.fields = {{"attempt", std::int64_t{3}},
                   {"card.brand", std::string("visa")},
                   {"amounts", std::vector<double>{9.5, 12.25}}};
  record.trace_id = *TraceId::from_hex(kTraceHex);
  record.span_id = *SpanId::from_hex(kSpanHex);
  record.trace_flags = TraceFlags(TraceFlags::kSampled);
  record.correlation_id = "corr-1";
  record.request_id = "req-7";
  record.user_id = "u-42";
  record.session_id = "s-9";
  record.operation = "charge";
  record.plugin = "stripe";
  record.business = {{"tenant", "acme"}, {"order_id", "o-77"}};
  record.file = "src/payments/charge.cc";
  record.line = 128;
  record.function = "void charge(Order&)";
  return record;
}

// The mapping the encoder documents, built with libprotobuf's generated classes: the reference
// for byte identity. Text is copied as it is: use it with well-formed UTF-8 only.
void add_string(google::protobuf::RepeatedPtrField<pb_common::KeyValue>& attributes,
                std::string key, const std::string& value) {
  if (value.empty()) return;
  pb_common::KeyValue* attribute = attributes.Add();
  attribute->set_key(std::move(key));
  attribute->mutable_value()->set_string_value(value);
}

void build_record(const LogRecord& record, pb_logs::LogRecord& out) {
  static const char* const kTexts[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", ""};
  out.set_time_unix_nano(static_cast<std::uint64_t>(record.time_unix_nano));
  out.set_observed_time_unix_nano(static_cast<std::uint64_t>(record.time_unix_nano));
  out.set_severity_number(static_cast<pb_logs::SeverityNumber>(otlp_severity_number(record.level)));
  out.set_severity_text(kTexts[static_cast<int>(record.level)]);
  if (!record.message.empty()) out.mutable_body()->set_string_value(record.message);
  auto& attributes = *out.mutable_attributes();
  for (const KeyValue& field : record.fields) {
    AttributeScratch scratch;
    reference::add_key_value(field.key, to_view(field.value, scratch), *attributes.Add());
  }
  add_string(attributes, "correlation_id", record.correlation_id);
  add_string(attributes, "request_id", record.request_id);
  add_string(attributes, "user.id", record.user_id);
  add_string(attributes, "session.id", record.session_id);
  add_string(attributes, "mmf.operation", record.operation);
  add_string(attributes, "mmf.plugin.name", record.plugin);
  for (const auto& [key, value] : record.business)
    add_string(attributes, "mmf.business." + key, value);
  add_string(attributes, "mmf.logger.name", record.logger);
  add_string(attributes, "code.file.path", std::string(record.file));
  if (record.line != 0) {
    pb_common::KeyValue* line = attributes.Add();
    line->set_key("code.line.number");
    line->mutable_value()->set_int_value(record.line);
  }
  add_string(attributes, "code.function.name", std::string(record.function));
  if (record.trace_id.is_valid()) {
    out.set_flags(record.trace_flags.bits());
    out.set_trace_id(reference::id_bytes(record.trace_id.bytes()));
    if (record.span_id.is_valid()) out.set_span_id(reference::id_bytes(record.span_id.bytes()));
  }
}

std::string reference_encoding(std::span<const LogRecord> records, const Resource& resource,
                               const InstrumentationScope& scope) {
  ExportLogsServiceRequest request;
  if (records.empty()) return "";
  pb_logs::ResourceLogs* resource_logs = request.add_resource_logs();
  // Present even without attributes, as the encoders (all of them) write it.
  pb_resource_ns::Resource* pb_resource = resource_logs->mutable_resource();
  for (const KeyValue& attribute : resource.attributes()) {
    AttributeScratch scratch;
    reference::add_key_value(attribute.key, to_view(attribute.value, scratch),
                             *pb_resource->add_attributes());
  }
  pb_logs::ScopeLogs* scope_logs = resource_logs->add_scope_logs();
  scope_logs->mutable_scope()->set_name(std::string(scope.name));
  scope_logs->mutable_scope()->set_version(std::string(scope.version));
  for (const LogRecord& record : records) build_record(record, *scope_logs->add_log_records());
  return request.SerializeAsString();
}

struct Encoded {
  std::string proto;
  std::string json;
  std::string reference;

  ExportLogsServiceRequest decoded() const {
    ExportLogsServiceRequest request;
    EXPECT_TRUE(request.ParseFromString(proto)) << "libprotobuf rejected the encoding";
    return request;
  }
  Json json_decoded() const { return Json::parse(json); }  // throws on invalid UTF-8 too
};

Encoded encode(const std::vector<LogRecord>& records, const Resource& resource = Resource(),
               const InstrumentationScope& scope = kScope) {
  Encoded encoded;
  encode_logs_request_proto(records, resource, scope, encoded.proto);
  encode_logs_request_json(records, resource, scope, encoded.json);
  encoded.reference = reference_encoding(records, resource, scope);
  return encoded;
}

const pb_logs::LogRecord& first_record(const ExportLogsServiceRequest& request) {
  return request.resource_logs(0).scope_logs(0).log_records(0);
}

// The attributes as (key, value as text) pairs, for readable expectations.
std::vector<std::pair<std::string, std::string>> attributes_of(const pb_logs::LogRecord& record) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const pb_common::KeyValue& attribute : record.attributes()) {
    const pb_common::AnyValue& value = attribute.value();
    out.emplace_back(attribute.key(), value.has_int_value()     ? std::to_string(value.int_value())
                                      : value.has_array_value() ? "[array]"
                                                                : value.string_value());
  }
  return out;
}

TEST(OtlpLogsEncoderTest, EveryMemberOfARecordIsEncoded) {
  const ExportLogsServiceRequest request = encode({full_record()}).decoded();
  ASSERT_EQ(request.resource_logs_size(), 1);
  ASSERT_EQ(request.resource_logs(0).scope_logs_size(), 1);
  EXPECT_EQ(request.resource_logs(0).scope_logs(0).scope().name(), "mmf-observability");
  EXPECT_EQ(request.resource_logs(0).scope_logs(0).scope().version(), "0.3.0");
  ASSERT_EQ(request.resource_logs(0).scope_logs(0).log_records_size(), 1);
  const pb_logs::LogRecord& record = first_record(request);
  EXPECT_EQ(record.time_unix_nano(), static_cast<std::uint64_t>(kTime));
  EXPECT_EQ(record.observed_time_unix_nano(), static_cast<std::uint64_t>(kTime));
  EXPECT_EQ(record.severity_number(), pb_logs::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(record.severity_text(), "WARN");
  EXPECT_EQ(record.body().string_value(), "retrying the charge");
  EXPECT_EQ(record.flags(), 1U);
  EXPECT_EQ(record.trace_id(), reference::id_bytes(TraceId::from_hex(kTraceHex)->bytes()));
  EXPECT_EQ(record.span_id(), reference::id_bytes(SpanId::from_hex(kSpanHex)->bytes()));
  EXPECT_EQ(record.dropped_attributes_count(), 0U);
  EXPECT_EQ(record.event_name(), "");
  // The caller's fields first, as given, then the Context under the spans' keys.
  EXPECT_THAT(
      attributes_of(record),
      ElementsAre(Pair("attempt", "3"), Pair("card.brand", "visa"), Pair("amounts", "[array]"),
                  Pair("correlation_id", "corr-1"), Pair("request_id", "req-7"),
                  Pair("user.id", "u-42"), Pair("session.id", "s-9"),
                  Pair("mmf.operation", "charge"), Pair("mmf.plugin.name", "stripe"),
                  Pair("mmf.business.tenant", "acme"), Pair("mmf.business.order_id", "o-77"),
                  Pair("mmf.logger.name", "payments.db"),
                  Pair("code.file.path", "src/payments/charge.cc"), Pair("code.line.number", "128"),
                  Pair("code.function.name", "void charge(Order&)")));
  EXPECT_TRUE(record.attributes(13).value().has_int_value()) << "code.line.number is an int";
  EXPECT_THAT(record.attributes(2).value().array_value().values(),
              ElementsAre(::testing::Property(&pb_common::AnyValue::double_value, 9.5),
                          ::testing::Property(&pb_common::AnyValue::double_value, 12.25)));
}

TEST(OtlpLogsEncoderTest, EachLevelHasItsSeverityNumberAndText) {
  const std::pair<LogLevel, std::pair<pb_logs::SeverityNumber, std::string>> levels[] = {
      {LogLevel::kTrace, {pb_logs::SEVERITY_NUMBER_TRACE, "TRACE"}},
      {LogLevel::kDebug, {pb_logs::SEVERITY_NUMBER_DEBUG, "DEBUG"}},
      {LogLevel::kInfo, {pb_logs::SEVERITY_NUMBER_INFO, "INFO"}},
      {LogLevel::kWarn, {pb_logs::SEVERITY_NUMBER_WARN, "WARN"}},
      {LogLevel::kError, {pb_logs::SEVERITY_NUMBER_ERROR, "ERROR"}},
      {LogLevel::kCritical, {pb_logs::SEVERITY_NUMBER_FATAL, "FATAL"}},
  };
  for (const auto& [level, expected] : levels) {
    LogRecord record;
    record.level = level;
    record.message = "m";
    const Encoded encoded = encode({record});
    EXPECT_EQ(first_record(encoded.decoded()).severity_number(), expected.first);
    EXPECT_EQ(first_record(encoded.decoded()).severity_text(), expected.second);
    const Json json = encoded.json_decoded()["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    EXPECT_EQ(json["severityNumber"], static_cast<int>(expected.first)) << "enums as numbers";
    EXPECT_EQ(json["severityText"], expected.second);
    EXPECT_EQ(encoded.proto, encoded.reference);
  }
}

TEST(OtlpLogsEncoderTest, RecordOutsideASpanHasNoIdsFlagsOrEmptyContext) {
  LogRecord record;
  record.time_unix_nano = kTime;
  record.message = "started";
  record.fields = {{"port", std::int64_t{8080}}};
  record.span_id = *SpanId::from_hex(kSpanHex);  // no trace: the span ID means nothing
  record.trace_flags = TraceFlags(TraceFlags::kSampled);
  record.business = {{"tenant", ""}};
  const Encoded encoded = encode({record});
  EXPECT_EQ(encoded.proto, encoded.reference);
  const ExportLogsServiceRequest request = encoded.decoded();
  const pb_logs::LogRecord& decoded = first_record(request);
  EXPECT_EQ(decoded.trace_id(), "");
  EXPECT_EQ(decoded.span_id(), "");
  EXPECT_EQ(decoded.flags(), 0U);
  EXPECT_THAT(attributes_of(decoded), ElementsAre(Pair("port", "8080")));
  EXPECT_EQ(encoded.json_decoded()["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0],
            Json::parse(R"({"timeUnixNano":"1700000000123456789",
                            "observedTimeUnixNano":"1700000000123456789",
                            "severityNumber":9,"severityText":"INFO",
                            "body":{"stringValue":"started"},
                            "attributes":[{"key":"port","value":{"intValue":"8080"}}]})"));
}

TEST(OtlpLogsEncoderTest, UnsampledSpanHasIdsButNoFlagsAndAnEmptyMessageNoBody) {
  LogRecord record = full_record();
  record.trace_flags = TraceFlags();
  record.message.clear();
  const Encoded encoded = encode({record});
  EXPECT_EQ(encoded.proto, encoded.reference);
  const ExportLogsServiceRequest request = encoded.decoded();
  const pb_logs::LogRecord& decoded = first_record(request);
  EXPECT_FALSE(decoded.has_body());
  EXPECT_EQ(decoded.flags(), 0U);
  EXPECT_EQ(decoded.trace_id().size(), 16U);
  EXPECT_EQ(decoded.span_id().size(), 8U);
  const Json json = encoded.json_decoded()["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
  EXPECT_FALSE(json.contains("body"));
  EXPECT_FALSE(json.contains("flags")) << "0 is a default";
  EXPECT_EQ(json["traceId"], kTraceHex);
}

TEST(OtlpLogsEncoderTest, HostileTextIsEscapedAndIllFormedUtf8Repaired) {
  LogRecord record = full_record();
  const std::string hostile =
      std::string("quote\" backslash\\ nul") + '\0' + "\n\t\x01 </script> \xF0\x9F\x94\xA5 \u2028";
  record.message = hostile + " bad\xc3";
  record.fields = {{"k\xff", std::string("v\xe9")}, {"hostile", hostile}};
  record.business = {{"te\x80nant", "acme"}};
  record.logger = "lo\xc0gger";
  std::string proto;
  std::string json;
  encode_logs_request_proto(std::vector<LogRecord>{record}, Resource(), kScope, proto);
  encode_logs_request_json(std::vector<LogRecord>{record}, Resource(), kScope, json);
  ExportLogsServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(proto)) << "libprotobuf rejects ill-formed UTF-8";
  const pb_logs::LogRecord& decoded = first_record(request);
  EXPECT_EQ(decoded.body().string_value(), hostile + " bad\uFFFD");
  EXPECT_EQ(decoded.attributes(0).key(), "k\uFFFD");
  EXPECT_EQ(decoded.attributes(0).value().string_value(), "v\uFFFD");
  EXPECT_EQ(decoded.attributes(1).value().string_value(), hostile);
  EXPECT_THAT(attributes_of(decoded),
              ::testing::Contains(Pair("mmf.business.te\uFFFDnant", "acme")));
  EXPECT_THAT(attributes_of(decoded), ::testing::Contains(Pair("mmf.logger.name", "lo\uFFFDgger")));

  const Json from_json = Json::parse(json);  // nlohmann::json rejects ill-formed UTF-8
  const Json& json_record = from_json["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
  EXPECT_EQ(json_record["body"]["stringValue"], hostile + " bad\uFFFD");
  EXPECT_EQ(json_record["attributes"][0]["key"], "k\uFFFD");
  EXPECT_EQ(json_record["attributes"][1]["value"]["stringValue"], hostile);
  ExportLogsServiceRequest parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(first_record(parsed).body().string_value(), hostile + " bad\uFFFD");
}

TEST(OtlpLogsEncoderTest, ProtobufIsByteIdenticalToLibprotobuf) {
  std::vector<LogRecord> records = {full_record(), LogRecord{}, full_record()};
  records[1].level = LogLevel::kError;
  records[1].message = "no context";
  records[2].message = std::string(300, 'm');  // the body's length takes 2 bytes
  records[2].fields.push_back({"flags", std::vector<bool>{true, false}});
  records[2].fields.push_back({"names", std::vector<std::string>{"a", "b"}});
  records[2].fields.push_back({"ok", true});
  const Resource resource({{"service.name", std::string("payments")},
                           {"service.version", std::string("2.1.0")},
                           {"process.pid", std::int64_t{4242}}});
  const Encoded encoded = encode(records, resource);
  EXPECT_EQ(encoded.proto, encoded.reference);
  const ExportLogsServiceRequest request = encoded.decoded();
  EXPECT_EQ(request.resource_logs(0).resource().attributes(0).key(), "service.name");
  EXPECT_EQ(request.resource_logs(0).scope_logs(0).log_records_size(), 3);
  EXPECT_EQ(encoded.json_decoded()["resourceLogs"][0]["scopeLogs"][0]["logRecords"].size(), 3U);
}

// Lengths past 127 bytes, 16 KiB and 2 MiB at every level, so that the writer's reserved length
// slots are too small for some messages and too large for others.
TEST(OtlpLogsEncoderTest, LargeAndTinyMessagesKeepCanonicalLengths) {
  std::vector<LogRecord> records(1);  // all defaults: the smallest record
  records.push_back(full_record());
  records.back().message = std::string(20'000, 'x');  // a body past 16 KiB
  for (int i = 0; i < 12'000; ++i) {
    records.push_back(full_record());
    records.back().message = "event " + std::to_string(i);
  }
  const Encoded encoded = encode(records);
  EXPECT_GT(encoded.proto.size(), std::size_t{2} << 20) << "the request's length takes 4 bytes";
  // Not EXPECT_EQ: on a mismatch, gtest's diff of two 2 MiB strings takes gigabytes.
  EXPECT_TRUE(encoded.proto == encoded.reference);
}

TEST(OtlpLogsEncoderTest, JsonFollowsTheOtlpJsonRules) {
  const Json json = encode({full_record()}, Resource({{"service.name", std::string("payments")}}))
                        .json_decoded()["resourceLogs"][0];
  EXPECT_EQ(json["resource"], Json::parse(R"({"attributes":[{"key":"service.name",
                                           "value":{"stringValue":"payments"}}]})"));
  EXPECT_EQ(json["scopeLogs"][0]["scope"],
            Json::parse(R"({"name":"mmf-observability","version":"0.3.0"})"));
  const Json& record = json["scopeLogs"][0]["logRecords"][0];
  EXPECT_EQ(record["timeUnixNano"], std::to_string(kTime)) << "64-bit as strings";
  EXPECT_EQ(record["observedTimeUnixNano"], std::to_string(kTime));
  EXPECT_EQ(record["severityNumber"], 13);
  EXPECT_EQ(record["severityText"], "WARN");
  EXPECT_EQ(record["body"], Json::parse(R"({"stringValue":"retrying the charge"})"));
  EXPECT_EQ(record["flags"], 1);
  EXPECT_EQ(record["traceId"], kTraceHex) << "IDs as lowercase hex, not base64";
  EXPECT_EQ(record["spanId"], kSpanHex);
  EXPECT_EQ(record["attributes"][0], Json::parse(R"({"key":"attempt","value":{"intValue":"3"}})"));
  EXPECT_EQ(record["attributes"][2],
            Json::parse(R"({"key":"amounts","value":{"arrayValue":{"values":[
                             {"doubleValue":9.5},{"doubleValue":12.25}]}}})"));
  EXPECT_EQ(record["attributes"][13],
            Json::parse(R"({"key":"code.line.number","value":{"intValue":"128"}})"));
  EXPECT_FALSE(record.contains("droppedAttributesCount")) << "0 is a default";
  EXPECT_FALSE(record.contains("eventName"));
}

// protobuf's own JSON parser reads OTLP/JSON except the IDs, which it expects in base64 (hex
// digits are valid base64, so they parse, to other bytes). With the IDs cleared, the message it
// reads must equal the binary one.
TEST(OtlpLogsEncoderTest, JsonReadsBackWithProtobufsJsonParser) {
  std::vector<LogRecord> records = {full_record(), LogRecord{}};
  records[1].level = LogLevel::kTrace;
  records[1].fields = {{"ratio", 0.5}, {"ok", false}};
  const Encoded encoded = encode(records, Resource({{"service.name", std::string("payments")}}));
  ExportLogsServiceRequest from_json;
  const auto status = google::protobuf::util::JsonStringToMessage(encoded.json, &from_json);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ExportLogsServiceRequest from_proto = encoded.decoded();
  for (ExportLogsServiceRequest* request : {&from_json, &from_proto}) {
    for (pb_logs::LogRecord& record :
         *request->mutable_resource_logs(0)->mutable_scope_logs(0)->mutable_log_records()) {
      record.clear_trace_id();
      record.clear_span_id();
    }
  }
  std::string differences;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(from_proto, from_json)) << differences;
}

TEST(OtlpLogsEncoderTest, EmptyBatchEncodesAnEmptyRequest) {
  std::string proto = "left over";
  std::string json = "left over";
  encode_logs_request_proto({}, Resource(), kScope, proto);
  encode_logs_request_json({}, Resource(), kScope, json);
  EXPECT_EQ(proto, "");
  EXPECT_EQ(json, "{}");
  ExportLogsServiceRequest request;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &request).ok());
  EXPECT_EQ(request.resource_logs_size(), 0);
}

TEST(OtlpLogsEncoderTest, OutIsReplacedAndItsCapacityKept) {
  const std::vector<LogRecord> big(50, full_record());
  const std::vector<LogRecord> small = {full_record()};
  for (auto encode_into : {&encode_logs_request_proto, &encode_logs_request_json}) {
    std::string out;
    encode_into(big, Resource(), kScope, out);
    const std::size_t capacity = out.capacity();
    encode_into(small, Resource(), kScope, out);
    std::string fresh;
    encode_into(small, Resource(), kScope, fresh);
    EXPECT_EQ(out, fresh);
    EXPECT_EQ(out.capacity(), capacity);
  }
}

}  // namespace
}  // namespace mmf::detail
