// A cgroup v2 per program (daemon/cgroup_tree.hpp), when konnectd's cgroup is delegated:
// whatever an instance left behind dies with it, even a process that escaped its session
// and dropped its environment, which the spawn-id sweep cannot recognise.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace konnect::test;

namespace {

std::string bare_escape_program(const std::string& pidfile, const std::string& extra = "") {
  return "[program.tree]\ncommand = [" + toml_str(kTestChild) + ", \"--pidfile\", " + toml_str(pidfile) +
         ", \"--escape-bare\"]\nstartsecs = 0\n" + extra;
}

bool has_marker(pid_t pid) {
  return read_file("/proc/" + std::to_string(pid) + "/environ").find("KONNECT_SPAWN_ID=") != std::string::npos;
}

// Kills by pid what carries no test tag (the bare escapee), whatever the test did.
struct KillAtEnd {
  std::vector<pid_t> pids;
  ~KillAtEnd() {
    for (pid_t p : pids) ::kill(p, SIGKILL);
  }
};

// The escapee of a main process, once it has exec'd without the marker.
pid_t bare_escapee(const std::string& pidfile, std::size_t index, KillAtEnd& cleanup) {
  if (!wait_until([&] { return read_pids(pidfile).size() > index; })) return 0;
  const pid_t pid = read_pids(pidfile)[index];
  cleanup.pids.push_back(pid);
  return wait_until([&] { return pid_alive(pid) && !has_marker(pid); }) ? pid : 0;
}

}  // namespace

TEST(Cgroups, StopKillsAnEscapeeThatDroppedItsEnvironment) {
  TestCgroup cgroup;
  if (!cgroup.why_not().empty()) GTEST_SKIP() << cgroup.why_not();
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  KillAtEnd cleanup;
  Konnectd d(bare_escape_program(pidfile, "autorestart = false\n"));
  d.use_cgroup(cgroup.path());
  ASSERT_TRUE(d.start());
  const pid_t escapee = bare_escapee(pidfile, 1, cleanup);
  ASSERT_GT(escapee, 0);
  const pid_t main = read_pids(pidfile)[0];
  const std::string base = cgroup_of(d.pid()).substr(0, cgroup_of(d.pid()).rfind('/'));
  EXPECT_EQ(cgroup_of(d.pid()), base + "/supervisor");
  EXPECT_EQ(cgroup_of(main), base + "/programs/tree");
  EXPECT_EQ(cgroup_of(escapee), base + "/programs/tree");
  EXPECT_NE(d.daemon_log().find("Each program runs in its own cgroup"), std::string::npos);

  EXPECT_EQ(d.ctl({"stop", "tree"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(escapee); }, 5s));
}

// A crash: the old instance's escapee dies, the next instance (same cgroup) is left alone.
TEST(Cgroups, CrashKillsTheOldInstancesLeftoversNotTheNextInstance) {
  TestCgroup cgroup;
  if (!cgroup.why_not().empty()) GTEST_SKIP() << cgroup.why_not();
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  KillAtEnd cleanup;
  Konnectd d(bare_escape_program(pidfile));
  d.use_cgroup(cgroup.path());
  ASSERT_TRUE(d.start());
  const pid_t first = bare_escapee(pidfile, 1, cleanup);
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(read_pids(pidfile)[0], SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(first); }, 5s));
  const pid_t second = bare_escapee(pidfile, 3, cleanup);
  ASSERT_GT(second, 0);
  const pid_t main = read_pids(pidfile)[2];
  EXPECT_EQ(d.pid_of("tree"), main);
  EXPECT_TRUE(pid_alive(main));
  EXPECT_TRUE(pid_alive(second));
}

// konnectd killed with SIGKILL leaves its programs running; the next konnectd in the same
// cgroup kills them before it starts its own.
TEST(Cgroups, NextDaemonKillsWhatAKilledDaemonLeft) {
  TestCgroup cgroup;
  if (!cgroup.why_not().empty()) GTEST_SKIP() << cgroup.why_not();
  TempDir t;
  const auto pidfile = (t.path() / "pids").string();
  KillAtEnd cleanup;
  Konnectd first(bare_escape_program(pidfile));
  first.use_cgroup(cgroup.path());
  ASSERT_TRUE(first.start());
  const pid_t escapee = bare_escapee(pidfile, 1, cleanup);
  ASSERT_GT(escapee, 0);
  const pid_t main = read_pids(pidfile)[0];
  cleanup.pids.push_back(main);
  first.stop_with(SIGKILL);
  ASSERT_TRUE(pid_alive(main));
  ASSERT_TRUE(pid_alive(escapee));
  Konnectd second(bare_escape_program(pidfile));
  second.use_cgroup(cgroup.path());
  ASSERT_TRUE(second.start());
  EXPECT_TRUE(wait_until([&] { return !pid_alive(main) && !pid_alive(escapee); }, 5s));
  EXPECT_NE(second.daemon_log().find("tree: killed the processes an earlier konnectd left in its cgroup"),
            std::string::npos);
  EXPECT_TRUE(wait_until([&] { return second.pid_of("tree") > 0 && pid_alive(second.pid_of("tree")); }));
}

// Not delegated: "auto" uses no cgroups and says why; "on" uses them anyway; "off" never.
TEST(Cgroups, AutoNeedsDelegationOnDoesNot) {
  TestCgroup cgroup(/*delegated=*/false);
  if (!cgroup.why_not().empty()) GTEST_SKIP() << cgroup.why_not();
  const std::string program = "[program.web]\n" + testchild_command({}) + "startsecs = 0\n";
  const std::string base = cgroup_of(::getpid()) == "/" ? "" : cgroup_of(::getpid());
  const std::string mine = base + "/" + cgroup.path().filename().string();
  {
    Konnectd d(program);
    d.use_cgroup(cgroup.path());
    ASSERT_TRUE(d.start());
    EXPECT_EQ(cgroup_of(d.pid_of("web")), mine);
    EXPECT_NE(d.daemon_log().find("is not delegated to konnectd"), std::string::npos) << d.daemon_log();
  }
  {
    Konnectd d(program, "cgroups = \"on\"\n");
    d.use_cgroup(cgroup.path());
    ASSERT_TRUE(d.start());
    EXPECT_EQ(cgroup_of(d.pid_of("web")), mine + "/programs/web");
  }
  {
    Konnectd d(program, "cgroups = \"off\"\n");
    d.use_cgroup(cgroup.path());
    ASSERT_TRUE(d.start());
    EXPECT_EQ(cgroup_of(d.pid_of("web")), cgroup_of(d.pid()));
    EXPECT_NE(d.daemon_log().find("No cgroup per program (cgroups = \"off\")"), std::string::npos);
  }
}

// "on" where it cannot work (the root cgroup has no cgroup.kill) stops konnectd with why.
TEST(Cgroups, OnRefusesToStartWithoutAUsableCgroup) {
  if (cgroup_of(::getpid()) != "/") GTEST_SKIP() << "the test does not run in the root cgroup";
  Konnectd d("[program.web]\n" + testchild_command({}), "cgroups = \"on\"\n");
  EXPECT_FALSE(d.start());
  EXPECT_NE(d.daemon_log().find("cgroups = \"on\", but cgroup"), std::string::npos) << d.daemon_log();
}
