// tests common/config/ini_file.cpp: configparser's syntax as supervisord sets it up.

#include "common/config/ini_file.hpp"

#include <gtest/gtest.h>

using namespace konnect;

namespace {

std::vector<IniSection> parse(const std::string& text) {
  auto r = parse_ini(text, "/etc/supervisor.d/x.conf");
  EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
  return r ? *r : std::vector<IniSection>{};
}

}  // namespace

// Keys lower-cased, values stripped, both delimiters, comments whole-line and inline.
TEST(IniFile, OptionsCommentsAndDelimiters) {
  const auto s = parse("; a comment\n# another\n[program:web]\nCommand = /bin/web --port 80 ; inline\n"
                       "directory: /srv\nenvironment=A=\"x;y\",B=2#not a comment\n");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].name, "program:web");
  EXPECT_EQ(s[0].line, 3);
  ASSERT_EQ(s[0].options.size(), 3u);
  EXPECT_EQ(s[0].options[0].key, "command");
  EXPECT_EQ(s[0].options[0].value, "/bin/web --port 80");
  EXPECT_EQ(s[0].options[0].line, 4);
  EXPECT_EQ(s[0].find("directory")->value, "/srv");
  EXPECT_EQ(s[0].find("environment")->value, "A=\"x;y\",B=2#not a comment");
}

// A deeper-indented line continues the value, also after a blank line.
TEST(IniFile, ContinuationLines) {
  const auto s = parse("[program:web]\ncommand = /bin/web\n   --fast\n\n   --quiet\nuser = nobody\n");
  EXPECT_EQ(s[0].find("command")->value, "/bin/web\n--fast\n--quiet");
  EXPECT_EQ(s[0].find("user")->value, "nobody");
}

// strict=False: a repeated section merges, a repeated option's later value wins.
TEST(IniFile, RepeatedSectionsMerge) {
  const auto s = parse("[a]\nx = 1\n[b]\n[a]\nx = 2\ny = 3\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].find("x")->value, "2");
  EXPECT_EQ(s[0].find("x")->line, 5);
  EXPECT_EQ(s[0].find("y")->value, "3");
}

// A line that is no option names file and line.
TEST(IniFile, GarbageIsAnErrorWithFileAndLine) {
  auto r = parse_ini("[a]\nx = 1\nwhat is this\n", "/etc/x.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().file, "/etc/x.conf");
  EXPECT_EQ(r.error().line, 3);
  auto before = parse_ini("x = 1\n", "/etc/x.conf");
  ASSERT_FALSE(before);
  EXPECT_NE(before.error().message.find("before the first [section]"), std::string::npos);
}
