// depends_on: both spellings, group names, and the whole-graph errors (unknown names, cycles
// named in full, a "completed" dependency that restarts for ever) with file, line and key.

#include "tests/common/config/config_test_util.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using ConfigDependencies = testing::ConfigTest;

std::string prog(const std::string& name, const std::string& extra = "") {
  return "[program." + name + "]\ncommand = \"/bin/true\"\n" + extra;
}

TEST_F(ConfigDependencies, ArrayAndTableForms) {
  Config c = load_ok(prog("rabbitmq") + prog("migrate", "startsecs = 0\nautorestart = false\n") +
                     prog("web", "depends_on = { rabbitmq = \"running\", migrate = \"completed\" }\n") +
                     prog("worker", "depends_on = [\"rabbitmq\"]\n"));
  const ProgramConfig* web = c.find_program("web");
  ASSERT_NE(web, nullptr);
  // (toml++ gives a table's keys sorted)
  EXPECT_EQ(web->depends_on, (std::vector<Dependency>{{"migrate", DependsOn::Completed}, {"rabbitmq", DependsOn::Running}}));
  EXPECT_EQ(web->depends_on_line, 9);
  EXPECT_EQ(c.find_program("worker")->depends_on, (std::vector<Dependency>{{"rabbitmq", DependsOn::Running}}));
  EXPECT_TRUE(c.warnings.empty());
  // A group name stands for its members; a change of depends_on applies in place.
  c = load_ok(prog("a") + prog("b") + "[group.backend]\nprograms = [\"a\", \"b\"]\n" + prog("web", "depends_on = [\"backend\"]\n"));
  ProgramConfig before = *c.find_program("web");
  before.depends_on.clear();
  EXPECT_FALSE(before == *c.find_program("web"));
  EXPECT_FALSE(needs_restart(before, *c.find_program("web")));
}

TEST_F(ConfigDependencies, BadValuesNameKeyAndWhatIsAccepted) {
  const std::string file = path("konnectd.toml");
  auto e = program_error("command = \"/bin/true\"\ndepends_on = \"db\"");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.depends_on",
                      "expected an array of program or group names, or a table of NAME = \"running\" | \"completed\"");
  e = program_error("command = \"/bin/true\"\ndepends_on = { db = \"started\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.depends_on.db", "expected \"running\" or \"completed\", got \"started\"");
  e = program_error("command = \"/bin/true\"\ndepends_on = [\"db\", \"db\"]");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.depends_on", "'db' is named twice");
  e = program_error("command = \"/bin/true\"\ndepends_on = [\"no/slash\"]");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.depends_on", "invalid program or group name 'no/slash'");
}

TEST_F(ConfigDependencies, UnknownNameIsAnErrorWhereItIsWritten) {
  write("conf.d/web.toml", prog("web", "\ndepends_on = [\"rabbitmq\", \"postgres\"]\n"));
  auto r = load("include = \"conf.d/*.toml\"\n" + prog("rabbitmq"));
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/web.toml"), 4, "program.web.depends_on",
                      "names unknown program or group 'postgres'; expected the name of a [program.NAME] or "
                      "[group.NAME] table");
}

TEST_F(ConfigDependencies, CycleIsNamedWhole) {
  auto r = load(prog("a", "depends_on = [\"b\"]\n") + prog("b", "depends_on = [\"c\"]\n") +
                prog("c", "depends_on = { a = \"running\" }\n") + prog("d", "depends_on = [\"a\"]\n"));
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "program.a.depends_on", "dependency cycle: a -> b -> c -> a");
  // Through a group it is in, a program would wait for itself.
  r = load(prog("a", "depends_on = [\"pair\"]\n") + prog("b") + "[group.pair]\nprograms = [\"a\", \"b\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "program.a.depends_on",
                      "dependency cycle: a -> a (in group pair)");
  r = load(prog("a", "depends_on = [\"a\"]\n"));
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "program.a.depends_on", "dependency cycle: a -> a");
  // A diamond is no cycle.
  load_ok(prog("base") + prog("l", "depends_on = [\"base\"]\n") + prog("r", "depends_on = [\"base\"]\n") +
          prog("top", "depends_on = [\"l\", \"r\"]\n"));
}

TEST_F(ConfigDependencies, CompletedNeedsAProgramThatStaysExited) {
  auto r = load(prog("migrate", "autorestart = true\n") + prog("web", "depends_on = { migrate = \"completed\" }\n"));
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 6, "program.web.depends_on",
                      "waits for 'migrate' to be \"completed\", but it has autorestart = true");
  // startsecs > 0 makes a quick exit a failed start: allowed, with a warning.
  Config c = load_ok(prog("migrate") + prog("web", "depends_on = { migrate = \"completed\" }\n"));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].key, "program.web.depends_on");
  EXPECT_NE(c.warnings[0].message.find("within its startsecs (1s) is a failed start"), std::string::npos)
      << c.warnings[0].message;
}

}  // namespace
}  // namespace konnect
