// A cgroup v2 per program (daemon/spawn/cgroup_tree.hpp), when konnectd's cgroup is delegated:
// whatever an instance left behind dies with it, even a process that escaped its session
// and dropped its environment, which the spawn-id sweep cannot recognise.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <memory>

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

// A delegated cgroup, a pid file, and the escapees to kill at the end (they carry no tag).
class CgroupEscape : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgroup_.why_not().empty()) GTEST_SKIP() << cgroup_.why_not();
  }
  // A konnectd in the cgroup that runs the bare-escape program (not started yet).
  std::unique_ptr<Konnectd> make(const std::string& extra = "") {
    auto d = std::make_unique<Konnectd>(bare_escape_program(pidfile_, extra));
    d->use_cgroup(cgroup_.path());
    return d;
  }
  pid_t escapee(std::size_t index) { return bare_escapee(pidfile_, index, cleanup_); }
  pid_t pid_in_file(std::size_t index) { return read_pids(pidfile_).at(index); }

  TestCgroup cgroup_;
  TempDir dir_;
  const std::string pidfile_ = (dir_.path() / "pids").string();
  KillAtEnd cleanup_;
};

TEST_F(CgroupEscape, StopKillsAnEscapeeThatDroppedItsEnvironment) {
  auto d = make("autorestart = false\n");
  ASSERT_TRUE(d->start());
  const pid_t escapee_pid = escapee(1);
  ASSERT_GT(escapee_pid, 0);
  const pid_t main = pid_in_file(0);
  const std::string base = cgroup_of(d->pid()).substr(0, cgroup_of(d->pid()).rfind('/'));
  EXPECT_EQ(cgroup_of(d->pid()), base + "/supervisor");
  EXPECT_EQ(cgroup_of(main), base + "/programs/tree/1");  // its first instance
  EXPECT_EQ(cgroup_of(escapee_pid), base + "/programs/tree/1");
  EXPECT_NE(d->daemon_log().find("Each program runs in its own cgroup"), std::string::npos);

  EXPECT_EQ(d->ctl({"stop", "tree"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(escapee_pid); }, 5s));
}

// A crash: the old instance's escapee dies, the next instance (same cgroup) is left alone.
TEST_F(CgroupEscape, CrashKillsTheOldInstancesLeftoversNotTheNextInstance) {
  auto d = make();
  ASSERT_TRUE(d->start());
  const pid_t first = escapee(1);
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(pid_in_file(0), SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(first); }, 5s));
  const pid_t second = escapee(3);
  ASSERT_GT(second, 0);
  const pid_t main = pid_in_file(2);
  EXPECT_EQ(d->pid_of("tree"), main);
  EXPECT_TRUE(pid_alive(main));
  EXPECT_TRUE(pid_alive(second));
}

// konnectd killed with SIGKILL leaves its programs running; the next konnectd in the same
// cgroup kills them before it starts its own.
TEST_F(CgroupEscape, NextDaemonKillsWhatAKilledDaemonLeft) {
  auto first = make();
  ASSERT_TRUE(first->start());
  const pid_t escapee_pid = escapee(1);
  ASSERT_GT(escapee_pid, 0);
  const pid_t main = pid_in_file(0);
  cleanup_.pids.push_back(main);
  first->stop_with(SIGKILL);
  ASSERT_TRUE(pid_alive(main));
  ASSERT_TRUE(pid_alive(escapee_pid));
  auto second = make();
  ASSERT_TRUE(second->start());
  EXPECT_TRUE(wait_until([&] { return !pid_alive(main) && !pid_alive(escapee_pid); }, 5s));
  // konnectd's log is written by its own thread: the line may land just after READY=1.
  EXPECT_TRUE(wait_until([&] {
    return second->daemon_log().find("tree: killed the processes an earlier konnectd left in its cgroup") !=
           std::string::npos;
  }));
  EXPECT_TRUE(wait_until([&] { return second->pid_of("tree") > 0 && pid_alive(second->pid_of("tree")); }));
}

// A program whose forked child frees 1 GiB when it dies (about 60 ms here) while it still
// holds the program's lock, as a uWSGI router still holds :9090 while it exits. Each main
// appends its pid to the pid file and exits 75 if the lock is busy (70 if the child could
// not get its memory).
class SlowExit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgroup_.why_not().empty()) GTEST_SKIP() << cgroup_.why_not();
  }
  std::unique_ptr<Konnectd> make() {
    auto d = std::make_unique<Konnectd>("[program.hold]\ncommand = [" + toml_str(kTestChild) + ", \"--pidfile\", " +
                                        toml_str(pidfile_) + ", \"--lock\", " + toml_str(lock_) +
                                        ", \"--fork-hog\", \"1024\"]\nstartsecs = 1\n");
    d->use_cgroup(cgroup_.path());
    return d;
  }
  // main, hog, main, hog...: waits until `count` pids are written. Every one carries the
  // test tag and is in the test cgroup: the harness and ~TestCgroup kill what is left.
  std::vector<pid_t> pids(std::size_t count) {
    wait_until([&] { return read_pids(pidfile_).size() >= count; }, 15s);
    return read_pids(pidfile_);
  }

  TestCgroup cgroup_;
  TempDir dir_;
  const std::string pidfile_ = (dir_.path() / "pids").string();
  const std::string lock_ = (dir_.path() / "lock").string();
};

// konnectd killed with SIGKILL: the next one kills the leftovers and waits for them to be
// gone before it starts the program.
TEST_F(SlowExit, NextDaemonWaitsForTheLeftoversToBeGone) {
  auto first = make();
  ASSERT_TRUE(first->start());
  ASSERT_TRUE(first->wait_state("hold", "RUNNING"));
  const auto before = pids(2);
  ASSERT_EQ(before.size(), 2u);
  first->stop_with(SIGKILL);
  auto second = make();
  ASSERT_TRUE(second->start());
  EXPECT_TRUE(second->wait_state("hold", "RUNNING"));
  const auto now = pids(4);
  EXPECT_EQ(now.size(), 4u) << second->daemon_log();
  EXPECT_FALSE(pid_alive(before[0]));
  EXPECT_FALSE(pid_alive(before[1]));
  EXPECT_EQ(second->daemon_log().find("exit status 75"), std::string::npos) << second->daemon_log();
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
    EXPECT_EQ(cgroup_of(d.pid_of("web")), mine + "/programs/web/1");
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
