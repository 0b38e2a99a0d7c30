// docs/configuration.md lists every setting: its member, file key and variables, from the same
// table the readers use, so that the reference cannot fall behind the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "unified/config_settings.h"

namespace mmf {
namespace {

std::string reference_text() {
  std::string path = __FILE__;  // <root>/tests/unit/unified/config_docs_test.cc
  for (int i = 0; i < 4; ++i) path = path.substr(0, path.rfind('/'));
  std::ifstream in(path + "/docs/configuration.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigurationReference, ListsEverySettingWithItsNames) {
  const std::string text = reference_text();
  ASSERT_FALSE(text.empty()) << "docs/configuration.md not found from " << __FILE__;
  for (const detail::Setting& setting : detail::settings()) {
    const std::string row = "| `" + std::string(setting.member) + "` | `" +
                            std::string(setting.key) + "` | `" + std::string(setting.variables[0]) +
                            "`";
    EXPECT_NE(text.find(row), std::string::npos) << "missing row: " << row;
    if (!setting.variables[1].empty()) {
      EXPECT_NE(text.find("`" + std::string(setting.variables[1]) + "`"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mmf
