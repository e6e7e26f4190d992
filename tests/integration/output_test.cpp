// Program environment and output: log files, redirect_stderr, directory, umask, environment.

#include "harness.hpp"

#include <gtest/gtest.h>

using namespace konnect::test;

// stdout and stderr land in <log_dir>/NAME.out.log and NAME.err.log.
TEST(Output, StdoutAndStderrGoToTheirLogFiles) {
  Konnectd d("[program.talk]\n" + testchild_command({"--print", "to-out", "--stderr", "to-err"}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const auto out = d.log_dir() / "talk.out.log";
  const auto err = d.log_dir() / "talk.err.log";
  EXPECT_TRUE(wait_until([&] { return read_file(out) == "to-out\n" && read_file(err) == "to-err\n"; }))
      << read_file(out) << "|" << read_file(err);
}

// redirect_stderr merges stderr into the stdout log; an explicit path is honoured.
TEST(Output, RedirectStderrAndExplicitPath) {
  Konnectd d("[program.talk]\n" + testchild_command({"--print", "one", "--stderr", "two"}) +
             "startsecs = 0\nredirect_stderr = true\nstdout_log = \"custom/talk.log\"\n");
  ASSERT_TRUE(d.start());
  const auto log = d.dir() / "custom/talk.log";
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "one\ntwo\n"; })) << read_file(log);
  EXPECT_FALSE(std::filesystem::exists(d.log_dir() / "talk.err.log"));
}

// directory, umask and environment reach the child; KONNECT_PROCESS_NAME is set.
TEST(Output, DirectoryUmaskAndEnvironmentAreApplied) {
  TempDir work;
  Konnectd d("[program.env]\n" +
             testchild_command({"--cwd", "--umask", "--env", "GREETING", "--env", "KONNECT_PROCESS_NAME"}) +
             "startsecs = 0\ndirectory = " + toml_str(work.path().string()) +
             "\numask = \"027\"\nenvironment = { GREETING = \"hello world\" }\n");
  ASSERT_TRUE(d.start());
  const auto out = d.log_dir() / "env.out.log";
  const std::string expected = "cwd=" + work.path().string() +
                               "\numask=0027\nGREETING=hello world\nKONNECT_PROCESS_NAME=env\n";
  EXPECT_TRUE(wait_until([&] { return read_file(out) == expected; })) << read_file(out);
}

// user switches uid/gid (root only) — "nobody" as in the seed's deploy.
TEST(Output, UserIsApplied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  // nobody must be able to reach the binary: the build tree may sit under a private home.
  TempDir bin;
  std::filesystem::permissions(bin.path(), std::filesystem::perms(0755));
  const auto child = bin.path() / "testchild";
  std::filesystem::copy_file(kTestChild, child);
  std::filesystem::permissions(child, std::filesystem::perms(0755));
  // The child changes its credentials while it shares konnectd's memory (spawner.hpp):
  // real, effective and saved ids and the groups must all be nobody's, and konnectd must
  // still be root afterwards, which the second program, started later, shows.
  Konnectd d("[program.who]\ncommand = [" + toml_str(child.string()) + ", \"--creds\"]\n" +
             "startsecs = 0\nuser = \"nobody\"\n\n"
             "[program.after]\ncommand = [" + toml_str(child.string()) + ", \"--creds\"]\n" +
             "startsecs = 0\nautostart = false\n");
  ASSERT_TRUE(d.start());
  const auto out = d.log_dir() / "who.out.log";
  EXPECT_TRUE(wait_until([&] { return read_file(out) == "uid=65534,65534,65534 gid=65534,65534,65534 groups=65534\n"; }))
      << read_file(out);
  ASSERT_EQ(d.ctl({"start", "after"}).exit_code, 0);
  const auto after = d.log_dir() / "after.out.log";
  EXPECT_TRUE(wait_until([&] { return read_file(after).rfind("uid=0,0,0 gid=0,0,0", 0) == 0; })) << read_file(after);
}

// A log file that cannot be opened is that program's spawn error; the daemon and the other
// programs carry on.
TEST(Output, UnwritableLogIsASpawnErrorNotACrash) {
  Konnectd d("[program.bad]\n" + testchild_command({}) +
             "startsecs = 0\nstartretries = 0\nstdout_log = \"/proc/forbidden/x.log\"\n\n"
             "[program.good]\n" + testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"status", "bad"});
  EXPECT_NE(r.out.find("FATAL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot"), std::string::npos) << r.out;
  EXPECT_EQ(d.state_of("good"), "RUNNING");
}
