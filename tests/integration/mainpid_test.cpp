// MAINPID= against the real konnectd (SPEC.md "Readiness, health, order"; docs/configuration.md
// "sd_notify"): a program that forks its real daemon and says MAINPID= is supervised through
// that process from then on (status, signals, stop, restart on its crash), whether the
// daemon becomes konnectd's child or stays its wrapper's; a MAINPID= naming a process that
// is not the instance's is ignored.

#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <string>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra) {
  return "[program." + name + "]\n" + testchild_command(args) + extra;
}

// Waits for the two pids --pidfile wrote around --daemonize: the parent's, then the child's.
std::vector<pid_t> parent_and_child(const std::filesystem::path& pids, std::size_t from = 0) {
  std::vector<pid_t> out;
  wait_until([&] { return read_pids(pids).size() >= from + 2; });
  const auto all = read_pids(pids);
  if (all.size() >= from + 2) out = {all[from], all[from + 1]};
  return out;
}

}  // namespace

TEST(MainPid, FollowsTheChildOfAForkingDaemon) {
  konnect::test::TempDir scratch;
  const auto pids = scratch.path() / "pids";
  Konnectd d(program("daemon", {"--pidfile", pids.string(), "--daemonize", "exit", "--pidfile", pids.string()},
                     "autostart = false\nready = { notify = true }\n"));
  ASSERT_TRUE(d.start());
  const auto start = d.ctl({"start", "daemon"});
  EXPECT_EQ(start.exit_code, 0) << start.out;
  const auto first = parent_and_child(pids);
  ASSERT_EQ(first.size(), 2u);
  const pid_t parent = first[0], child = first[1];
  EXPECT_TRUE(wait_until([&] { return !pid_alive(parent); })) << "the parent exits after MAINPID=";
  // The parent's exit is not the instance's: it stays RUNNING with the child as its pid.
  EXPECT_EQ(d.state_of("daemon"), "RUNNING");
  EXPECT_EQ(d.pid_of("daemon"), child);
  EXPECT_NE(d.daemon_log().find("MAINPID=" + std::to_string(child) + ": supervising pid " + std::to_string(child)),
            std::string::npos)
      << d.daemon_log();

  // Its crash is the instance's crash: restarted as any.
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  const auto second = parent_and_child(pids, 2);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_TRUE(wait_until([&] { return d.pid_of("daemon") == second[1] && d.state_of("daemon") == "RUNNING"; }))
      << d.ctl({"status"}).out;

  // stop signals the followed process, and returns once it is gone.
  const auto stop = d.ctl({"stop", "daemon"});
  EXPECT_EQ(stop.exit_code, 0) << stop.out;
  EXPECT_FALSE(pid_alive(second[1]));
  EXPECT_EQ(d.state_of("daemon"), "STOPPED");
}

TEST(MainPid, ADaemonKeptByItsWrapperIsWatchedThroughItsPidfd) {
  konnect::test::TempDir scratch;
  const auto pids = scratch.path() / "pids";
  Konnectd d(program("daemon", {"--pidfile", pids.string(), "--daemonize", "wait", "--pidfile", pids.string()},
                     "autostart = false\nready = { notify = true }\n"));
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.ctl({"start", "daemon"}).exit_code, 0);
  const auto first = parent_and_child(pids);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(d.pid_of("daemon"), first[1]) << read_file(pids) << d.daemon_log();
  EXPECT_TRUE(pid_alive(first[0])) << "the wrapper waits for its daemon";

  // restart: SIGTERM to the daemon, whose exit only its wrapper can wait for.
  const auto restart = d.ctl({"restart", "daemon"});
  EXPECT_EQ(restart.exit_code, 0) << restart.out;
  const auto second = parent_and_child(pids, 2);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(d.pid_of("daemon"), second[1]);
  EXPECT_TRUE(wait_until([&] { return !pid_alive(first[0]) && !pid_alive(first[1]); }))
      << "nothing of the old instance is left";

  // A crash: the exit is seen, its status is not (the wrapper took it).
  ASSERT_EQ(::kill(second[1], SIGKILL), 0);
  const std::string exited = "daemon: pid " + std::to_string(second[1]) +
                             " exited (exited, status unknown (not konnectd's child)) in state RUNNING";
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find(exited) != std::string::npos; })) << d.daemon_log();
  EXPECT_TRUE(wait_until([&] { return !pid_alive(second[0]); })) << "its wrapper is swept with it";
  // An unknown status is not one of its exitcodes: autorestart=unexpected starts it again.
  const auto third = parent_and_child(pids, 4);
  ASSERT_EQ(third.size(), 2u);
  EXPECT_TRUE(wait_until([&] { return d.pid_of("daemon") == third[1] && d.state_of("daemon") == "RUNNING"; }))
      << d.ctl({"status"}).out << " third " << third[0] << "," << third[1] << "\n" << d.daemon_log();
}

TEST(MainPid, AMainPidOutsideTheInstanceIsIgnored) {
  Background stranger({kTestChild, "--sleep", "60000"});
  const std::string mainpid = "MAINPID=" + std::to_string(stranger.pid());
  Konnectd d(program("web", {"--notify", mainpid, "--notify", "READY=1"}, "autostart = false\nready = { notify = true }\n"));
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.ctl({"start", "web"}).exit_code, 0);
  const pid_t own = d.pid_of("web");
  EXPECT_NE(own, stranger.pid());
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("ignored " + mainpid) != std::string::npos; }))
      << d.daemon_log();
  EXPECT_NE(d.daemon_log().find("not a process of the instance"), std::string::npos);
  EXPECT_EQ(d.ctl({"stop", "web"}).exit_code, 0);
  EXPECT_TRUE(pid_alive(stranger.pid())) << "stop never reaches a stranger";
  EXPECT_FALSE(pid_alive(own));
}
