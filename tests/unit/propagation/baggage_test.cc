// W3C Baggage: the specification's examples, percent-encoding and UTF-8, malformed members
// (skipped one by one), the 64-member and 8192-byte limits, duplicates, encoding on the way
// out, and the immutable mutations.
#include "mmf/baggage.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "mmf/propagation.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

using testing_support::CounterDelta;
using testing_support::HeaderList;

Baggage parse_fields(std::vector<std::string_view> fields, Baggage::ParseStats* stats = nullptr) {
  return Baggage::parse(std::span<const std::string_view>(fields.data(), fields.size()), stats);
}

std::vector<std::string> keys_of(const Baggage& baggage) {
  std::vector<std::string> keys;
  for (const Baggage::Entry& entry : baggage.entries()) keys.push_back(entry.key);
  return keys;
}

// "k0=v,k1=v,...": count members named <prefix><i>.
std::string numbered_members(int count, std::string_view prefix = "k") {
  std::string header;
  for (int i = 0; i < count; ++i) {
    if (i) header.push_back(',');
    header.append(prefix).append(std::to_string(i)).append("=v");
  }
  return header;
}

// --- the specification's examples --------------------------------------------------------

TEST(Baggage, ParsesTheSpecificationExampleWithProperties) {
  Baggage::ParseStats stats;
  const Baggage baggage = Baggage::parse(
      "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
      &stats);
  ASSERT_EQ(baggage.size(), 3u);
  EXPECT_EQ(baggage.entries()[0], (Baggage::Entry{"key1", "value1", "property1;property2"}));
  EXPECT_EQ(baggage.entries()[1], (Baggage::Entry{"key2", "value2", ""}));
  EXPECT_EQ(baggage.entries()[2], (Baggage::Entry{"key3", "value3", "propertyKey=propertyValue"}));
  EXPECT_EQ(stats.invalid_members, 0u);
  EXPECT_EQ(stats.dropped_members, 0u);
}

TEST(Baggage, DecodesPercentEncodedValues) {
  const Baggage baggage = Baggage::parse("userId=alice,serverNode=DF%2028,isProduction=false");
  EXPECT_EQ(baggage.get("userId"), "alice");
  EXPECT_EQ(baggage.get("serverNode"), "DF 28");
  EXPECT_EQ(baggage.get("isProduction"), "false");
  EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"userId", "serverNode", "isProduction"}));
}

TEST(Baggage, CombinesSeveralHeaderFieldsInOrder) {
  const Baggage baggage = parse_fields({"userId=alice", "serverNode=DF%2028,isProduction=false"});
  EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"userId", "serverNode", "isProduction"}));
  EXPECT_EQ(baggage.get("serverNode"), "DF 28");
}

TEST(Baggage, TrimsWhitespaceAroundKeysValuesAndProperties) {
  const Baggage baggage =
      parse_fields({"userId =   alice", "serverNode = DF%2028, isProduction = false",
                    "\tk\t=\tv\t;\tp1\t;\tp2 = x\t"});
  EXPECT_EQ(baggage.get("userId"), "alice");
  EXPECT_EQ(baggage.get("serverNode"), "DF 28");
  EXPECT_EQ(baggage.get("isProduction"), "false");
  ASSERT_EQ(baggage.size(), 4u);
  EXPECT_EQ(baggage.entries()[3], (Baggage::Entry{"k", "v", "p1;p2=x"}));
}

TEST(Baggage, AcceptsAnEmptyValue) {
  const Baggage baggage = Baggage::parse("empty=,spaced = ;p");
  EXPECT_EQ(baggage.get("empty"), "");
  EXPECT_EQ(baggage.get("spaced"), "");
  EXPECT_EQ(baggage.entries()[1].metadata, "p");
}

TEST(Baggage, AcceptsEqualsSignsInsideAValue) {
  EXPECT_EQ(Baggage::parse("k=a=b==").get("k"), "a=b==");
}

TEST(Baggage, AcceptsEmptyHeadersAndEmptyMembers) {
  Baggage::ParseStats stats;
  EXPECT_TRUE(Baggage::parse("", &stats).empty());
  EXPECT_TRUE(Baggage::parse(" , ,\t,", &stats).empty());
  EXPECT_EQ(stats.invalid_members, 0u);
  EXPECT_EQ(keys_of(Baggage::parse("a=1,,b=2,")), (std::vector<std::string>{"a", "b"}));
}

// --- malformed members -------------------------------------------------------------------

TEST(Baggage, SkipsAMalformedMemberAndKeepsTheRest) {
  for (const char* bad : {"novalue", "=v", " =v", "bad key=v", "k(=v", "k@x=v", "k=a b", "k=\"q\"",
                          "k=back\\slash", "k=tab\tinside", "k=\x01", "k=\xc3\xa9", "k=\x7f",
                          "k=v;", "k=v;;p", "k=v;=x", "k=v;p=a b", "k=v;bad key", "k=v;p=\"q\""}) {
    Baggage::ParseStats stats;
    const Baggage baggage = Baggage::parse(std::string("good=1,") + bad + ",also=2", &stats);
    EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"good", "also"})) << bad;
    EXPECT_EQ(stats.invalid_members, 1u) << bad;
    EXPECT_EQ(stats.dropped_members, 0u) << bad;
  }
}

TEST(Baggage, SkipsBrokenPercentEscapes) {
  for (const char* bad : {"k=%", "k=%2", "k=%zz", "k=%g0", "k=%2G", "k=abc%", "k=%%", "k=%-1"}) {
    Baggage::ParseStats stats;
    const Baggage baggage = Baggage::parse(std::string(bad) + ",ok=1", &stats);
    EXPECT_FALSE(baggage.get("k").has_value()) << bad;
    EXPECT_EQ(baggage.get("ok"), "1") << bad;
    EXPECT_EQ(stats.invalid_members, 1u) << bad;
  }
}

// Values without an escape are taken whole; every byte must still be a baggage-octet.
TEST(Baggage, ChecksEveryByteOfAValueWithoutEscapes) {
  for (const std::string& bad :
       {std::string("k=caf\xc3\xa9"), std::string("k=a\"b"), std::string("k=a\\b"),
        std::string("k=a b"), std::string("k=a\x7f"), std::string("k=\x01"),
        std::string("k=a\0b", 5)}) {
    Baggage::ParseStats stats;
    const Baggage baggage = Baggage::parse(bad + ",ok=1", &stats);
    EXPECT_FALSE(baggage.get("k").has_value()) << bad;
    EXPECT_EQ(baggage.get("ok"), "1") << bad;
    EXPECT_EQ(stats.invalid_members, 1u) << bad;
  }
  EXPECT_EQ(Baggage::parse("k=!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~").get("k"),
            "!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~");
}

TEST(Baggage, DecodesAnEscapeAfterLiteralBytesAndChecksTheBytesAfterIt) {
  EXPECT_EQ(Baggage::parse("k=abc%20def").get("k"), "abc def");
  EXPECT_EQ(Baggage::parse("k=abc%C3%A9").get("k"), "abc\xc3\xa9");
  EXPECT_FALSE(Baggage::parse("k=abc%20d\"f").get("k").has_value());
  EXPECT_FALSE(Baggage::parse("k=abc%20d\xc3\xa9").get("k").has_value());
}

TEST(Baggage, MeasuresTheByteLimitOnTheEncodedFormWithAndWithoutEscapes) {
  // "k=" and 8190 literal bytes: exactly 8192 encoded.
  EXPECT_EQ(Baggage::parse("k=" + std::string(8190, 'v')).size(), 1u);
  EXPECT_EQ(Baggage::parse("k=" + std::string(8191, 'v')).size(), 0u);
  // An escape that stays one (a space) counts 3 bytes; one that decodes to a literal, 1.
  EXPECT_EQ(Baggage::parse("k=" + std::string(8187, 'v') + "%20").size(), 1u);
  EXPECT_EQ(Baggage::parse("k=" + std::string(8188, 'v') + "%20").size(), 0u);
  EXPECT_EQ(Baggage::parse("k=" + std::string(8189, 'v') + "%41").size(), 1u);
  const Baggage pair =
      Baggage::parse("a=" + std::string(4000, 'x') + "%20,b=" + std::string(4000, 'y') +
                     ",c=" + std::string(200, 'z'));
  EXPECT_EQ(keys_of(pair), (std::vector<std::string>{"a", "b"}));
}

TEST(Baggage, AcceptsHexEscapesInEitherCase) {
  EXPECT_EQ(Baggage::parse("k=%c3%a9").get("k"), "\xc3\xa9");
  EXPECT_EQ(Baggage::parse("k=%C3%A9").get("k"), "\xc3\xa9");
}

TEST(Baggage, DecodesEscapedSeparators) {
  EXPECT_EQ(Baggage::parse("k=%2C%3B%3D%25%22%5C%20%09").get("k"), ",;=%\"\\ \t");
}

TEST(Baggage, SkipsValuesThatAreNotUtf8AfterDecoding) {
  for (const char* bad : {"k=%FF", "k=%80", "k=%C3", "k=%C3%28", "k=%C0%AF", "k=%E0%80%AF",
                          "k=%ED%A0%80", "k=%F4%90%80%80", "k=%F5%80%80%80", "k=a%E2%82"}) {
    Baggage::ParseStats stats;
    const Baggage baggage = Baggage::parse(std::string(bad) + ",ok=1", &stats);
    EXPECT_FALSE(baggage.get("k").has_value()) << bad;
    EXPECT_EQ(stats.invalid_members, 1u) << bad;
  }
}

TEST(Baggage, AcceptsMultiByteUtf8) {
  const Baggage baggage = Baggage::parse("euro=%E2%82%AC,smile=%F0%9F%98%80,max=%F4%8F%BF%BF");
  EXPECT_EQ(baggage.get("euro"), "\xe2\x82\xac");
  EXPECT_EQ(baggage.get("smile"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(baggage.get("max"), "\xf4\x8f\xbf\xbf");
}

// --- limits ----------------------------------------------------------------------------------

TEST(Baggage, Keeps64Members) {
  Baggage::ParseStats stats;
  const Baggage baggage = Baggage::parse(numbered_members(64), &stats);
  EXPECT_EQ(baggage.size(), 64u);
  EXPECT_EQ(stats.dropped_members, 0u);
}

TEST(Baggage, DropsMembersBeyond64AndCountsThem) {
  Baggage::ParseStats stats;
  const Baggage baggage = Baggage::parse(numbered_members(70), &stats);
  EXPECT_EQ(baggage.size(), Baggage::kMaxEntries);
  EXPECT_EQ(baggage.get("k63"), "v");
  EXPECT_FALSE(baggage.get("k64").has_value());
  EXPECT_EQ(stats.dropped_members, 6u);
  EXPECT_EQ(stats.invalid_members, 0u);
}

TEST(Baggage, ADuplicateKeyAtTheEntryLimitReplacesRatherThanDrops) {
  Baggage::ParseStats stats;
  const Baggage baggage = Baggage::parse(numbered_members(64) + ",k0=last", &stats);
  EXPECT_EQ(baggage.size(), 64u);
  EXPECT_EQ(baggage.get("k0"), "last");
  EXPECT_EQ(stats.dropped_members, 0u);
}

TEST(Baggage, KeepsAMemberOfExactly8192Bytes) {
  Baggage::ParseStats stats;
  const std::string header = "k=" + std::string(8190, 'a');
  const Baggage baggage = Baggage::parse(header, &stats);
  EXPECT_EQ(baggage.size(), 1u);
  EXPECT_EQ(baggage.to_header(), header);
  EXPECT_EQ(stats.dropped_members, 0u);
}

TEST(Baggage, DropsAWholeMemberThatWouldPassTheByteLimit) {
  Baggage::ParseStats stats;
  EXPECT_TRUE(Baggage::parse("k=" + std::string(8191, 'a'), &stats).empty());
  EXPECT_EQ(stats.dropped_members, 1u);

  // Two members of 4096 bytes: with the comma, the second would make 8193.
  const std::string half = std::string(4094, 'a');
  const Baggage two = Baggage::parse("a=" + half + ",b=" + half, &stats);
  EXPECT_EQ(keys_of(two), (std::vector<std::string>{"a"}));
  EXPECT_EQ(stats.dropped_members, 1u);
}

TEST(Baggage, MeasuresTheByteLimitOnTheEncodedForm) {
  // 2730 spaces travel as 8190 bytes of "%20": "k=" plus those is exactly 8192.
  std::string encoded = "k=";
  for (int i = 0; i < 2730; ++i) encoded += "%20";
  const Baggage baggage = Baggage::parse(encoded);
  ASSERT_EQ(baggage.size(), 1u);
  EXPECT_EQ(baggage.get("k")->size(), 2730u);
  EXPECT_EQ(baggage.to_header().size(), 8192u);
  EXPECT_TRUE(Baggage::parse(encoded + "%20").empty());
}

TEST(Baggage, KeepsLaterMembersThatStillFitAfterADrop) {
  Baggage::ParseStats stats;
  const Baggage baggage = Baggage::parse(
      "big=" + std::string(8000, 'a') + ",medium=" + std::string(500, 'b') + ",small=1", &stats);
  EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"big", "small"}));
  EXPECT_EQ(stats.dropped_members, 1u);
  EXPECT_LE(baggage.to_header().size(), Baggage::kMaxHeaderSize);
}

TEST(Baggage, LimitsApplyAcrossHeaderFields) {
  Baggage::ParseStats stats;
  // The second field repeats k0..k39, which replace the first ones: 40 distinct keys.
  const Baggage same = parse_fields({numbered_members(40), numbered_members(40)}, &stats);
  EXPECT_EQ(same.size(), 40u);
  EXPECT_EQ(stats.dropped_members, 0u);
  // 40 + 40 distinct keys: the last 16 of the second field are dropped.
  const Baggage more = parse_fields({numbered_members(40), numbered_members(40, "m")}, &stats);
  EXPECT_EQ(more.size(), 64u);
  EXPECT_EQ(more.get("m23"), "v");
  EXPECT_FALSE(more.get("m24").has_value());
  EXPECT_EQ(stats.dropped_members, 16u);
}

// --- duplicates ------------------------------------------------------------------------------

// A single field of plain members takes a one-pass path; the same text given as two fields
// (the second empty) takes the general parser. Both must read every list alike.
TEST(Baggage, APlainListReadsAsTheGeneralParserReadsIt) {
  const std::vector<std::string> headers = {
      "tenant_id=acme-corp,feature_flag=checkout-v2",
      "k=",
      "k=a=b,x=y",
      "k=~!#$&'()*+-./:<>?@[]^_`{|}09AZaz",
      "k=1,other=x,k=2",  // a repeated key: the general parser decides
      "k=v,",             // a trailing empty member
      ",k=v",
      "k=v,,x=y",
      "k=a%20b",
      "userId=alice,serverNode=DF%2028,isProduction=false",
      "a=1,b=%41%42,c=3",
      "k=a%2Cb%3Bc",
      "k=%zz,x=y",
      "k=%,x=y",
      "k=a%2",
      "k=%C3,x=y",  // not UTF-8 once decoded
      "k=%C3%A9%E2%82%AC",
      "k = v",
      "k=v;p",
      "=v",
      "k",
      "k=\"q\"",
      "k=caf\xc3\xa9",
      numbered_members(64),
      numbered_members(65),
      "k=" + std::string(8190, 'a'),
      "k=" + std::string(8191, 'a'),
  };
  for (const std::string& header : headers) {
    Baggage::ParseStats plain_stats;
    Baggage::ParseStats general_stats;
    const Baggage plain = Baggage::parse(header, &plain_stats);
    const Baggage general = parse_fields({header, ""}, &general_stats);
    EXPECT_EQ(plain, general) << header.substr(0, 80);
    EXPECT_EQ(plain_stats.invalid_members, general_stats.invalid_members) << header.substr(0, 80);
    EXPECT_EQ(plain_stats.dropped_members, general_stats.dropped_members) << header.substr(0, 80);
  }
}

// The one-pass path scans keys and values sixteen bytes at a time (the last partial block as
// the header's last sixteen bytes). Every byte value at every position of keys and values of
// each length up to 20 (and values across the 32-byte edge), at the start and after another
// member, must read as the general parser reads it.
TEST(Baggage, APlainListReadsAsTheGeneralParserReadsItForEveryByteAtEveryPosition) {
  const auto check = [](const std::string& header) {
    Baggage::ParseStats plain_stats;
    Baggage::ParseStats general_stats;
    const Baggage plain = Baggage::parse(header, &plain_stats);
    const Baggage general = parse_fields({header, ""}, &general_stats);
    return plain == general && plain_stats.invalid_members == general_stats.invalid_members &&
           plain_stats.dropped_members == general_stats.dropped_members;
  };
  const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
  std::vector<std::size_t> value_sizes;
  for (std::size_t size = 1; size <= 20; ++size) value_sizes.push_back(size);
  value_sizes.insert(value_sizes.end(), {31, 32, 33});
  for (const std::string prefix : {"", "first_member=first-value-1,"}) {
    for (std::size_t key_size = 1; key_size <= 20; ++key_size) {
      for (std::size_t position = 0; position < key_size; ++position) {
        std::string key = letters.substr(0, key_size);
        for (int byte = 0; byte < 256; ++byte) {
          key[position] = static_cast<char>(byte);
          const std::string header = prefix + key + "=value";
          ASSERT_TRUE(check(header)) << "key byte " << byte << " at " << position << " of "
                                     << key_size << " after '" << prefix << "'";
        }
      }
    }
    for (const std::string suffix : {"", ",z=1"}) {
      for (const std::size_t value_size : value_sizes) {
        for (std::size_t position = 0; position < value_size; ++position) {
          std::string value = letters.substr(0, value_size);
          for (int byte = 0; byte < 256; ++byte) {
            value[position] = static_cast<char>(byte);
            const std::string header = prefix + "k=" + value + suffix;
            ASSERT_TRUE(check(header)) << "value byte " << byte << " at " << position << " of "
                                       << value_size << " after '" << prefix << "'";
          }
        }
      }
    }
  }
}

TEST(Baggage, ADuplicateKeyKeepsTheLastValue) {
  const Baggage one = Baggage::parse("k=1,other=x,k=2");
  EXPECT_EQ(one.get("k"), "2");
  EXPECT_EQ(one.size(), 2u);

  const Baggage across = parse_fields({"k=1;p", "k=2"});
  EXPECT_EQ(across.get("k"), "2");
  ASSERT_EQ(across.size(), 1u);
  EXPECT_EQ(across.entries()[0].metadata, "");
}

// --- encoding on the way out --------------------------------------------------------------

TEST(BaggageToHeader, EncodesCharactersThatAreNotBaggageOctets) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a b", "a%20b"},       {"100%", "100%25"},
      {"x,y", "x%2Cy"},       {"x;y", "x%3By"},
      {"\"q\"", "%22q%22"},   {"a\\b", "a%5Cb"},
      {"\xc3\xa9", "%C3%A9"}, {"\xe2\x82\xac", "%E2%82%AC"},
      {"tab\t", "tab%09"},    {"DF 28", "DF%2028"}};
  for (const auto& [value, encoded] : cases) {
    EXPECT_EQ(Baggage().set("k", value).to_header(), "k=" + encoded) << value;
  }
}

TEST(BaggageToHeader, LeavesOtherPrintableCharactersLiteral) {
  const std::string literal = "a=b~!#$&'()*+-./:<>?@[]^_`{|}09AZaz";
  EXPECT_EQ(Baggage().set("k", literal).to_header(), "k=" + literal);
}

TEST(BaggageToHeader, WritesPropertiesAfterTheValue) {
  const Baggage baggage = Baggage::parse("key1=value1;property1;property2,key2=v");
  EXPECT_EQ(baggage.to_header(), "key1=value1;property1;property2,key2=v");
  EXPECT_EQ(Baggage::parse("k=v ; p1 ; p2 = x").to_header(), "k=v;p1;p2=x");
}

TEST(BaggageToHeader, IsEmptyForAnEmptyBaggage) { EXPECT_EQ(Baggage().to_header(), ""); }

TEST(BaggageToHeader, ParsesBackToAnEqualBaggage) {
  const Baggage baggage = Baggage()
                              .set("userId", "alice")
                              .set("serverNode", "DF 28", "region=eu;primary")
                              .set("odd", " %,;\"\\=\t")
                              .set("utf8", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")
                              .set("empty", "");
  ASSERT_EQ(baggage.size(), 5u);
  Baggage::ParseStats stats;
  EXPECT_EQ(Baggage::parse(baggage.to_header(), &stats), baggage);
  EXPECT_EQ(stats.invalid_members, 0u);
  EXPECT_EQ(stats.dropped_members, 0u);
}

TEST(BaggageToHeader, EncodesEveryEscapeBetweenLiteralRuns) {
  std::string out;
  Baggage::append_encoded(out, "k", "%a b,,c%", {});
  EXPECT_EQ(out, "k=%25a%20b%2C%2Cc%25");
}

// Every byte value, at the edges of the 16-byte blocks the encoder checks at once and in the
// bytes it checks one by one, against the rule written out byte by byte.
TEST(BaggageToHeader, EncodesEachByteValueAtAnyPosition) {
  const auto reference = [](std::string_view value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out = "k=";
    for (char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      const bool literal =
          byte >= 0x21 && byte <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\' && c != '%';
      if (literal) {
        out.push_back(c);
      } else {
        out.append({'%', kHex[byte >> 4], kHex[byte & 0x0f]});
      }
    }
    return out;
  };
  for (int byte = 0; byte < 256; ++byte) {
    for (std::size_t position : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 39u}) {
      std::string value(40, 'a');
      value[position] = static_cast<char>(byte);
      std::string out;
      Baggage::append_encoded(out, "k", value, {});
      ASSERT_EQ(out, reference(value)) << "byte " << byte << " at " << position;
    }
  }
}

TEST(BaggageToHeader, AppendEncodedAppendsOneEntry) {
  std::string out = "x=1,";
  Baggage::append_encoded(out, "k", "a b", "p");
  EXPECT_EQ(out, "x=1,k=a%20b;p");
}

// --- mutations -------------------------------------------------------------------------------

TEST(BaggageSet, AppendsANewKey) {
  const Baggage baggage = Baggage::parse("a=1").set("b", "2");
  EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(baggage.get("b"), "2");
}

TEST(BaggageSet, ReplacesAnExistingKeyInPlace) {
  const Baggage original = Baggage::parse("a=1,b=2,c=3");
  const Baggage baggage = original.set("b", "9", "p");
  EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(baggage.entries()[1], (Baggage::Entry{"b", "9", "p"}));
  EXPECT_EQ(original.get("b"), "2");  // immutable
}

TEST(BaggageSet, IgnoresAnInvalidKeyValueOrProperty) {
  const Baggage original = Baggage::parse("a=1");
  EXPECT_EQ(original.set("", "v"), original);
  EXPECT_EQ(original.set("bad key", "v"), original);
  EXPECT_EQ(original.set("k;", "v"), original);
  EXPECT_EQ(original.set("k", "\xff"), original);
  EXPECT_EQ(original.set("k", "\xc3"), original);
  EXPECT_EQ(original.set("k", "v", "bad property"), original);
  EXPECT_EQ(original.set("k", "v", ";"), original);
}

TEST(BaggageSet, NormalisesProperties) {
  const Baggage baggage = Baggage().set("k", "v", " p1 = x ;p2 ");
  EXPECT_EQ(baggage.entries()[0].metadata, "p1=x;p2");
}

TEST(BaggageSet, RefusesA65thEntry) {
  const Baggage full = Baggage::parse(numbered_members(64));
  EXPECT_EQ(full.set("extra", "1"), full);
  EXPECT_EQ(full.set("k5", "changed").get("k5"), "changed");  // replacing still works
}

TEST(BaggageSet, RefusesAnEntryThatWouldPassTheByteLimit) {
  const Baggage big = Baggage().set("a", std::string(8000, 'x'));
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big.set("b", std::string(200, 'y')), big);
  EXPECT_EQ(big.set("b", std::string(100, ' ')), big);        // 300 bytes once encoded
  EXPECT_EQ(big.set("b", std::string(187, 'y')).size(), 2u);  // 8002 + 1 + 189 = 8192
  EXPECT_EQ(big.set("b", std::string(188, 'y')), big);
}

TEST(BaggageErase, RemovesTheKey) {
  const Baggage baggage = Baggage::parse("a=1,b=2,c=3").erase("b");
  EXPECT_EQ(keys_of(baggage), (std::vector<std::string>{"a", "c"}));
  EXPECT_FALSE(baggage.get("b").has_value());
}

TEST(BaggageErase, OfAMissingKeyChangesNothing) {
  const Baggage original = Baggage::parse("a=1");
  EXPECT_EQ(original.erase("b"), original);
}

TEST(BaggageGet, ReturnsNulloptForAMissingKeyAndIsCaseSensitive) {
  const Baggage baggage = Baggage::parse("Key=1");
  EXPECT_EQ(baggage.get("Key"), "1");
  EXPECT_FALSE(baggage.get("key").has_value());
  EXPECT_FALSE(baggage.get("").has_value());
}

TEST(BaggageKey, IsAnHttpToken) {
  EXPECT_TRUE(Baggage::is_valid_key("abc-XYZ_0.9!#$%&'*+^`|~"));
  for (const char* key :
       {"", "a b", "a,b", "a;b", "a=b", "a\"b", "a(b", "a/b", "a@b", "\xc3\xa9"}) {
    EXPECT_FALSE(Baggage::is_valid_key(key)) << key;
  }
}

// --- what the propagator counts ---------------------------------------------------------

TEST(BaggageExtraction, CountsSkippedAndDroppedMembers) {
  CounterDelta counters;
  const HeaderList headers{{"baggage", "good=1,bad key=2,k=%zz"},
                           {"baggage", numbered_members(70)}};
  const Context context = Propagator().extract(headers);
  EXPECT_EQ(context.baggage().size(), Baggage::kMaxEntries);
  EXPECT_EQ(counters.delta().baggage_members_invalid, 2u);
  EXPECT_EQ(counters.delta().baggage_members_dropped, 7u);  // 1 + 70 - 64
}

}  // namespace
}  // namespace mmf
