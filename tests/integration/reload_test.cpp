// reload / update / SIGHUP, add, remove, avail on the real binaries: only what changed is
// touched, per program; a broken file changes nothing.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <map>

using namespace konnect::test;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra = "") {
  return "[program." + name + "]\n" + testchild_command(args) + "startsecs = 0\n" + extra + "\n";
}

// Ten programs that no reload below changes.
std::string steady_programs() {
  std::string out;
  for (int i = 0; i < 10; ++i) out += program("steady" + std::to_string(i), {});
  return out;
}


std::map<std::string, pid_t> pids_of(Konnectd& d, int n) {
  std::map<std::string, pid_t> out;
  for (int i = 0; i < n; ++i) out["steady" + std::to_string(i)] = d.pid_of("steady" + std::to_string(i));
  return out;
}

}  // namespace

// One program changed, one updated in place, one added, one removed, ten unchanged: the ten
// and the in-place one keep their pids, the changed one gets a new pid, the removed one is gone.
TEST(Reload, TouchesOnlyWhatChanged) {
  const std::string steady = steady_programs();
  Konnectd d(steady + program("web", {}) + program("tuned", {}) + program("old", {"--print", "old"}));
  ASSERT_TRUE(d.start());
  const auto before = pids_of(d, 10);
  const pid_t web = d.pid_of("web"), tuned = d.pid_of("tuned"), old = d.pid_of("old");
  ASSERT_GT(web, 0);
  ASSERT_GT(old, 0);
  d.write_programs(steady + program("web", {"--print", "v2"}) + program("tuned", {}, "startretries = 9\n") +
                      program("new", {}));
  auto r = d.ctl({"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "old: stopped\nold: removed process group\n"
            "web: stopped\nweb: updated process group\n"
            "tuned: updated in place\n"
            "new: added process group\n");
  EXPECT_EQ(pids_of(d, 10), before);
  EXPECT_EQ(d.pid_of("tuned"), tuned);
  EXPECT_NE(d.pid_of("web"), web);
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  EXPECT_EQ(d.state_of("new"), "RUNNING");
  EXPECT_FALSE(pid_alive(old));
  EXPECT_FALSE(pid_alive(web));
  r = d.ctl({"status", "old"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no such process"), std::string::npos) << r.err;
  // The running config is the new one now.
  EXPECT_EQ(d.ctl({"reread"}).out, "No config updates to processes\n");
  EXPECT_EQ(d.ctl({"reload"}).out, "No config updates to processes\n");
  EXPECT_EQ(pids_of(d, 10), before);
}

// A new setting applied in place takes effect on the running process: after the reload,
// stopsignal QUIT is what stops it (exit status 131), with no restart.
TEST(Reload, InPlaceSettingsApplyToTheRunningProcess) {
  Konnectd d(program("quitter", {"--term-exit", "7"}));
  ASSERT_TRUE(d.start());
  const pid_t before = d.pid_of("quitter");
  d.write_programs(program("quitter", {"--term-exit", "7"}, "stopsignal = \"QUIT\"\n"));
  EXPECT_EQ(d.ctl({"reload"}).out, "quitter: updated in place\n");
  EXPECT_EQ(d.pid_of("quitter"), before);
  EXPECT_EQ(d.ctl({"stop", "quitter"}).exit_code, 0);
  auto r = d.ctl({"--json", "status", "quitter"});
  EXPECT_NE(r.out.find("\"exitstatus\":131"), std::string::npos) << r.out;
}

// A broken file is refused whole: error with file and line, exit 1, nothing moves.
TEST(Reload, BrokenConfigChangesNothing) {
  const std::string steady = steady_programs();
  Konnectd d(steady + program("web", {}));
  ASSERT_TRUE(d.start());
  const auto before = pids_of(d, 10);
  const pid_t web = d.pid_of("web");
  d.write_programs(steady + program("web", {"--print", "v2"}) + program("added", {}) + "[program.bad]\ncommand = 5\n");
  auto r = d.ctl({"reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(d.config_file().string() + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("program.bad.command"), std::string::npos) << r.err;
  // SIGHUP with the same file: logged, refused, nothing moves.
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("SIGHUP received: the config is not applied") != std::string::npos; }));
  EXPECT_EQ(pids_of(d, 10), before);
  EXPECT_EQ(d.pid_of("web"), web);
  EXPECT_EQ(d.ctl({"status", "added"}).exit_code, 1);
}

// --dry-run prints the plan and changes nothing.
TEST(Reload, DryRunPrintsThePlan) {
  Konnectd d(program("web", {}) + program("tuned", {}) + program("old", {}));
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web");
  d.write_programs(program("web", {"--print", "v2"}) + program("tuned", {}, "autorestart = true\n") + program("new", {}));
  auto r = d.ctl({"reload", "--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "old: would be stopped and removed\n"
            "web: would be restarted with its new settings\n"
            "tuned: would get its new settings in place, no restart\n"
            "new: would be added\n");
  EXPECT_EQ(d.pid_of("web"), web);
  EXPECT_EQ(d.state_of("old"), "RUNNING");
  EXPECT_EQ(d.ctl({"status", "new"}).exit_code, 1);
}

// SIGHUP is reload: the added program starts, the removed one stops.
TEST(Reload, SighupReloads) {
  Konnectd d(program("web", {}) + program("old", {}));
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web"), old = d.pid_of("old");
  d.write_programs(program("web", {}) + program("new", {}));
  ASSERT_EQ(kill(d.pid(), SIGHUP), 0);
  EXPECT_TRUE(wait_until([&] { return d.state_of("new") == "RUNNING"; }));
  EXPECT_TRUE(wait_until([&] { return !pid_alive(old); }));
  EXPECT_EQ(d.pid_of("web"), web);
  auto notes = d.notifications();
  EXPECT_NE(std::find(notes.begin(), notes.end(), "RELOADING=1"), notes.end());
}

// update NAME applies one program and leaves the rest of the difference for later.
TEST(Reload, UpdateNamedProgramOnly) {
  Konnectd d(program("web", {}) + program("worker", {}));
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web"), worker = d.pid_of("worker");
  d.write_programs(program("web", {"--print", "v2"}) + program("worker", {"--print", "v2"}));
  auto r = d.ctl({"update", "web"});
  EXPECT_EQ(r.out, "web: stopped\nweb: updated process group\n") << r.err;
  EXPECT_NE(d.pid_of("web"), web);
  EXPECT_EQ(d.pid_of("worker"), worker);
  EXPECT_EQ(d.ctl({"reread"}).out, "worker: changed\n");
  EXPECT_EQ(d.ctl({"update", "nope"}).exit_code, 1);
}

// A reload that restarts a program keeps appending to its log: what the old instance wrote
// is still there, before what the new one writes.
TEST(Reload, RestartedProgramKeepsItsLog) {
  Konnectd d(program("web", {"--print", "first"}));
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "web.out.log";
  ASSERT_TRUE(wait_until([&] { return read_file(log) == "first\n"; })) << read_file(log);
  d.write_programs(program("web", {"--print", "second"}));
  EXPECT_EQ(d.ctl({"reload"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "first\nsecond\n"; })) << read_file(log);
}

// remove stops and drops; avail shows it available again; add brings it back; groups too.
TEST(Reload, AvailAddRemove) {
  Konnectd d(program("web", {}) + program("a", {}, "autostart = false\n") + program("b", {}) +
             "[group.pair]\nprograms = [\"a\", \"b\"]\npriority = 5\n");
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web"), b = d.pid_of("pair:b");
  auto r = d.ctl({"avail"});
  EXPECT_EQ(r.out,
            "web                              in use    auto      999:999\n"
            "pair:a                           in use    manual    5:999\n"
            "pair:b                           in use    auto      5:999\n");
  r = d.ctl({"remove", "pair"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a: removed process group\nb: removed process group\n");
  EXPECT_FALSE(pid_alive(b));
  EXPECT_EQ(d.ctl({"status", "pair:*"}).exit_code, 1);
  EXPECT_NE(d.ctl({"avail"}).out.find("pair:b                           avail     auto"), std::string::npos);
  EXPECT_EQ(d.ctl({"reread"}).out, "a: available\nb: available\n");
  r = d.ctl({"add", "pair"});
  EXPECT_EQ(r.out, "a: added process group\nb: added process group\n") << r.err;
  EXPECT_EQ(d.state_of("pair:b"), "RUNNING");
  EXPECT_EQ(d.state_of("pair:a"), "STOPPED");  // autostart = false
  r = d.ctl({"add", "web"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already active"), std::string::npos) << r.err;
  EXPECT_EQ(d.ctl({"remove", "nope"}).exit_code, 1);
  EXPECT_EQ(d.ctl({"add"}).exit_code, 2);
  EXPECT_EQ(d.pid_of("web"), web);
}

// A client waiting on a program that a reload removes gets an answer, not a hang; so does a
// tail -f of its log.
TEST(Reload, WaitingClientsOfARemovedProgramAreAnswered) {
  Konnectd d(program("web", {}) + "[program.slow]\n" + testchild_command({}) + "autostart = false\nstartsecs = 30\n");
  ASSERT_TRUE(d.start());
  RunningCtl start(d, {"start", "slow"});
  ASSERT_TRUE(wait_until([&] { return d.state_of("slow") == "STARTING"; }));
  RunningCtl tail(d, {"tail", "-f", "slow"});
  ASSERT_TRUE(wait_until([&] { return d.daemon_log().find("A client follows slow") != std::string::npos; }));
  d.write_programs(program("web", {}));
  EXPECT_EQ(d.ctl({"reload"}).out, "slow: stopped\nslow: removed process group\n");
  auto s = start.wait();
  EXPECT_EQ(s.exit_code, 1);
  auto t = tail.wait();
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("removed from the config"), std::string::npos) << t.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// A client's restart of several programs, one of which a reload replaces meanwhile, goes on
// with the others: they are started again, and only the replaced one is reported as gone.
TEST(Reload, ClientOperationsGoOnWithTheOtherPrograms) {
  Konnectd d(program("slow", {"--ignore-term", "--print", "ready"}, "stopwaitsecs = 2\n") + program("web", {}));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(wait_until([&] { return read_file(d.log_dir() / "slow.out.log") == "ready\n"; }));
  RunningCtl restart(d, {"restart", "all"});
  ASSERT_TRUE(wait_until([&] { return d.state_of("slow") == "STOPPING"; }));
  d.write_programs(program("slow", {"--ignore-term", "--print", "ready"}, "stopwaitsecs = 2\n") +
                      program("web", {"--print", "v2"}));
  EXPECT_EQ(d.ctl({"reload"}).out, "web: stopped\nweb: updated process group\n");
  auto r = restart.wait();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("slow: started"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("web: ERROR (failed: removed from the config by a reload)"), std::string::npos) << r.out;
  EXPECT_EQ(d.state_of("slow"), "RUNNING");
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}
