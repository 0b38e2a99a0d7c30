// JsonWriter: structure and commas, escaping of every control character, UTF-8 repair, numbers
// (shortest round-trip doubles, non-finite values, 64-bit integers) and hex IDs; every output is
// also read back with nlohmann::json, which rejects invalid JSON and ill-formed UTF-8.
#include "export/json_writer.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace mmf::detail {
namespace {

using Json = nlohmann::json;

std::string written(const std::function<void(JsonWriter&)>& write) {
  std::string out;
  JsonWriter w(out);
  write(w);
  w.finish();
  return out;
}

std::string json_string(std::string_view text) {
  return written([&](JsonWriter& w) { w.string(text); });
}

TEST(JsonWriterTest, PlacesCommasBetweenMembersAndElements) {
  const std::string out = written([](JsonWriter& w) {
    w.begin_object();
    w.key("a");
    w.number(std::int64_t{1});
    w.key("list");
    w.begin_array();
    w.begin_object();
    w.end_object();
    w.begin_array();
    w.end_array();
    w.string("x");
    w.null();
    w.boolean(true);
    w.end_array();
    w.key("nested");
    w.begin_object();
    w.key("b");
    w.boolean(false);
    w.end_object();
    w.end_object();
  });
  EXPECT_EQ(out, R"({"a":1,"list":[{},[],"x",null,true],"nested":{"b":false}})");
  EXPECT_TRUE(Json::accept(out));
}

TEST(JsonWriterTest, KeysFromDataAreEscaped) {
  const std::string out = written([](JsonWriter& w) {
    w.begin_object();
    w.key_text("a\"b\n\xff");
    w.number(std::int64_t{1});
    w.key_text("");
    w.null();
    w.end_object();
  });
  EXPECT_EQ(out, "{\"a\\\"b\\n\uFFFD\":1,\"\":null}");
  EXPECT_TRUE(Json::accept(out));
}

TEST(JsonWriterTest, AppendsToWhatOutAlreadyHolds) {
  std::string out = "[";
  {
    JsonWriter w(out);
    w.string("a");
  }  // the destructor finishes
  EXPECT_EQ(out, R"(["a")");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndEveryControlCharacter) {
  EXPECT_EQ(json_string("say \"hi\" \\ bye"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(json_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(json_string(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(json_string("/\x7f"), "\"/\x7f\"") << "neither needs escaping";
  for (int c = 0; c < 0x80; ++c) {
    const std::string text(1, static_cast<char>(c));
    const std::string out = json_string(text);
    EXPECT_EQ(Json::parse(out).get<std::string>(), text) << "character " << c;
    if (c < 0x20) {
      EXPECT_EQ(out.find(static_cast<char>(c)), std::string::npos) << "character " << c;
    }
  }
}

TEST(JsonWriterTest, FindsCharactersToEscapeAtAnyPosition) {
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (char special : {'"', '\\', '\n', '\x01'}) {
        std::string text(length, 'a');
        text[at] = special;
        EXPECT_EQ(Json::parse(json_string(text)).get<std::string>(), text);
      }
    }
  }
}

TEST(JsonWriterTest, KeepsWellFormedUtf8AndRepairsTheRest) {
  EXPECT_EQ(json_string("ü € \U0001F600"), "\"ü € \U0001F600\"");
  EXPECT_EQ(json_string("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "\"a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd\"")
      << "the Unicode Standard's example of maximal subparts";
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\uFFFD\uFFFD\"");
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\uFFFD\uFFFD\uFFFD\"");
  EXPECT_EQ(json_string("tail\xF0\x9F\x98"), "\"tail\uFFFD\"");
  EXPECT_EQ(json_string("\"\xff\n"), "\"\\\"\uFFFD\\n\"");
  for (std::size_t length = 1; length <= 24; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      std::string text(length, 'a');
      text[at] = '\x80';
      std::string expected = text;
      expected.replace(at, 1, "\uFFFD");
      EXPECT_EQ(Json::parse(json_string(text)).get<std::string>(), expected);
    }
  }
}

TEST(JsonWriterTest, DoublesAreShortestRoundTrip) {
  const auto number = [](double value) { return written([&](JsonWriter& w) { w.number(value); }); };
  EXPECT_EQ(number(0.1), "0.1");
  EXPECT_EQ(number(3.25), "3.25");
  EXPECT_EQ(number(-2.0), "-2");
  EXPECT_EQ(number(-0.0), "-0");
  EXPECT_EQ(number(1e300), "1e+300");
  EXPECT_EQ(number(5e-324), "5e-324");
  EXPECT_EQ(number(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  std::mt19937_64 random(42);
  for (int i = 0; i < 20000; ++i) {
    const double value = std::bit_cast<double>(random());
    if (!std::isfinite(value)) continue;
    const std::string out = number(value);
    EXPECT_EQ(std::bit_cast<std::uint64_t>(Json::parse(out).get<double>()),
              std::bit_cast<std::uint64_t>(value))
        << out;
  }
}

TEST(JsonWriterTest, NonFiniteDoublesAreProto3JsonStrings) {
  const std::string out = written([](JsonWriter& w) {
    w.begin_array();
    w.number(std::numeric_limits<double>::quiet_NaN());
    w.number(std::numeric_limits<double>::infinity());
    w.number(-std::numeric_limits<double>::infinity());
    w.end_array();
  });
  EXPECT_EQ(out, R"(["NaN","Infinity","-Infinity"])");
}

TEST(JsonWriterTest, IntegersAsNumbersOrDecimalStrings) {
  const std::string out = written([](JsonWriter& w) {
    w.begin_array();
    w.number(std::numeric_limits<std::int64_t>::min());
    w.number(std::numeric_limits<std::uint64_t>::max());
    w.number(std::uint32_t{7});
    w.int64_string(std::numeric_limits<std::int64_t>::min());
    w.int64_string(0);
    w.uint64_string(std::numeric_limits<std::uint64_t>::max());
    w.end_array();
  });
  EXPECT_EQ(out,
            "[-9223372036854775808,18446744073709551615,7,"
            R"("-9223372036854775808","0","18446744073709551615"])");
}

TEST(JsonWriterTest, HexStringsAreLowercase) {
  const std::uint8_t trace_id[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                     0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  const std::uint8_t odd[3] = {0x00, 0xab, 0xff};
  const std::string out = written([&](JsonWriter& w) {
    w.begin_array();
    w.hex_string(trace_id);
    w.hex_string(std::span<const std::uint8_t>(trace_id, 8));
    w.hex_string(odd);
    w.hex_string({});
    w.end_array();
  });
  EXPECT_EQ(out, R"(["4bf92f3577b34da6a3ce929d0e0e4736","4bf92f3577b34da6","00abff",""])");
}

}  // namespace
}  // namespace mmf::detail
