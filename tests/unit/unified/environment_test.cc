#include "mmf/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace mmf {
namespace {

TEST(Environment, EmptyMeansUnset) {
  const EnvLookup env = environment_from({{"A", ""}, {"B", "text"}});
  ConfigErrors errors;
  EXPECT_EQ(read_string(env, "A"), std::nullopt);
  EXPECT_EQ(read_string(env, "MISSING"), std::nullopt);
  EXPECT_EQ(read_string(env, "B"), "text");
  EXPECT_EQ(read_bool(env, "A", errors), std::nullopt);
  EXPECT_TRUE(errors.empty());
}

TEST(Environment, BooleansFollowTheOpenTelemetryRule) {
  const EnvLookup env =
      environment_from({{"T", "TRUE"}, {"F", " false "}, {"BAD", "yes"}, {"ONE", "1"}});
  ConfigErrors errors;
  EXPECT_EQ(read_bool(env, "T", errors), true);
  EXPECT_EQ(read_bool(env, "F", errors), false);
  EXPECT_EQ(read_bool(env, "BAD", errors), std::nullopt);
  EXPECT_EQ(read_bool(env, "ONE", errors), std::nullopt);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].source, "environment variable BAD");
  EXPECT_NE(errors[0].message.find("'yes'"), std::string::npos);
}

TEST(Environment, IntegersAreCheckedForSyntaxAndRange) {
  const EnvLookup env = environment_from(
      {{"OK", " 42 "}, {"NEG", "-1"}, {"TEXT", "12abc"}, {"BIG", "99999999999999999999999"}});
  ConfigErrors errors;
  EXPECT_EQ(read_int(env, "OK", 0, 100, errors), 42);
  EXPECT_EQ(read_int(env, "NEG", 0, 100, errors), std::nullopt);
  EXPECT_EQ(read_int(env, "TEXT", 0, 100, errors), std::nullopt);
  EXPECT_EQ(read_int(env, "BIG", 0, 100, errors), std::nullopt);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].message.find("outside [0, 100]"), std::string::npos);
  EXPECT_NE(errors[1].message.find("not a whole number"), std::string::npos);
}

TEST(Environment, DoublesRejectNanAndOutOfRange) {
  const EnvLookup env = environment_from({{"R", "0.25"}, {"HIGH", "1.5"}, {"NAN", "nan"}});
  ConfigErrors errors;
  EXPECT_EQ(read_double(env, "R", 0, 1, errors), 0.25);
  EXPECT_EQ(read_double(env, "HIGH", 0, 1, errors), std::nullopt);
  EXPECT_EQ(read_double(env, "NAN", 0, 1, errors), std::nullopt);
  EXPECT_EQ(errors.size(), 2u);
}

TEST(Environment, MillisecondsAreWholeAndNotNegative) {
  const EnvLookup env = environment_from({{"D", "250"}, {"NEG", "-5"}, {"FRAC", "1.5"}});
  ConfigErrors errors;
  EXPECT_EQ(read_milliseconds(env, "D", errors), std::chrono::milliseconds(250));
  EXPECT_EQ(read_milliseconds(env, "NEG", errors), std::nullopt);
  EXPECT_EQ(read_milliseconds(env, "FRAC", errors), std::nullopt);
  EXPECT_EQ(errors.size(), 2u);
}

TEST(Environment, KeyValueListsDecodeAndSkipBadItems) {
  const EnvLookup env =
      environment_from({{"L", " team = pay%20ments ,region=eu%2Cwest,,novalue,=x,bad=%zz,empty="}});
  ConfigErrors errors;
  const auto items = read_key_value_list(env, "L", errors);
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0], (std::pair<std::string, std::string>{"team", "pay ments"}));
  EXPECT_EQ((*items)[1], (std::pair<std::string, std::string>{"region", "eu,west"}));
  EXPECT_EQ((*items)[2], (std::pair<std::string, std::string>{"empty", ""}));
  ASSERT_EQ(errors.size(), 3u);  // novalue, =x, bad=%zz
  for (const ConfigError& error : errors) EXPECT_EQ(error.source, "environment variable L");
}

TEST(Environment, LongBadValuesAreNotEchoedWhole) {
  const std::string secret(500, 'x');
  const EnvLookup env = environment_from({{"S", secret}});
  ConfigErrors errors;
  EXPECT_EQ(read_bool(env, "S", errors), std::nullopt);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_LT(errors[0].message.size(), 150u);
}

TEST(Environment, ProcessEnvironmentReadsGetenv) {
  ::setenv("MMF_TEST_ENVIRONMENT_VARIABLE", "value", 1);
  const EnvLookup env = process_environment();
  EXPECT_EQ(env("MMF_TEST_ENVIRONMENT_VARIABLE"), "value");
  ::unsetenv("MMF_TEST_ENVIRONMENT_VARIABLE");
  EXPECT_EQ(env("MMF_TEST_ENVIRONMENT_VARIABLE"), std::nullopt);
}

}  // namespace
}  // namespace mmf
