// Supervision end to end: the real konnectd with real children, driven by the real konnectctl.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

using namespace konnect::test;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args,
                    const std::string& extra = "startsecs = 0\n") {
  return "[program." + name + "]\n" + testchild_command(args) + extra + "\n";
}

// The stubborn program ignores SIGTERM only once it has run that far: wait for it.
bool stubborn_ready(Konnectd& d) {
  return wait_until([&] { return read_file(d.log_dir() / "stubborn.out.log") == "ready\n"; });
}

}  // namespace

// Two autostart programs come up RUNNING; status prints supervisorctl's columns.
TEST(Lifecycle, AutostartProgramsAreRunningAndStatusHasSupervisorctlFormat) {
  Konnectd d(program("alpha", {"--print", "hi"}) + program("beta", {}));
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const pid_t alpha = d.pid_of("alpha");
  ASSERT_GT(alpha, 0);
  EXPECT_TRUE(pid_alive(alpha));
  // name padded to 33 (max(30, longest) + 3), state padded to 10.
  const std::string expected_prefix = "alpha" + std::string(28, ' ') + "RUNNING   pid " + std::to_string(alpha) + ", uptime 0:00:0";
  EXPECT_EQ(r.out.substr(0, expected_prefix.size()), expected_prefix) << r.out;
  EXPECT_NE(r.out.find("\nbeta "), std::string::npos);
}

// restart gives a new pid; the old one is gone.
TEST(Lifecycle, RestartGivesANewPid) {
  Konnectd d(program("web", {}));
  ASSERT_TRUE(d.start());
  const pid_t before = d.pid_of("web");
  auto r = d.ctl({"restart", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "web: stopped\nweb: started\n");
  const pid_t after = d.pid_of("web");
  EXPECT_GT(after, 0);
  EXPECT_NE(before, after);
  EXPECT_FALSE(pid_alive(before));
}

// stop waits for STOPPED; status then exits 3; stopping again is still success.
TEST(Lifecycle, StopThenStatusExitsThree) {
  Konnectd d(program("web", {}));
  ASSERT_TRUE(d.start());
  const pid_t pid = d.pid_of("web");
  auto r = d.ctl({"stop", "web"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "web: stopped\n");
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_EQ(d.state_of("web"), "STOPPED");
  EXPECT_EQ(d.ctl({"status"}).exit_code, 3);
  EXPECT_EQ(d.ctl({"stop", "web"}).exit_code, 0);
  r = d.ctl({"start", "web"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "web: started\n");
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// kill -9 of a RUNNING program is repaired with a new pid.
TEST(Lifecycle, KilledProgramIsRespawned) {
  Konnectd d(program("web", {}));
  ASSERT_TRUE(d.start());
  const pid_t before = d.pid_of("web");
  ASSERT_EQ(::kill(before, SIGKILL), 0);
  pid_t after = 0;
  ASSERT_TRUE(wait_until([&] {
    after = d.pid_of("web");
    return after > 0 && after != before;
  }));
  EXPECT_TRUE(pid_alive(after));
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// A missing command goes BACKOFF -> FATAL with the reason, and nothing else is disturbed.
TEST(Lifecycle, MissingCommandGoesFatalWithReason) {
  Konnectd d("[program.ghost]\ncommand = \"/nonexistent/ghost --flag\"\nstartretries = 1\n\n" +
             program("web", {}));
  ASSERT_TRUE(d.start());  // READY comes once ghost is FATAL and web RUNNING
  auto r = d.ctl({"status", "ghost"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("FATAL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("can't find command '/nonexistent/ghost'"), std::string::npos) << r.out;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  // start reports the spawn error and exits 1.
  r = d.ctl({"start", "ghost"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("ghost: ERROR (spawn error"), std::string::npos) << r.out;
}

// A program that exits before startsecs is retried, then FATAL.
TEST(Lifecycle, ExitBeforeStartsecsEndsFatal) {
  Konnectd d(program("flap", {"--exit", "1"}, "startsecs = 5\nstartretries = 1\n"));
  ASSERT_TRUE(d.start(20s));
  EXPECT_EQ(d.state_of("flap"), "FATAL");
  auto r = d.ctl({"status", "flap"});
  EXPECT_NE(r.out.find("Exited too quickly"), std::string::npos) << r.out;
}

// An expected exit code leaves the program EXITED (autorestart = "unexpected").
TEST(Lifecycle, ExpectedExitStaysExited) {
  Konnectd d(program("job", {"--sleep", "100", "--exit", "0"}, "startsecs = 0\nautorestart = \"unexpected\"\n"));
  ASSERT_TRUE(d.start());
  EXPECT_TRUE(d.wait_state("job", "EXITED"));
  EXPECT_EQ(d.ctl({"status", "job"}).exit_code, 3);
}

// A program that ignores SIGTERM is SIGKILLed after stopwaitsecs.
TEST(Lifecycle, StopEscalatesToSigkillAfterStopwaitsecs) {
  Konnectd d(program("stubborn", {"--ignore-term", "--print", "ready"}, "startsecs = 0\nstopwaitsecs = \"300ms\"\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(stubborn_ready(d));
  const pid_t pid = d.pid_of("stubborn");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = d.ctl({"stop", "stubborn"});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_GE(took, 300ms);
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("sending SIGKILL") != std::string::npos; }));
}

// stopsignal is what the program gets (QUIT here, recorded via --term-exit not firing).
TEST(Lifecycle, StopsignalIsDelivered) {
  Konnectd d(program("quitter", {"--term-exit", "7"}, "startsecs = 0\nstopsignal = \"QUIT\"\n"));
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.ctl({"stop", "quitter"}).exit_code, 0);
  // exitstatus 131 = 128 + SIGQUIT: TERM (which would exit 7) was not sent.
  auto r = d.ctl({"--json", "status", "quitter"});
  EXPECT_NE(r.out.find("\"exitstatus\":131"), std::string::npos) << r.out;
}

// numprocs makes NAME_00, NAME_01 in group NAME; GROUP:* and GROUP:NAME address them.
TEST(Lifecycle, NumprocsAndGroupTargets) {
  Konnectd d(program("worker", {}, "startsecs = 0\nnumprocs = 2\n") +
             program("a", {}) + program("b", {}) + "[group.pair]\nprograms = [\"a\", \"b\"]\n");
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"status"});
  EXPECT_NE(r.out.find("worker:worker_00 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("worker:worker_01 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pair:a "), std::string::npos) << r.out;
  r = d.ctl({"stop", "pair:*"});
  EXPECT_EQ(r.out, "pair:a: stopped\npair:b: stopped\n");
  EXPECT_EQ(d.state_of("pair:a"), "STOPPED");
  EXPECT_EQ(d.state_of("worker:worker_00"), "RUNNING");
  r = d.ctl({"start", "pair:b"});
  EXPECT_EQ(r.out, "pair:b: started\n");
  EXPECT_EQ(d.state_of("pair:a"), "STOPPED");
  r = d.ctl({"stop", "worker"});
  EXPECT_EQ(r.out, "worker:worker_00: stopped\nworker:worker_01: stopped\n");
}

// signal delivers a signal; the default action of HUP kills the child, which is restarted.
TEST(Lifecycle, SignalCommandDeliversSignal) {
  Konnectd d(program("web", {}));
  ASSERT_TRUE(d.start());
  const pid_t before = d.pid_of("web");
  auto r = d.ctl({"signal", "HUP", "web"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "web: signalled\n");
  EXPECT_TRUE(wait_until([&] { return !pid_alive(before); }));
  EXPECT_TRUE(wait_until([&] { return d.pid_of("web") != before && d.pid_of("web") > 0; }));
  d.ctl({"stop", "web"});
  r = d.ctl({"signal", "HUP", "web"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("not running"), std::string::npos) << r.out;
}

// Priority order: start ascending, stop descending; shutdown through SIGTERM exits 0.
TEST(Lifecycle, SigtermStopsInReversePriorityAndExitsZero) {
  Konnectd d(program("db", {}, "startsecs = 0\npriority = 1\n") +
             program("app", {}, "startsecs = 0\npriority = 50\n"));
  ASSERT_TRUE(d.start());
  const pid_t db = d.pid_of("db"), app = d.pid_of("app");
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  EXPECT_FALSE(pid_alive(db));
  EXPECT_FALSE(pid_alive(app));
  const std::string log = d.daemon_log();
  const auto app_stopped = log.find("app: STOPPING -> STOPPED");
  const auto db_stopping = log.find("db: RUNNING -> STOPPING");
  ASSERT_NE(app_stopped, std::string::npos) << log;
  ASSERT_NE(db_stopping, std::string::npos) << log;
  EXPECT_LT(app_stopped, db_stopping);
  EXPECT_FALSE(std::filesystem::exists(d.socket()));
}

// konnectctl shutdown stops everything, then the daemon exits 0.
TEST(Lifecycle, ShutdownCommandStopsEverything) {
  Konnectd d(program("web", {"--fork", "2"}));
  ASSERT_TRUE(d.start());
  const pid_t pid = d.pid_of("web");
  auto r = d.ctl({"shutdown"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "Shut down\n");
  EXPECT_EQ(d.wait_exit(), 0);
  EXPECT_FALSE(pid_alive(pid));
  EXPECT_EQ(d.ctl({"status"}).exit_code, 4);
}

// SIGTERM with every process already down ends the daemon at once (nothing left to wait for).
TEST(Lifecycle, SigtermWithEverythingStoppedExitsAtOnce) {
  Konnectd d(program("web", {}));
  ASSERT_TRUE(d.start());
  ASSERT_EQ(d.ctl({"stop", "web"}).exit_code, 0);
  EXPECT_EQ(d.stop_with(SIGTERM, 5s), 0);
}

// Shutdown with many children exiting at once (a SIGCHLD storm) still ends the daemon: a
// completion queued before the reaper was cancelled must not re-arm it.
TEST(Lifecycle, SigtermWithManyProgramsExits) {
  std::string programs;
  for (int i = 0; i < 60; ++i) programs += program("p" + std::to_string(i), {});
  Konnectd d(programs);
  ASSERT_TRUE(d.start(60s));
  EXPECT_EQ(d.stop_with(SIGTERM, 20s), 0);
}

// STOPPING is visible while a stubborn process is given its stopwaitsecs.
TEST(Lifecycle, StoppingIsVisibleDuringStopwaitsecs) {
  Konnectd d(program("stubborn", {"--ignore-term", "--print", "ready"}, "startsecs = 0\nstopwaitsecs = \"1500ms\"\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(stubborn_ready(d));
  RunningCtl stop(d, {"stop", "stubborn"});
  EXPECT_TRUE(d.wait_state("stubborn", "STOPPING"));
  EXPECT_EQ(stop.wait().exit_code, 0);
  EXPECT_EQ(d.state_of("stubborn"), "STOPPED");
}

// A program that keeps crashing after RUNNING is throttled: BACKOFF with the delay shown.
TEST(Lifecycle, RepeatedCrashesAreThrottled) {
  Konnectd d(program("crashy", {"--sleep", "50", "--exit", "3"}));
  ASSERT_TRUE(d.start());
  // First crash restarts at once; the second within 10 s waits 1 s in BACKOFF.
  EXPECT_TRUE(d.wait_state("crashy", "BACKOFF", 5s));
  auto r = d.ctl({"status", "crashy"});
  EXPECT_NE(r.out.find("Crashed 2 times in a row; retry in 1s"), std::string::npos) << r.out;
  EXPECT_EQ(r.exit_code, 0);  // BACKOFF counts as on its way (SPEC.md)
}

// Output to a pipe whose reader is gone ends quietly.
TEST(Lifecycle, ClosedPipeEndsQuietly) {
  Konnectd d(program("web", {}));
  ASSERT_TRUE(d.start());
  const std::string cmd = "(sleep 0.2; exec " + kKonnectctl + " -s " + d.socket().string() + " status) | true";
  auto r = run_command({"/bin/sh", "-c", cmd});
  EXPECT_EQ(r.err, "");
}

// A stop that overlaps another client's restart completes (it counts the process as stopped
// the moment it is down, even though the restart starts it again right after).
TEST(Lifecycle, StopOverlappingARestartCompletes) {
  Konnectd d(program("stubborn", {"--ignore-term", "--print", "ready"}, "startsecs = 0\nstopwaitsecs = \"800ms\"\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(stubborn_ready(d));
  RunningCtl restart(d, {"restart", "stubborn"});
  ASSERT_TRUE(d.wait_state("stubborn", "STOPPING"));
  RunningCtl stop(d, {"stop", "stubborn"});
  EXPECT_EQ(restart.wait().exit_code, 0);
  EXPECT_EQ(stop.wait().exit_code, 0);
}

// SIGTERM during a restart ends the daemon; the restart's client gets an error, and nothing
// is started again.
TEST(Lifecycle, SigtermDuringRestartShutsDown) {
  Konnectd d(program("stubborn", {"--ignore-term", "--print", "ready"}, "startsecs = 0\nstopwaitsecs = \"800ms\"\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(stubborn_ready(d));
  RunningCtl restart(d, {"restart", "stubborn"});
  ASSERT_TRUE(d.wait_state("stubborn", "STOPPING"));
  EXPECT_EQ(d.stop_with(SIGTERM, 10s), 0);
  auto r = restart.wait();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("shutting down"), std::string::npos) << r.out;
}

// A command that passes the parent's checks but cannot be executed (no #! line, not ELF):
// the exec error itself is the spawn error in status, not "Exited too quickly".
TEST(Lifecycle, ExecFailureIsTheSpawnError) {
  TempDir t;
  const auto bogus = t.path() / "bogus";
  std::ofstream(bogus) << std::string("\x01\x02\x03 not a program\n");
  std::filesystem::permissions(bogus, std::filesystem::perms(0755));
  Konnectd d("[program.bogus]\ncommand = [" + toml_str(bogus.string()) + "]\nstartretries = 0\n");
  ASSERT_TRUE(d.start());
  std::string out;
  EXPECT_TRUE(wait_until([&] {
    out = d.ctl({"status", "bogus"}).out;
    return out.find("couldn't exec " + bogus.string() + ": Exec format error") != std::string::npos;
  })) << out;
  EXPECT_NE(out.find("FATAL"), std::string::npos) << out;
}
