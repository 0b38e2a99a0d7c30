// log_format: the JSON line (members, order, types, golden text), what hostile text cannot do to
// it (end the line, break the object, forge a reserved member), the console line (layout,
// colours, quoting, escaping), and the UTC time formatting both use.
#include "log/log_format.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmf::detail {
namespace {

using OrderedJson = nlohmann::ordered_json;

// 2026-11-30T21:48:51.360801234Z
constexpr std::int64_t kTime = 1'796'075'331'360'801'234;

TraceId test_trace_id() { return *TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"); }
SpanId test_span_id() { return *SpanId::from_hex("00f067aa0ba902b7"); }

Resource test_resource() {
  return Resource({{"service.name", std::string("payment")},
                   {"service.version", std::string("1.2.0")},
                   {"deployment.environment.name", std::string("prod")},
                   {"host.name", std::string("box")}});
}

// LogRecord's logger and message have no default initialisers, so designated initialisers that
// leave them out warn (-Wmissing-field-initializers): records are built field by field.
LogRecord record_of(std::string message, LogLevel level = LogLevel::kInfo,
                    std::string logger = "") {
  LogRecord record;
  record.level = level;
  record.logger = std::move(logger);
  record.message = std::move(message);
  return record;
}

LogRecord located(std::string_view file, std::uint32_t line) {
  LogRecord record;
  record.file = file;
  record.line = line;
  return record;
}

LogRecord full_record() {
  LogRecord record = record_of("payment declined", LogLevel::kWarn, "checkout");
  record.time_unix_nano = kTime;
  record.fields = {{"amount", 12.5}, {"attempt", std::int64_t{3}}, {"retry", true}};
  record.trace_id = test_trace_id();
  record.span_id = test_span_id();
  record.trace_flags = TraceFlags(0x01);
  record.correlation_id = "c-1";
  record.request_id = "r-2";
  record.user_id = "u-3";
  record.session_id = "s-4";
  record.operation = "pay";
  record.plugin = "stripe";
  record.business = {{"tenant", "acme"}};
  record.file = "/home/dev/src/checkout/payment.cc";
  record.line = 42;
  return record;
}

std::string json_line(const LogRecord& record, const Resource& resource = Resource()) {
  std::string out;
  format_json_line(record, resource, out);
  return out;
}

std::vector<std::string> keys_of(const OrderedJson& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

// Parses a line, checking it is one line that holds one whole object.
OrderedJson parse_line(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "more than one line";
  EXPECT_TRUE(OrderedJson::accept(line.substr(0, line.size() - 1)));
  return OrderedJson::parse(line);
}

std::string rfc3339(std::int64_t unix_nanos) {
  std::string out;
  append_rfc3339_micros(unix_nanos, out);
  return out;
}

TEST(LogJsonTest, FullRecordIsGolden) {
  EXPECT_EQ(json_line(full_record(), test_resource()),
            R"({"timestamp":"2026-11-30T21:48:51.360801Z","level":"warn",)"
            R"("message":"payment declined","logger":"checkout","service":"payment",)"
            R"("version":"1.2.0","environment":"prod",)"
            R"("trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7",)"
            R"("trace_flags":"01","correlation_id":"c-1","request_id":"r-2","user_id":"u-3",)"
            R"("session_id":"s-4","operation":"pay","plugin":"stripe","tenant":"acme",)"
            R"("amount":12.5,"attempt":3,"retry":true,"source":"payment.cc:42"})"
            "\n");
}

TEST(LogJsonTest, MembersComeInTheDocumentedOrder) {
  const OrderedJson json = parse_line(json_line(full_record(), test_resource()));
  EXPECT_EQ(
      keys_of(json),
      (std::vector<std::string>{
          "timestamp",   "level",      "message",   "logger",      "service",        "version",
          "environment", "trace_id",   "span_id",   "trace_flags", "correlation_id", "request_id",
          "user_id",     "session_id", "operation", "plugin",      "tenant",         "amount",
          "attempt",     "retry",      "source"}));
}

TEST(LogJsonTest, MinimalRecordHasOnlyTimestampLevelAndMessage) {
  const OrderedJson json = parse_line(json_line(record_of("hi")));
  EXPECT_EQ(keys_of(json), (std::vector<std::string>{"timestamp", "level", "message"}));
  EXPECT_EQ(json["timestamp"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["message"], "hi");
}

TEST(LogJsonTest, ResourceMembersAppearOnlyWhenTheResourceHasThemAsText) {
  const Resource resource(
      {{"service.name", std::string("svc")}, {"service.version", std::int64_t{2}}});
  const OrderedJson json = parse_line(json_line(LogRecord(), resource));
  EXPECT_EQ(keys_of(json), (std::vector<std::string>{"timestamp", "level", "message", "service"}));
  EXPECT_EQ(json["service"], "svc");
}

TEST(LogJsonTest, TraceMembersNeedAValidTraceId) {
  LogRecord record = full_record();
  record.trace_id = TraceId();
  const OrderedJson json = parse_line(json_line(record));
  EXPECT_FALSE(json.contains("trace_id"));
  EXPECT_FALSE(json.contains("span_id"));
  EXPECT_FALSE(json.contains("trace_flags"));
}

TEST(LogJsonTest, TraceFlagsAreTwoLowercaseHexDigits) {
  LogRecord record = full_record();
  record.trace_flags = TraceFlags(0x00);
  EXPECT_EQ(parse_line(json_line(record))["trace_flags"], "00");
  record.trace_flags = TraceFlags(0xab);
  EXPECT_EQ(parse_line(json_line(record))["trace_flags"], "ab");
}

TEST(LogJsonTest, EveryLevelHasItsName) {
  const std::pair<LogLevel, const char*> levels[] = {
      {LogLevel::kTrace, "trace"}, {LogLevel::kDebug, "debug"}, {LogLevel::kInfo, "info"},
      {LogLevel::kWarn, "warn"},   {LogLevel::kError, "error"}, {LogLevel::kCritical, "critical"}};
  for (const auto& [level, name] : levels) {
    EXPECT_EQ(parse_line(json_line(record_of("", level)))["level"], name);
  }
}

TEST(LogJsonTest, FieldsKeepTheirJsonTypes) {
  LogRecord record;
  record.fields = {
      {"s", std::string("text")},
      {"b", false},
      {"i", std::int64_t{-9'007'199'254'740'993}},
      {"d", 0.1},
      {"nan", std::nan("")},
      {"inf", std::numeric_limits<double>::infinity()},
      {"ninf", -std::numeric_limits<double>::infinity()},
      {"ss", std::vector<std::string>{"a", "b"}},
      {"bs", std::vector<bool>{true, false}},
      {"is", std::vector<std::int64_t>{1, -2}},
      {"ds", std::vector<double>{1.5, std::numeric_limits<double>::quiet_NaN()}},
      {"empty", std::vector<std::int64_t>{}},
  };
  const std::string line = json_line(record);
  EXPECT_NE(line.find(R"("s":"text","b":false,"i":-9007199254740993,"d":0.1,"nan":"NaN",)"
                      R"("inf":"Infinity","ninf":"-Infinity","ss":["a","b"],"bs":[true,false],)"
                      R"("is":[1,-2],"ds":[1.5,"NaN"],"empty":[])"),
            std::string::npos)
      << line;
  parse_line(line);
}

TEST(LogJsonTest, FieldsNamedLikeReservedMembersArePrefixed) {
  LogRecord record = full_record();
  record.business = {{"level", "forged"}, {"message", "forged"}};
  record.fields = {{"trace_id", std::string("forged")}, {"source", std::int64_t{1}}};
  const OrderedJson json = parse_line(json_line(record, test_resource()));
  EXPECT_EQ(json["level"], "warn");
  EXPECT_EQ(json["message"], "payment declined");
  EXPECT_EQ(json["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(json["source"], "payment.cc:42");
  EXPECT_EQ(json["field.level"], "forged");
  EXPECT_EQ(json["field.message"], "forged");
  EXPECT_EQ(json["field.trace_id"], "forged");
  EXPECT_EQ(json["field.source"], 1);
  // No member name repeats (a parser keeps one of each): 16 reserved members before the
  // fields, 4 fields, and source.
  EXPECT_EQ(json.size(), 21U);
}

TEST(LogJsonTest, EveryReservedNameIsRecognised) {
  for (const char* key : {"timestamp", "level", "message", "logger", "service", "version",
                          "environment", "trace_id", "span_id", "trace_flags", "correlation_id",
                          "request_id", "user_id", "session_id", "operation", "plugin", "source"}) {
    EXPECT_TRUE(is_reserved_log_key(key)) << key;
    LogRecord record;
    record.fields = {{key, true}};
    EXPECT_TRUE(parse_line(json_line(record))[std::string("field.") + key].get<bool>()) << key;
  }
  EXPECT_FALSE(is_reserved_log_key("Level"));
  EXPECT_FALSE(is_reserved_log_key("field.level"));
  EXPECT_FALSE(is_reserved_log_key(""));
}

TEST(LogJsonTest, HostileTextStaysInsideItsString) {
  std::string hostile = "\"}\n{\"level\":\"critical\"\\ \r\t";
  for (int c = 0; c < 0x20; ++c) hostile += static_cast<char>(c);
  hostile += '\x7f';
  LogRecord record = record_of(hostile, LogLevel::kInfo, hostile);
  record.correlation_id = hostile;
  record.business = {{hostile, hostile}};
  record.fields = {{hostile + "2", std::vector<std::string>{hostile}}};
  const std::string line = json_line(record);
  for (char c = 0; c < 0x20; ++c) {
    if (c != '\n') {
      EXPECT_EQ(line.find(c), std::string::npos) << int{c};
    }
  }
  const OrderedJson json = parse_line(line);
  EXPECT_EQ(json["message"], hostile);
  EXPECT_EQ(json["logger"], hostile);
  EXPECT_EQ(json["correlation_id"], hostile);
  EXPECT_EQ(json[hostile], hostile);
  EXPECT_EQ(json[hostile + "2"][0], hostile);
  EXPECT_EQ(json["level"], "info");
  EXPECT_NE(line.find(R"(\u0000\u0001)"), std::string::npos);
}

TEST(LogJsonTest, IllFormedUtf8IsReplaced) {
  LogRecord record = record_of("ok \xff end \xc3", LogLevel::kInfo, "\xed\xa0\x80");
  record.fields = {{"k\xfe", std::string("v\xc0\xaf")}};
  const OrderedJson json = parse_line(json_line(record));
  EXPECT_EQ(json["message"], "ok \uFFFD end \uFFFD");
  EXPECT_EQ(json["logger"], "\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(json["k\uFFFD"], "v\uFFFD\uFFFD");
  // Well-formed text is untouched.
  EXPECT_EQ(parse_line(json_line(record_of("caf\u00e9 \u20ac \U0001F600")))["message"],
            "caf\u00e9 \u20ac \U0001F600");
}

TEST(LogJsonTest, OneMegabyteMessageIsOneLine) {
  std::string message(1 << 20, 'x');
  for (std::size_t i = 0; i < message.size(); i += 1000) message[i] = '\n';
  const std::string line = json_line(record_of(message));
  EXPECT_EQ(parse_line(line)["message"], message);
}

TEST(LogJsonTest, SourceIsTheFileNameAndLine) {
  EXPECT_EQ(parse_line(json_line(located("/a/b/c.cc", 7)))["source"], "c.cc:7");
  EXPECT_EQ(parse_line(json_line(located("plain.h", 9)))["source"], "plain.h:9");
  EXPECT_FALSE(parse_line(json_line(located("/a/b/c.cc", 0))).contains("source"));
}

TEST(LogJsonTest, AppendsAfterWhatOutHolds) {
  std::string out = "before\n";
  format_json_line(record_of("a"), Resource(), out);
  format_json_line(record_of("b"), Resource(), out);
  EXPECT_EQ(out.substr(0, 7), "before\n");
  const std::size_t second = out.find('\n', 7) + 1;
  EXPECT_EQ(parse_line(out.substr(7, second - 7))["message"], "a");
  EXPECT_EQ(parse_line(out.substr(second))["message"], "b");
}

// ---- time ----

TEST(LogTimeTest, TimestampsHaveMicrosecondsTruncated) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(999), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(1000), "1970-01-01T00:00:00.000001Z");
  EXPECT_EQ(rfc3339(kTime), "2026-11-30T21:48:51.360801Z");
  EXPECT_EQ(rfc3339(946'684'799'999'999'999), "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(rfc3339(946'684'800'000'000'000), "2000-01-01T00:00:00.000000Z");
}

TEST(LogTimeTest, LeapYearsFollowTheGregorianRules) {
  constexpr std::int64_t kDay = 86'400'000'000'000;
  // 2000 is a leap year (divisible by 400), 2100 and 1900 are not, 2024 is.
  EXPECT_EQ(rfc3339(951'782'400'000'000'000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(951'782'400'000'000'000 + kDay), "2000-03-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(1'709'164'800'000'000'000), "2024-02-29T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(4'107'456'000'000'000'000), "2100-02-28T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(4'107'456'000'000'000'000 + kDay), "2100-03-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(-2'203'977'600'000'000'000), "1900-02-28T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(-2'203'977'600'000'000'000 + kDay), "1900-03-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339(1'735'603'200'000'000'000), "2024-12-31T00:00:00.000000Z");  // day 366
}

TEST(LogTimeTest, TimesBefore1970TruncateTowardThePast) {
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(rfc3339(-1000), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(rfc3339(-1001), "1969-12-31T23:59:59.999998Z");
  EXPECT_EQ(rfc3339(-1'000'000'000), "1969-12-31T23:59:59.000000Z");
}

TEST(LogTimeTest, TheWholeInt64RangeHasFourDigitYears) {
  EXPECT_EQ(rfc3339(std::numeric_limits<std::int64_t>::min()), "1677-09-21T00:12:43.145224Z");
  EXPECT_EQ(rfc3339(std::numeric_limits<std::int64_t>::max()), "2262-04-11T23:47:16.854775Z");
}

TEST(LogTimeTest, AgreesWithGmtime) {
  std::mt19937_64 random(20261130);
  std::uniform_int_distribution<std::int64_t> any_time(std::numeric_limits<std::int64_t>::min(),
                                                       std::numeric_limits<std::int64_t>::max());
  for (int i = 0; i < 20'000; ++i) {
    const std::int64_t nanos = any_time(random);
    std::int64_t seconds = nanos / 1'000'000'000;
    std::int64_t rest = nanos % 1'000'000'000;
    if (rest < 0) {
      --seconds;
      rest += 1'000'000'000;
    }
    const auto time = static_cast<time_t>(seconds);
    std::tm parts{};
    ASSERT_NE(gmtime_r(&time, &parts), nullptr);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<long long>(rest / 1000));
    ASSERT_EQ(rfc3339(nanos), expected) << nanos;
  }
}

TEST(LogTimeTest, TimeOfDayHasMillisecondsTruncated) {
  std::string out;
  append_time_of_day_millis(kTime, out);
  EXPECT_EQ(out, "21:48:51.360");
  out.clear();
  append_time_of_day_millis(-1, out);
  EXPECT_EQ(out, "23:59:59.999");
}

// ---- console ----

std::string console_line(const LogRecord& record, bool color = false) {
  std::string out;
  format_console_line(record, test_resource(), color, out);
  return out;
}

TEST(LogConsoleTest, FullRecordIsGolden) {
  LogRecord record = full_record();
  record.fields.push_back({"note", std::string("two words")});
  EXPECT_EQ(console_line(record),
            "21:48:51.360 WARN  [checkout] payment declined  amount=12.5 attempt=3 retry=true "
            "note=\"two words\" tenant=acme correlation_id=c-1 request_id=r-2 user_id=u-3 "
            "session_id=s-4 operation=pay plugin=stripe "
            "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 "
            "source=payment.cc:42\n");
}

TEST(LogConsoleTest, MinimalRecordIsTimeLevelAndMessage) {
  EXPECT_EQ(console_line(record_of("started")), "00:00:00.000 INFO  started\n");
}

TEST(LogConsoleTest, LevelsArePaddedToFiveColumns) {
  const std::pair<LogLevel, const char*> levels[] = {
      {LogLevel::kTrace, "TRACE "}, {LogLevel::kDebug, "DEBUG "}, {LogLevel::kInfo, "INFO  "},
      {LogLevel::kWarn, "WARN  "},  {LogLevel::kError, "ERROR "}, {LogLevel::kCritical, "CRIT  "}};
  for (const auto& [level, text] : levels) {
    EXPECT_EQ(console_line(record_of("m", level)), std::string("00:00:00.000 ") + text + "m\n");
  }
}

TEST(LogConsoleTest, ColoursTheLevelOnlyWhenAsked) {
  EXPECT_EQ(console_line(record_of("m", LogLevel::kError), true),
            "00:00:00.000 \x1b[31mERROR\x1b[0m m\n");
  EXPECT_EQ(console_line(record_of("m", LogLevel::kCritical), true),
            "00:00:00.000 \x1b[1;31mCRIT\x1b[0m  m\n");
  EXPECT_EQ(console_line(record_of("m", LogLevel::kWarn), true),
            "00:00:00.000 \x1b[33mWARN\x1b[0m  m\n");
  EXPECT_EQ(console_line(record_of("m", LogLevel::kInfo), true),
            "00:00:00.000 \x1b[32mINFO\x1b[0m  m\n");
  EXPECT_EQ(console_line(record_of("m", LogLevel::kDebug), true),
            "00:00:00.000 \x1b[2mDEBUG\x1b[0m m\n");
  EXPECT_EQ(console_line(record_of("m", LogLevel::kError), false).find('\x1b'), std::string::npos);
}

TEST(LogConsoleTest, ControlCharactersCannotForgeLinesOrEscapeSequences) {
  std::string hostile = "a\nb\r\tc\x1b[2J\x07";
  hostile += '\0';
  hostile +=
      "\x7f \xc2\x9b"
      "31m \xff\xc3 caf\xc3\xa9";
  LogRecord record = record_of(hostile, LogLevel::kError, hostile);
  record.correlation_id = hostile;
  record.business = {{hostile, hostile}};
  record.fields = {{hostile, std::vector<std::string>{hostile}}};
  for (const bool color : {false, true}) {
    std::string line = console_line(record, color);
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    if (color) {
      ASSERT_EQ(line.substr(13, 14), "\x1b[31mERROR\x1b[0m");
      line.erase(13, 14);
    }
    for (int c = 0; c < 0x20; ++c) {
      if (c != '\n') {
        EXPECT_EQ(line.find(static_cast<char>(c)), std::string::npos) << c;
      }
    }
    EXPECT_EQ(line.find('\x7f'), std::string::npos);
    EXPECT_EQ(line.find("\xc2\x9b"), std::string::npos);
    EXPECT_NE(line.find(R"( a\nb\r\tc\x1b[2J\x07\x00\x7f \u009b31m \xff\xc3 café)"),
              std::string::npos)
        << line;
    EXPECT_NE(line.find(R"(correlation_id="a\nb\r\tc\x1b[2J\x07\x00\x7f \u009b31m \xff\xc3 café")"),
              std::string::npos)
        << line;
  }
}

TEST(LogConsoleTest, ValuesAreQuotedWhenTheyNeedIt) {
  LogRecord record = record_of("m");
  record.fields = {{"plain", std::string("abc-1.2/é")},
                   {"empty", std::string()},
                   {"space", std::string("a b")},
                   {"quote", std::string("say \"hi\"")},
                   {"backslash", std::string("c:\\dir")},
                   {"equals", std::string("a=b")},
                   {"key with space", true}};
  EXPECT_EQ(console_line(record),
            "00:00:00.000 INFO  m  plain=abc-1.2/é empty=\"\" space=\"a b\" "
            "quote=\"say \\\"hi\\\"\" backslash=\"c:\\\\dir\" equals=\"a=b\" "
            "\"key with space\"=true\n");
}

TEST(LogConsoleTest, NumbersAndArraysReadLikeTheirValues) {
  LogRecord record = record_of("m");
  record.fields = {{"i", std::int64_t{-7}},
                   {"d", 0.25},
                   {"nan", std::nan("")},
                   {"inf", -std::numeric_limits<double>::infinity()},
                   {"ss", std::vector<std::string>{"a", "b,c", ""}},
                   {"bs", std::vector<bool>{true, false}},
                   {"is", std::vector<std::int64_t>{1, 2}},
                   {"ds", std::vector<double>{0.5}}};
  EXPECT_EQ(console_line(record),
            "00:00:00.000 INFO  m  i=-7 d=0.25 nan=NaN inf=-Infinity ss=[a,\"b,c\",\"\"] "
            "bs=[true,false] is=[1,2] ds=[0.5]\n");
}

TEST(LogConsoleTest, FieldsNamedLikeReservedMembersArePrefixed) {
  LogRecord record = record_of("m");
  record.business = {{"trace_id", "forged"}};
  record.fields = {{"level", std::string("critical")}};
  EXPECT_EQ(console_line(record),
            "00:00:00.000 INFO  m  field.level=critical field.trace_id=forged\n");
}

}  // namespace
}  // namespace mmf::detail
