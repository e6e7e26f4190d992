// Tests for includes, cross-file checks and groups in common/config/config_loader.cpp: globs,
// nesting, relative paths per file, duplicate programs across files, group validation.

#include "common/config/config_loader.hpp"

#include "tests/common/config/config_test_util.hpp"

namespace konnect {
namespace {

using testing::ConfigTest;

using ConfigInclude = ConfigTest;
using ConfigGroup = ConfigTest;

std::vector<std::string> names(const Config& c) {
  std::vector<std::string> out;
  for (const auto& p : c.programs) out.push_back(p.name);
  return out;
}

std::vector<std::string> strings(const std::vector<std::filesystem::path>& paths) {
  return {paths.begin(), paths.end()};
}

TEST_F(ConfigInclude, GlobMatchesAreReadSortedAfterTheMainFile) {
  write("conf.d/b.toml", "[program.b]\ncommand = \"x\"\n");
  write("conf.d/a.toml", "[program.a]\ncommand = \"x\"\n");
  write("conf.d/c.conf", "[program.c]\ncommand = \"x\"\n");  // does not match *.toml
  Config c = load_ok("[konnectd]\ninclude = [\"conf.d/*.toml\"]\n[program.main]\ncommand = \"x\"\n");
  EXPECT_EQ(names(c), (std::vector<std::string>{"main", "a", "b"}));
  EXPECT_EQ(strings(c.files_read),
            (std::vector<std::string>{path("konnectd.toml"), path("conf.d/a.toml"), path("conf.d/b.toml")}));
  EXPECT_EQ(c.find_program("a")->source_file, path("conf.d/a.toml"));
  EXPECT_EQ(c.find_program("a")->source_line, 1);
}

TEST_F(ConfigInclude, TopLevelIncludeMayBeOneString) {
  write("extra.toml", "[program.extra]\ncommand = \"x\"\n");
  Config c = load_ok("include = \"extra.toml\"\n");
  EXPECT_EQ(names(c), std::vector<std::string>{"extra"});
}

TEST_F(ConfigInclude, KonnectdIncludeComesBeforeTopLevelInclude) {
  write("one.toml", "[program.one]\ncommand = \"x\"\n");
  write("two.toml", "[program.two]\ncommand = \"x\"\n");
  Config c = load_ok("include = [\"two.toml\"]\n[konnectd]\ninclude = \"one.toml\"\n");
  EXPECT_EQ(names(c), (std::vector<std::string>{"one", "two"}));
}

TEST_F(ConfigInclude, NestedIncludesResolveAgainstTheirOwnFile) {
  write("conf.d/web.toml",
        "include = [\"more/*.toml\"]\n[program.web]\ncommand = \"x\"\ndirectory = \"app\"\n"
        "stdout_log = \"logs/web.out\"\n");
  write("conf.d/more/worker.toml", "[program.worker]\ncommand = [\"bin/w\"]\ndirectory = \"../w\"\n");
  Config c = load_ok("include = [\"conf.d/*.toml\"]\n");
  EXPECT_EQ(names(c), (std::vector<std::string>{"web", "worker"}));
  EXPECT_EQ(c.find_program("web")->directory, path("conf.d/app"));
  EXPECT_EQ(c.find_program("web")->stdout_log.path, path("conf.d/logs/web.out"));
  EXPECT_EQ(c.find_program("worker")->directory, path("conf.d/w"));
  EXPECT_EQ(c.find_program("worker")->command[0], "bin/w");
  EXPECT_EQ(strings(c.files_read), (std::vector<std::string>{path("konnectd.toml"), path("conf.d/web.toml"),
                                                             path("conf.d/more/worker.toml")}));
}

TEST_F(ConfigInclude, AbsolutePatternsWork) {
  write("abs/x.toml", "[program.x]\ncommand = \"x\"\n");
  Config c = load_ok("include = [\"" + path("abs") + "/*.toml\", \"" + path("abs/x.toml") + "\"]\n");
  EXPECT_EQ(names(c), std::vector<std::string>{"x"});  // the second pattern names a file already read
}

TEST_F(ConfigInclude, WildcardMatchingNothingIsFine) {
  Config c = load_ok("include = [\"conf.d/*.toml\", \"nowhere/*.toml\", \"x?.toml\", \"[ab].toml\"]\n");
  EXPECT_TRUE(c.programs.empty());
  EXPECT_EQ(c.files_read.size(), 1u);
}

TEST_F(ConfigInclude, MissingPlainFileIsAnError) {
  auto r = load("[konnectd]\nsocket = \"/s\"\ninclude = [\"conf.d/*.toml\",\n  \"local.toml\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "konnectd.include", "no such file: " + path("local.toml"));
  r = load("include = \"missing.toml\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 1, "include", "no such file");
}

TEST_F(ConfigInclude, IncludeValueErrors) {
  auto r = load("include = 5\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 1, "include",
                      "expected a string or an array of strings, got 5");
  r = load("include = [\"a.toml\", 1]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 1, "include", "got 1");
  r = load("include = [\"\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 1, "include", "non-empty");
}

TEST_F(ConfigInclude, DirectoriesMatchedByAGlobAreSkipped) {
  write("conf.d/real.toml", "[program.real]\ncommand = \"x\"\n");
  std::filesystem::create_directories(dir_ / "conf.d/sub.toml");
  Config c = load_ok("include = \"conf.d/*\"\n");
  EXPECT_EQ(names(c), std::vector<std::string>{"real"});
}

TEST_F(ConfigInclude, CyclesAndRepeatsAreReadOnce) {
  write("a.toml", "include = [\"b.toml\", \"../" + dir_.filename().string() + "/a.toml\"]\n[program.a]\ncommand = \"x\"\n");
  write("b.toml", "include = [\"a.toml\", \"konnectd.toml\", \"*.toml\"]\n[program.b]\ncommand = \"x\"\n");
  Config c = load_ok("include = [\"a.toml\", \"./a.toml\", \"*.toml\"]\n");
  EXPECT_EQ(names(c), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.files_read.size(), 3u);
}

TEST_F(ConfigInclude, SymlinkToAFileAlreadyReadIsSkipped) {
  write("conf.d/a.toml", "[program.a]\ncommand = \"x\"\n");
  std::filesystem::create_symlink(dir_ / "conf.d/a.toml", dir_ / "conf.d/z.toml");
  Config c = load_ok("include = \"conf.d/*.toml\"\n");
  EXPECT_EQ(names(c), std::vector<std::string>{"a"});
}

TEST_F(ConfigInclude, KonnectdTableOnlyInMainFile) {
  write("conf.d/x.toml", "[program.x]\ncommand = \"x\"\n\n[konnectd]\nsocket = \"/x\"\n");
  auto r = load("include = \"conf.d/*.toml\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/x.toml"), 4, "konnectd",
                      "[konnectd] is only allowed in the main config file");
}

TEST_F(ConfigInclude, IncludedFileAcceptsOnlyProgramGroupInclude) {
  write("x.toml", "[supervisorctl]\nserverurl = \"x\"\n");
  auto r = load("include = \"x.toml\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("x.toml"), 1, "supervisorctl",
                      "unknown top-level key; accepted keys: program, eventlistener, group, include");
}

TEST_F(ConfigInclude, ErrorsInIncludedFilesNameThatFile) {
  write("conf.d/bad.toml", "[program.bad]\ncommand = \"x\"\nstartsecs = \"forever\"\n");
  auto r = load("include = \"conf.d/*.toml\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/bad.toml"), 3, "program.bad.startsecs", "got \"forever\"");
  write("conf.d/bad.toml", "[program.bad\n");
  r = load("include = \"conf.d/*.toml\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/bad.toml"), 1, "", "TOML syntax error");
}

TEST_F(ConfigInclude, UnreadableMatchNamesTheIncludingFile) {
  write("conf.d/dangling.toml", "");
  std::filesystem::remove(dir_ / "conf.d/dangling.toml");
  std::filesystem::create_symlink(dir_ / "nowhere.toml", dir_ / "conf.d/dangling.toml");
  auto r = load("\ninclude = \"conf.d/*.toml\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/dangling.toml"), 0, "", "cannot read: No such file or directory");
  EXPECT_NE(r.error().message.find("included from " + path("konnectd.toml") + ":2"), std::string::npos);
}

TEST_F(ConfigInclude, DuplicateProgramAcrossFiles) {
  write("conf.d/dup.toml", "\n\n[program.web]\ncommand = \"y\"\n");
  auto r = load("include = \"conf.d/*.toml\"\n\n[program.web]\ncommand = \"x\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/dup.toml"), 3, "program.web",
                      "program 'web' is already defined at " + path("konnectd.toml") + ":3");
}

TEST_F(ConfigInclude, FromStringIncludesResolveOnDisk) {
  write("etc/conf.d/a.toml", "[program.a]\ncommand = \"x\"\n");
  auto r = load_config_from_string("include = \"conf.d/*.toml\"\n", dir_ / "etc/konnectd.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(names(*r), std::vector<std::string>{"a"});
}

TEST_F(ConfigGroup, ReadsGroupsWithDefaults) {
  Config c = load_ok(R"([program.web]
command = "x"
[program.worker]
command = "x"
[program.beat]
command = "x"
[group.kano]
programs = ["web", "worker"]
[group.sched]
programs = ["beat"]
priority = 5
)");
  ASSERT_EQ(c.groups.size(), 2u);
  EXPECT_EQ(c.groups[0].name, "kano");
  EXPECT_EQ(c.groups[0].programs, (std::vector<std::string>{"web", "worker"}));
  EXPECT_EQ(c.groups[0].priority, 999);
  EXPECT_EQ(c.groups[0].source_file, path("konnectd.toml"));
  EXPECT_EQ(c.groups[0].source_line, 7);
  EXPECT_EQ(c.groups[1].name, "sched");
  EXPECT_EQ(c.groups[1].priority, 5);
}

TEST_F(ConfigGroup, MayNameProgramsFromLaterIncludes) {
  write("conf.d/w.toml", "[program.worker]\ncommand = \"x\"\n");
  Config c = load_ok("include = \"conf.d/*.toml\"\n[group.g]\nprograms = [\"worker\"]\n");
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].programs, std::vector<std::string>{"worker"});
}

TEST_F(ConfigGroup, MayShareItsNameWithAMember) {
  Config c = load_ok("[program.web]\ncommand = \"x\"\n[group.web]\nprograms = [\"web\"]\n");
  EXPECT_EQ(c.groups.size(), 1u);
}

TEST_F(ConfigGroup, UnknownProgramIsAnErrorAtTheGroup) {
  auto r = load("[program.web]\ncommand = \"x\"\n\n[group.g]\nprograms = [\"web\", \"wbe\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 4, "group.g.programs", "unknown program 'wbe'");
}

TEST_F(ConfigGroup, ProgramInTwoGroupsIsAnError) {
  write("conf.d/g2.toml", "[group.g2]\nprograms = [\"b\", \"a\"]\n");
  auto r = load(R"(include = "conf.d/*.toml"
[program.a]
command = "x"
[program.b]
command = "x"
[group.g1]
programs = ["a"]
)");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("conf.d/g2.toml"), 1, "group.g2.programs",
                      "program 'a' is already in group 'g1' (" + path("konnectd.toml") + ":6)");
}

TEST_F(ConfigGroup, NameOfANonMemberProgramIsAnError) {
  auto r = load("[program.web]\ncommand = \"x\"\n[program.api]\ncommand = \"x\"\n[group.web]\nprograms = [\"api\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 5, "group.web", "is the name of a program that is not in the group");
}

TEST_F(ConfigGroup, TableErrors) {
  std::string file = path("konnectd.toml");
  std::string prog = "[program.a]\ncommand = \"x\"\n";  // lines 1-2
  auto r = load(prog + "[group.g]\npriority = 1\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 3, "group.g.programs", "missing required key");
  r = load(prog + "[group.g]\nprograms = []\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 4, "group.g.programs", "expected a non-empty array of program names");
  r = load(prog + "[group.g]\nprograms = \"a\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 4, "group.g.programs", "got \"a\"");
  r = load(prog + "[group.g]\nprograms = [\"a\", \"a\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 4, "group.g.programs", "program 'a' is listed twice");
  r = load(prog + "[group.g]\nprograms = [\"a\"]\npriority = \"high\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 5, "group.g.priority", "expected an integer, got \"high\"");
  r = load(prog + "[group.g]\nprograms = [\"a\"]\nmembers = [\"a\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 5, "group.g.members", "unknown key; accepted keys: programs, priority");
  r = load(prog + "[group.\"g:1\"]\nprograms = [\"a\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 3, "group.g:1", "invalid group name 'g:1'");
  r = load("group = [1]\n" + prog);
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 1, "group", "expected [group.NAME] tables");
}

TEST_F(ConfigGroup, DuplicateGroupAcrossFiles) {
  write("g.toml", "[group.g]\nprograms = [\"a\"]\n");
  auto r = load("include = \"g.toml\"\n[program.a]\ncommand = \"x\"\n[group.g]\nprograms = [\"a\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("g.toml"), 1, "group.g",
                      "group 'g' is already defined at " + path("konnectd.toml") + ":4");
}

}  // namespace
}  // namespace konnect

namespace konnect::testing {

// As root (CI and these tests), a file or directory that others may write is refused,
// naming the file, unless the caller allows it; so is an include of such a file.
TEST_F(ConfigTest, InsecureFilesAreRefusedAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto main = write("konnectd.toml", "include = [\"conf.d/*.toml\"]\n");
  write("conf.d/web.toml", "[program.web]\ncommand = \"/bin/web\"\n");
  ASSERT_TRUE(load_config(main));
  ::chmod((dir_ / "conf.d/web.toml").c_str(), 0666);
  auto r = load_config(main);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().file, path("conf.d/web.toml"));
  EXPECT_NE(r.error().message.find("may be written by others than root"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("included from"), std::string::npos);
  EXPECT_TRUE(load_config(main, /*allow_insecure_files=*/true));
  ::chmod((dir_ / "conf.d/web.toml").c_str(), 0644);
  ::chmod((dir_ / "conf.d").c_str(), 0777);
  r = load_config(main);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("its directory"), std::string::npos) << r.error().message;
  ::chmod((dir_ / "conf.d").c_str(), 0755);
  ASSERT_EQ(::chown(main.c_str(), 65534, 0), 0);
  EXPECT_FALSE(load_config(main));
}

}  // namespace konnect::testing
