// The W3C tracestate header: key and value grammar, optional whitespace, empty members,
// several header fields, duplicates, the 32-member and 512-character limits, and the
// mutations (set, erase). Cases named after the W3C test suite come from w3c/trace-context
// test/test.py.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmf/trace_context.h"
#include "propagation_test_support.h"

namespace mmf {
namespace {

using testing_support::CounterDelta;

// A member "key=vvv..." exactly length characters long.
std::string member(std::string_view key, std::size_t length) {
  std::string text(key);
  text.push_back('=');
  text.append(length - text.size(), 'v');
  return text;
}

std::string join(const std::vector<std::string>& members) {
  std::string header;
  for (const std::string& m : members) {
    if (!header.empty()) header.push_back(',');
    header.append(m);
  }
  return header;
}

std::vector<std::string> keys_of(const TraceState& state) {
  std::vector<std::string> keys;
  state.for_each([&](std::string_view key, std::string_view) { keys.emplace_back(key); });
  return keys;
}

TraceState parse_fields(std::vector<std::string_view> fields) {
  return TraceState::parse(std::span<const std::string_view>(fields.data(), fields.size()));
}

// "bar01=01,...": the members of the test suite's member-count case, first to last.
std::vector<std::string> numbered_members(int count) {
  std::vector<std::string> members;
  for (int i = 1; i <= count; ++i) {
    char text[32];  // room for any int, so that GCC's -Wformat-truncation has nothing to say
    std::snprintf(text, sizeof text, "bar%02d=%02d", i, i);
    members.emplace_back(text);
  }
  return members;
}

// --- examples and basic reading -----------------------------------------------------------

TEST(Tracestate, ParsesTheSpecificationExamples) {
  const TraceState single = TraceState::parse("rojo=00f067aa0ba902b7");
  EXPECT_EQ(single.size(), 1u);
  EXPECT_EQ(single.get("rojo"), "00f067aa0ba902b7");

  const TraceState two = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(two.size(), 2u);
  EXPECT_EQ(two.get("congo"), "t61rcWkgMzE");
  EXPECT_EQ(keys_of(two), (std::vector<std::string>{"rojo", "congo"}));
  EXPECT_EQ(two.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(Tracestate, GetMatchesWholeKeysOnly) {
  const TraceState state = TraceState::parse("foo=1,foobar=2,t@v=3");
  EXPECT_EQ(state.get("foo"), "1");
  EXPECT_EQ(state.get("foobar"), "2");
  EXPECT_EQ(state.get("t@v"), "3");
  EXPECT_FALSE(state.get("fo").has_value());
  EXPECT_FALSE(state.get("t").has_value());
  EXPECT_FALSE(state.get("").has_value());
}

TEST(Tracestate, DefaultIsEmptyWithNoMembers) {
  const TraceState state;
  EXPECT_TRUE(state.empty());
  EXPECT_EQ(state.size(), 0u);
  EXPECT_EQ(state.header(), "");
  EXPECT_FALSE(state.get("foo").has_value());
}

TEST(Tracestate, AcceptsAllAllowedCharacters) {
  const std::string key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
  const std::string vendor_key = key + "@a-z0-9_-*/";
  std::string value;
  for (char c = 0x20; c <= 0x7e; ++c) {
    if (c != ',' && c != '=') value.push_back(c);
  }
  ASSERT_EQ(value.front(), ' ');  // a leading space is part of the value

  const TraceState plain = TraceState::parse(key + "=" + value);
  EXPECT_EQ(plain.get(key), value);
  const TraceState with_vendor = TraceState::parse(vendor_key + "=" + value);
  EXPECT_EQ(with_vendor.get(vendor_key), value);
}

TEST(Tracestate, KeepsTheLeadingSpaceOfAValue) {
  const TraceState state = TraceState::parse("foo= bar,baz=  qux");
  EXPECT_EQ(state.get("foo"), " bar");
  EXPECT_EQ(state.get("baz"), "  qux");
  EXPECT_EQ(state.header(), "foo= bar,baz=  qux");
}

// --- optional whitespace and empty members ------------------------------------------------

TEST(Tracestate, IgnoresSpacesAndTabsAroundMembers) {
  for (const char* header : {"foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"}) {
    const TraceState state = TraceState::parse(header);
    EXPECT_EQ(state.header(), "foo=1,bar=2,baz=3") << header;
  }
}

TEST(Tracestate, IgnoresLeadingAndTrailingWhitespaceOfTheHeader) {
  for (const char* header : {" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"}) {
    const TraceState state = TraceState::parse(header);
    EXPECT_EQ(state.get("foo"), "1") << '"' << header << '"';
    EXPECT_EQ(state.header(), "foo=1") << '"' << header << '"';
  }
}

TEST(Tracestate, AcceptsEmptyHeadersWithoutCountingThem) {
  CounterDelta counters;
  for (const char* header : {"", " ", "\t", ",", " , ,\t,", ",,,"}) {
    const TraceState state = TraceState::parse(header);
    EXPECT_TRUE(state.empty()) << '"' << header << '"';
  }
  EXPECT_EQ(counters.delta().tracestate_invalid, 0u);
}

TEST(Tracestate, SkipsEmptyAndWhitespaceOnlyMembers) {
  EXPECT_EQ(TraceState::parse("foo=1,,bar=2").header(), "foo=1,bar=2");
  EXPECT_EQ(TraceState::parse(",foo=1, ,\t,bar=2,").header(), "foo=1,bar=2");
}

TEST(Tracestate, EmptyMembersDoNotCountTowardsThe32MemberLimit) {
  std::vector<std::string> members = numbered_members(32);
  std::string header = join(members) + std::string(10, ',');
  header.insert(0, " , , ");
  EXPECT_EQ(TraceState::parse(header).size(), 32u);
}

// --- several header fields ----------------------------------------------------------------

TEST(Tracestate, CombinesSeveralHeaderFieldsInOrder) {
  const TraceState state = parse_fields({"foo=1,bar=2", "rojo=1,congo=2", "baz=3"});
  EXPECT_EQ(state.header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(Tracestate, IgnoresEmptyHeaderFieldsAmongOthers) {
  EXPECT_EQ(parse_fields({"foo=1", ""}).header(), "foo=1");
  EXPECT_EQ(parse_fields({"", "foo=1"}).header(), "foo=1");
  EXPECT_TRUE(parse_fields({"", " "}).empty());
}

// --- duplicates ------------------------------------------------------------------------------

TEST(Tracestate, DiscardsTheWholeListWhenAKeyRepeats) {
  CounterDelta counters;
  EXPECT_TRUE(TraceState::parse("foo=1,foo=1").empty());
  EXPECT_TRUE(TraceState::parse("foo=1,foo=2").empty());
  EXPECT_TRUE(TraceState::parse("bar=0,foo=1,baz=2,foo=2").empty());
  EXPECT_EQ(counters.delta().tracestate_invalid, 3u);
}

TEST(Tracestate, DiscardsTheWholeListWhenAKeyRepeatsAcrossHeaderFields) {
  EXPECT_TRUE(parse_fields({"foo=1", "foo=1"}).empty());
  EXPECT_TRUE(parse_fields({"foo=1", "foo=2"}).empty());
  EXPECT_TRUE(parse_fields({"bar=1,foo=1", "baz=2", "foo=2"}).empty());
}

TEST(Tracestate, TreatsKeysDifferingInTenantAsDistinct) {
  EXPECT_EQ(TraceState::parse("foo=1,t@foo=2,foo@t=3").size(), 3u);
}

// --- key grammar -----------------------------------------------------------------------------

TEST(TracestateKey, AcceptsSimpleKeys) {
  EXPECT_TRUE(TraceState::is_valid_key("a"));
  EXPECT_TRUE(TraceState::is_valid_key("rojo"));
  EXPECT_TRUE(TraceState::is_valid_key("0abc"));  // Level 2: a digit may start a key
  EXPECT_TRUE(TraceState::is_valid_key("a_-*/0"));
  EXPECT_TRUE(TraceState::is_valid_key(std::string(256, 'z')));
}

TEST(TracestateKey, RejectsIllegalCharacters) {
  for (const char* key : {"FOO", "Foo", "foo.bar", "foo bar", "foo ", " foo", "foo!",
                          "foo=", "foo,", "f\xc3\xa9", "foo\t"}) {
    EXPECT_FALSE(TraceState::is_valid_key(key)) << '"' << key << '"';
  }
}

TEST(TracestateKey, RejectsKeysStartingWithAPunctuationCharacter) {
  for (const char* key : {"_foo", "-foo", "*foo", "/foo"}) {
    EXPECT_FALSE(TraceState::is_valid_key(key)) << key;
  }
}

TEST(TracestateKey, RejectsEmptyAnd257CharacterKeys) {
  EXPECT_FALSE(TraceState::is_valid_key(""));
  EXPECT_FALSE(TraceState::is_valid_key(std::string(257, 'z')));
}

TEST(TracestateKey, AcceptsMultiTenantKeysWithinTheirLimits) {
  EXPECT_TRUE(TraceState::is_valid_key("t@v"));
  EXPECT_TRUE(TraceState::is_valid_key("0t@v"));
  EXPECT_TRUE(TraceState::is_valid_key("t@v0_-*/"));
  const std::string longest = std::string(241, 't') + "@" + std::string(14, 'v');
  ASSERT_EQ(longest.size(), 256u);
  EXPECT_TRUE(TraceState::is_valid_key(longest));
}

TEST(TracestateKey, RejectsTenantLongerThan241OrSystemLongerThan14) {
  EXPECT_FALSE(TraceState::is_valid_key(std::string(242, 't') + "@v"));
  EXPECT_FALSE(TraceState::is_valid_key("t@" + std::string(15, 'v')));
}

TEST(TracestateKey, RejectsMalformedVendorFormat) {
  for (const char* key :
       {"foo@", "@foo", "@", "foo@@bar", "foo@bar@baz", "t@0v", "t@_v", "t@V", "T@v", "_t@v"}) {
    EXPECT_FALSE(TraceState::is_valid_key(key)) << key;
  }
}

TEST(Tracestate, DiscardsTheListForAnIllegalKey) {
  // The W3C test suite's cases: a bad member takes the whole list with it.
  CounterDelta counters;
  for (const char* header : {"foo =1", "FOO=1", "foo.bar=1", "foo@=1,bar=2", "@foo=1,bar=2",
                             "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2", "bar=2,=1"}) {
    EXPECT_TRUE(TraceState::parse(header).empty()) << header;
  }
  EXPECT_EQ(counters.delta().tracestate_invalid, 8u);
}

TEST(Tracestate, KeyLengthLimitsFromTheTestSuite) {
  EXPECT_EQ(parse_fields({"foo=1", std::string(256, 'z') + "=1"}).get("foo"), "1");
  EXPECT_TRUE(parse_fields({"foo=1", std::string(257, 'z') + "=1"}).empty());
  const std::string longest = std::string(241, 't') + "@" + std::string(14, 'v') + "=1";
  EXPECT_EQ(parse_fields({"foo=1", longest}).get("foo"), "1");
  EXPECT_TRUE(parse_fields({"foo=1", std::string(242, 't') + "@v=1"}).empty());
  EXPECT_TRUE(parse_fields({"foo=1", "t@" + std::string(15, 'v') + "=1"}).empty());
}

// --- value grammar ---------------------------------------------------------------------------

TEST(TracestateValue, AcceptsPrintableAsciiUpTo256Characters) {
  EXPECT_TRUE(TraceState::is_valid_value("1"));
  EXPECT_TRUE(TraceState::is_valid_value(" leading"));
  EXPECT_TRUE(TraceState::is_valid_value("in side"));
  EXPECT_TRUE(TraceState::is_valid_value("~!\"#$%&'()*+-./:;<>?@[\\]^_`{|}"));
  EXPECT_TRUE(TraceState::is_valid_value(std::string(256, 'v')));
}

TEST(TracestateValue, RejectsEmptyTooLongAndTrailingSpace) {
  EXPECT_FALSE(TraceState::is_valid_value(""));
  EXPECT_FALSE(TraceState::is_valid_value(" "));
  EXPECT_FALSE(TraceState::is_valid_value("value "));
  EXPECT_FALSE(TraceState::is_valid_value(std::string(257, 'v')));
}

TEST(TracestateValue, RejectsCommaEqualsControlAndNonAsciiCharacters) {
  for (std::string_view value : {"a,b", "a=b", "a\tb", "a\nb", "a\x7f", "\xc3\xa9", "a\x01"}) {
    EXPECT_FALSE(TraceState::is_valid_value(value)) << value;
  }
  EXPECT_FALSE(TraceState::is_valid_value(std::string_view("a\0b", 3)));
}

TEST(Tracestate, DiscardsTheListForAnIllegalValue) {
  EXPECT_TRUE(TraceState::parse("foo=bar=baz").empty());
  EXPECT_TRUE(TraceState::parse("foo=,bar=3").empty());
  EXPECT_TRUE(TraceState::parse("foo=1,bar=" + std::string(257, 'v')).empty());
  EXPECT_TRUE(TraceState::parse("foo=1,bar=a\x7f").empty());
}

TEST(Tracestate, DiscardsTheListForAMemberWithoutEquals) {
  EXPECT_TRUE(TraceState::parse("foo").empty());
  EXPECT_TRUE(TraceState::parse("foo=1,bar").empty());
}

TEST(Tracestate, AcceptsA256CharacterValue) {
  const std::string value(256, 'v');
  EXPECT_EQ(TraceState::parse("foo=" + value).get("foo"), value);
}

// --- member count ------------------------------------------------------------------------

TEST(Tracestate, Accepts32Members) {
  const std::vector<std::string> members = numbered_members(32);
  const TraceState state = parse_fields({join({members.begin(), members.begin() + 10}),
                                         join({members.begin() + 10, members.begin() + 20}),
                                         join({members.begin() + 20, members.begin() + 30}),
                                         join({members.begin() + 30, members.end()})});
  EXPECT_EQ(state.size(), 32u);
  EXPECT_EQ(state.get("bar01"), "01");
  EXPECT_EQ(state.get("bar32"), "32");
}

TEST(Tracestate, Discards33Members) {
  CounterDelta counters;
  const std::vector<std::string> members = numbered_members(33);
  const TraceState state = parse_fields({join({members.begin(), members.begin() + 10}),
                                         join({members.begin() + 10, members.begin() + 20}),
                                         join({members.begin() + 20, members.begin() + 30}),
                                         join({members.begin() + 30, members.end()})});
  EXPECT_TRUE(state.empty());
  EXPECT_FALSE(state.get("bar01").has_value());
  EXPECT_EQ(counters.delta().tracestate_invalid, 1u);
}

// --- the 512-character limit -------------------------------------------------------------

TEST(Tracestate, KeepsAListOfExactly512Characters) {
  CounterDelta counters;
  const std::string header =
      join({member("a", 128), member("b", 127), member("c", 127), member("d", 127)});
  ASSERT_EQ(header.size(), 512u);
  const TraceState state = TraceState::parse(header);
  EXPECT_EQ(state.header(), header);
  EXPECT_EQ(counters.delta().tracestate_truncated, 0u);
}

TEST(Tracestate, RemovesAMemberOver128CharactersBeforeShorterOnes) {
  CounterDelta counters;
  // 513 characters; the long member is first, yet it is the one that goes.
  const std::string header =
      join({member("a", 129), member("b", 127), member("c", 127), member("d", 127)});
  ASSERT_EQ(header.size(), 513u);
  const TraceState state = TraceState::parse(header);
  EXPECT_EQ(keys_of(state), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(counters.delta().tracestate_truncated, 1u);
}

TEST(Tracestate, RemovesShortMembersFromTheEndWhenNoLongOneIsLeft) {
  CounterDelta counters;
  std::vector<std::string> members;
  for (const char* key : {"a", "b", "c", "d", "e", "f"}) members.push_back(member(key, 100));
  const TraceState state = TraceState::parse(join(members));  // 605 characters
  EXPECT_EQ(keys_of(state), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_LE(state.header().size(), TraceState::kMaxHeaderSize);
  EXPECT_EQ(counters.delta().tracestate_truncated, 1u);
}

TEST(Tracestate, RemovesLongMembersFromTheEndOnlyUntilTheListFits) {
  CounterDelta counters;
  // 654 characters: dropping the last long member (150) is enough to fit.
  const TraceState state =
      TraceState::parse(join({member("a", 100), member("long1", 200), member("b", 100),
                              member("c", 100), member("long2", 150)}));
  EXPECT_EQ(keys_of(state), (std::vector<std::string>{"a", "long1", "b", "c"}));
  EXPECT_EQ(counters.delta().tracestate_truncated, 1u);
}

TEST(Tracestate, RemovesEveryLongMemberBeforeAnyShortOne) {
  // 906 characters: both long members go (the last one first), and then the list fits.
  const TraceState state = TraceState::parse(
      join({member("a", 100), member("long1", 200), member("b", 100), member("c", 100),
            member("long2", 200), member("d", 100), member("e", 100)}));
  EXPECT_EQ(keys_of(state), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(Tracestate, TruncatesAFullListToTheSizeLimit) {
  CounterDelta counters;
  std::vector<std::string> members;
  for (int i = 0; i < 32; ++i) members.push_back(member("k" + std::to_string(i + 10), 100));
  const TraceState state = TraceState::parse(join(members));
  EXPECT_EQ(state.size(), 5u);
  EXPECT_EQ(keys_of(state).front(), "k10");
  EXPECT_EQ(keys_of(state).back(), "k14");
  EXPECT_EQ(counters.delta().tracestate_truncated, 27u);
}

TEST(Tracestate, DropsASingleMemberLongerThan512) {
  const TraceState state =
      TraceState::parse(std::string(256, 'k') + "=" + std::string(256, 'v'));  // 513
  EXPECT_TRUE(state.empty());
}

// --- set -------------------------------------------------------------------------------------

TEST(TracestateSet, AddsANewKeyAtTheFront) {
  const TraceState state = TraceState::parse("congo=t61rcWkgMzE").set("rojo", "00f067aa0ba902b7");
  EXPECT_EQ(state.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(TracestateSet, MovesAnUpdatedKeyToTheFront) {
  const TraceState state =
      TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").set("congo", "ucfJifl5GOE");
  EXPECT_EQ(state.header(), "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7");
}

TEST(TracestateSet, LeavesTheOriginalUnchanged) {
  const TraceState original = TraceState::parse("a=1,b=2");
  const TraceState changed = original.set("c", "3");
  EXPECT_EQ(original.header(), "a=1,b=2");
  EXPECT_EQ(changed.header(), "c=3,a=1,b=2");
}

TEST(TracestateSet, WorksOnAnEmptyList) {
  const TraceState state = TraceState().set("foo", "1");
  EXPECT_EQ(state.header(), "foo=1");
  EXPECT_EQ(state.size(), 1u);
}

TEST(TracestateSet, IgnoresAnInvalidKeyOrValue) {
  const TraceState original = TraceState::parse("a=1,b=2");
  EXPECT_EQ(original.set("Bad", "1"), original);
  EXPECT_EQ(original.set("", "1"), original);
  EXPECT_EQ(original.set("c", ""), original);
  EXPECT_EQ(original.set("c", "x,y"), original);
  EXPECT_EQ(original.set("c", "x=y"), original);
  EXPECT_EQ(original.set("c", "trailing "), original);
}

TEST(TracestateSet, KeepsAtMost32MembersDroppingTheLast) {
  const std::vector<std::string> members = numbered_members(32);
  const TraceState full = TraceState::parse(join(members));
  ASSERT_EQ(full.size(), 32u);
  const TraceState state = full.set("new", "1");
  EXPECT_EQ(state.size(), 32u);
  EXPECT_EQ(keys_of(state).front(), "new");
  EXPECT_EQ(state.get("bar31"), "31");
  EXPECT_FALSE(state.get("bar32").has_value());
}

TEST(TracestateSet, UpdatingAKeyOfAFullListDropsNothing) {
  const TraceState full = TraceState::parse(join(numbered_members(32)));
  const TraceState state = full.set("bar32", "x");
  EXPECT_EQ(state.size(), 32u);
  EXPECT_EQ(keys_of(state).front(), "bar32");
  EXPECT_EQ(state.get("bar32"), "x");
  EXPECT_EQ(state.get("bar31"), "31");
}

TEST(TracestateSet, StaysWithin512CharactersKeepingTheNewMember) {
  const TraceState list = TraceState::parse(
      join({member("a", 100), member("b", 100), member("c", 100), member("d", 100)}));
  const TraceState state = list.set("new", std::string(150, 'x'));
  EXPECT_EQ(keys_of(state), (std::vector<std::string>{"new", "a", "b", "c"}));
  EXPECT_LE(state.header().size(), TraceState::kMaxHeaderSize);
}

TEST(TracestateSet, RemovesLongMembersBeforeShortOnesToFit) {
  const TraceState list =
      TraceState::parse(join({member("a", 100), member("long", 200), member("b", 100)}));
  const TraceState state = list.set("new", std::string(120, 'x'));
  EXPECT_EQ(keys_of(state), (std::vector<std::string>{"new", "a", "b"}));
}

TEST(TracestateSet, AMemberOfExactly512CharactersReplacesTheWholeList) {
  const std::string key(256, 'k');
  const std::string value(255, 'v');
  const TraceState state = TraceState::parse("a=1,b=2").set(key, value);
  EXPECT_EQ(state.size(), 1u);
  EXPECT_EQ(state.get(key), value);
  EXPECT_EQ(state.header().size(), 512u);
}

TEST(TracestateSet, NeverProducesAHeaderOver512Characters) {
  // A 256-character key and a 256-character value make a 513-character member: both are valid
  // alone, but together they cannot be propagated within the limit.
  const TraceState original = TraceState::parse("a=1");
  const TraceState state = original.set(std::string(256, 'k'), std::string(256, 'v'));
  EXPECT_LE(state.header().size(), TraceState::kMaxHeaderSize);
  EXPECT_EQ(state, original);
}

// --- erase -----------------------------------------------------------------------------------

TEST(TracestateErase, RemovesOnlyThatKey) {
  const TraceState state = TraceState::parse("a=1,b=2,c=3").erase("b");
  EXPECT_EQ(state.header(), "a=1,c=3");
  EXPECT_EQ(state.size(), 2u);
}

TEST(TracestateErase, OfAMissingKeyChangesNothing) {
  const TraceState original = TraceState::parse("a=1,b=2");
  EXPECT_EQ(original.erase("c"), original);
  EXPECT_EQ(original.erase("a=1"), original);
}

TEST(TracestateErase, OfTheLastMemberLeavesAnEmptyList) {
  const TraceState state = TraceState::parse("a=1").erase("a");
  EXPECT_TRUE(state.empty());
  EXPECT_EQ(state.size(), 0u);
}

// --- normalisation -------------------------------------------------------------------------

TEST(Tracestate, ParsingTheNormalisedHeaderGivesAnEqualList) {
  const TraceState state = parse_fields({" a=1 ,\tb= 2", "", "c@v=3 "});
  EXPECT_EQ(state.header(), "a=1,b= 2,c@v=3");
  EXPECT_EQ(TraceState::parse(state.header()), state);
}

TEST(Tracestate, ValidListsAreNotCountedAsInvalidOrTruncated) {
  CounterDelta counters;
  EXPECT_EQ(TraceState::parse("a=1,b=2").size(), 2u);
  EXPECT_EQ(counters.delta().tracestate_invalid, 0u);
  EXPECT_EQ(counters.delta().tracestate_truncated, 0u);
}

}  // namespace
}  // namespace mmf

namespace mmf {
namespace {

// Lists up to kInlineSize characters live inside the object, longer ones on the heap: copies,
// moves and assignments must keep the text whichever the storage.
TEST(TraceStateStorageTest, CopiesMovesAndAssignmentsKeepInlineAndHeapText) {
  const std::string short_text = "rojo=00f067aa0ba902b7";
  const std::string long_text = "vendor=" + std::string(TraceState::kInlineSize, 'v');
  for (const std::string& text : {short_text, long_text}) {
    const TraceState original = TraceState::parse(text);
    ASSERT_EQ(original.header(), text);
    TraceState copy = original;
    EXPECT_EQ(copy.header(), text);
    TraceState moved = std::move(copy);
    EXPECT_EQ(moved.header(), text);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    TraceState assigned = TraceState::parse("congo=t61rcWkgMzE");
    assigned = original;
    EXPECT_EQ(assigned.header(), text);
    TraceState move_assigned = TraceState::parse("a=" + std::string(200, 'a'));
    move_assigned = std::move(assigned);
    EXPECT_EQ(move_assigned.header(), text);
    TraceState& self = move_assigned;
    move_assigned = self;
    EXPECT_EQ(move_assigned.header(), text);
    EXPECT_EQ(move_assigned, original);
  }
}

TEST(TraceStateStorageTest, SetGrowsFromInlineToHeapAndBack) {
  TraceState state = TraceState::parse("rojo=00f067aa0ba902b7");
  state = state.set("big", std::string(TraceState::kInlineSize, 'b'));
  EXPECT_EQ(state.size(), 2u);
  EXPECT_EQ(state.get("rojo"), "00f067aa0ba902b7");
  state = state.erase("big");
  EXPECT_EQ(state.header(), "rojo=00f067aa0ba902b7");
}

}  // namespace
}  // namespace mmf

namespace mmf {
namespace {

// A single field takes the one-pass fast path; the same text followed by an empty second field
// takes the general parser. Both must always agree.
TEST(TraceStateFastPathTest, AgreesWithTheGeneralParserOnEveryShapeOfInput) {
  const std::string long_value(256, 'v');
  const std::string too_long_value(257, 'v');
  const std::string tenant_241(241, 't');
  const std::string key_256 = std::string(1, 'k') + std::string(255, 'x');
  std::vector<std::string> inputs = {"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
                                     "a=1",
                                     "a=1,b=2,a=3",
                                     "a=1,,b=2",
                                     "a=1, b=2",
                                     " a=1",
                                     "a=1 ",
                                     "a= 1",
                                     "a=1,",
                                     ",a=1",
                                     "A=1",
                                     "1a=2",
                                     "_a=1",
                                     "a@b=1",
                                     "a@1=1",
                                     "a@=1",
                                     "@b=1",
                                     "a@b@c=1",
                                     "a=",
                                     "=1",
                                     "a",
                                     "a==1",
                                     "a=1=2",
                                     "a=\x7f",
                                     "a=\t1",
                                     "t@" + std::string(14, 's') + "=1",
                                     "t@" + std::string(15, 's') + "=1",
                                     tenant_241 + "@s=1",
                                     tenant_241 + "t@s=1",
                                     key_256 + "=1",
                                     key_256 + "y=1",
                                     "a=" + long_value,
                                     "a=" + too_long_value,
                                     "a=1 2",
                                     "a=x ,b=2",
                                     "a*/_-9=~!"};
  std::string many;
  for (int i = 0; i < 33; ++i) {
    if (i) many += ',';
    many += "k" + std::to_string(i) + "=v";
    inputs.push_back(many);  // 1 to 33 members
  }
  std::string big;
  for (int i = 0; big.size() < 600; ++i)
    big += (i ? ",m" : "m") + std::to_string(i) + "=" + long_value.substr(0, 100);
  inputs.push_back(big);
  for (const std::string& input : inputs) {
    const std::string_view general_fields[] = {input, std::string_view()};
    EXPECT_EQ(TraceState::parse(input), TraceState::parse(general_fields)) << input;
  }
}

}  // namespace
}  // namespace mmf
