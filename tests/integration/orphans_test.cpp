// SPEC.md: no descendant of an old instance outlives it — in its group or escaped.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace konnect::test;

namespace {

// A program "tree" running konnect-testchild with `mode`, which writes its own pid and each
// descendant's to a pid file; returns once `expected` pids are there.
std::vector<pid_t> start_tree(Konnectd& d, const std::string& pidfile, std::size_t expected) {
  EXPECT_TRUE(d.start());
  EXPECT_TRUE(wait_until([&] { return read_pids(pidfile).size() == expected; }));
  return read_pids(pidfile);
}

std::string tree_program(const std::string& pidfile, std::initializer_list<std::string> mode,
                         const std::string& extra = "") {
  std::string cmd = "[program.tree]\ncommand = [" + toml_str(kTestChild) + ", \"--pidfile\", " + toml_str(pidfile);
  for (const auto& m : mode) cmd += ", " + toml_str(m);
  return cmd + "]\nstartsecs = 0\n" + extra;
}

}  // namespace

// Children in the program's process group die with a stop (killasgroup).
TEST(Orphans, StopKillsChildrenInTheGroup) {
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  Konnectd d(tree_program(pidfile, {"--fork", "2"}));
  const auto pids = start_tree(d, pidfile, 3);
  ASSERT_EQ(pids.size(), 3u);
  EXPECT_EQ(d.ctl({"stop", "tree"}).exit_code, 0);
  for (pid_t p : pids) EXPECT_TRUE(wait_until([&] { return !pid_alive(p); }, 5s)) << "pid " << p;
}

// A uWSGI-style master killed with -9 leaves no workers behind; the program is restarted.
TEST(Orphans, KilledMainTakesItsChildrenWithIt) {
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  Konnectd d(tree_program(pidfile, {"--fork", "2"}));
  const auto pids = start_tree(d, pidfile, 3);
  ASSERT_EQ(pids.size(), 3u);
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(pids[1]) && !pid_alive(pids[2]); }, 5s));
  EXPECT_TRUE(wait_until([&] { return d.pid_of("tree") > 0 && d.pid_of("tree") != pids[0]; }));
}

// A grandchild that double-forked and called setsid() is still found and killed.
TEST(Orphans, EscapedGrandchildIsKilledWhenMainIsGone) {
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  Konnectd d(tree_program(pidfile, {"--escape"}, "autorestart = false\n"));
  const auto pids = start_tree(d, pidfile, 2);
  ASSERT_EQ(pids.size(), 2u);
  const pid_t main = pids[0], escaped = pids[1];
  ASSERT_TRUE(pid_alive(escaped));
  ASSERT_NE(::getsid(escaped), ::getsid(main));  // it really left the session
  EXPECT_EQ(d.ctl({"stop", "tree"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(escaped); }, 5s));
}

// The same after a crash: the escaped grandchild of the dead instance goes, the new
// instance's own descendants stay.
TEST(Orphans, EscapedGrandchildOfCrashedInstanceIsKilled) {
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  Konnectd d(tree_program(pidfile, {"--escape"}));
  const auto first = start_tree(d, pidfile, 2);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(::kill(first[0], SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(first[1]); }, 5s));
  ASSERT_TRUE(wait_until([&] { return read_pids(pidfile).size() == 4; }));
  const auto second = read_pids(pidfile);
  EXPECT_TRUE(pid_alive(second[2]));
  EXPECT_TRUE(pid_alive(second[3]));
}
