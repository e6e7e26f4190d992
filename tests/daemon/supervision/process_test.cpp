// Process state machine, driven by hand through a fake ProcessHost: spawn returns made-up
// pids, exits are delivered by the test, and time moves only when the test moves the fake
// clock (nothing waits real time).

#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/fake_host.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <vector>

using namespace konnect;
using namespace std::chrono_literals;

namespace {

using test::exited;
using test::FakeHost;
using test::killed;

struct ProcessTest : ::testing::Test {
  FakeHost host;
  ProgramConfig config;

  ProcessTest() {
    spdlog::set_level(spdlog::level::off);
    config.name = "web";
    config.command = {"/bin/true"};
    config.startsecs = 0ms;
  }

  std::unique_ptr<Process> make() {
    return std::make_unique<Process>(host, std::make_shared<ProgramConfig>(config), "web", "web", 999);
  }
  void advance(std::chrono::milliseconds d) { host.fake_clock.advance(d); }
};

}  // namespace

// startsecs = 0: a spawned process is RUNNING at once.
TEST_F(ProcessTest, StartWithZeroStartsecsIsRunningAtOnce) {
  auto p = make();
  p->start();
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(p->pid(), 100);
  EXPECT_EQ(host.states, (std::vector<State>{State::Starting, State::Running}));
}

// The process stays STARTING until startsecs has passed, then is RUNNING.
TEST_F(ProcessTest, StartingBecomesRunningAfterStartsecs) {
  config.startsecs = 50ms;
  auto p = make();
  p->start();
  EXPECT_EQ(p->state(), State::Starting);
  advance(49ms);
  EXPECT_EQ(p->state(), State::Starting);
  advance(1ms);
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(p->info().start, test::FakeClock::kUnixStart + 3600);
}

// An exit before startsecs goes to BACKOFF and retries, then FATAL after startretries.
TEST_F(ProcessTest, ExitBeforeStartsecsGoesToBackoffThenFatal) {
  config.startsecs = 10s;
  config.startretries = 1;
  auto p = make();
  p->start();
  p->on_exit(exited(1));
  EXPECT_EQ(p->state(), State::Backoff);
  EXPECT_EQ(p->backoff_delay(), 1s);
  EXPECT_EQ(p->info().spawnerr, "Exited too quickly (process log may have details)");
  advance(999ms);
  EXPECT_EQ(p->state(), State::Backoff);
  advance(1ms);
  ASSERT_EQ(p->state(), State::Starting);
  EXPECT_EQ(host.spawns, 2);
  p->on_exit(exited(1));
  EXPECT_EQ(p->state(), State::Fatal);
  EXPECT_TRUE(p->has_settled());
}

// A spawn that fails outright (missing command) counts as a failed start.
TEST_F(ProcessTest, SpawnFailureGoesToBackoffWithReason) {
  host.fail_spawn = true;
  config.startretries = 0;
  auto p = make();
  p->start();
  EXPECT_EQ(p->state(), State::Fatal);
  EXPECT_EQ(p->info().spawnerr, "can't find command 'nope'");
  EXPECT_EQ(p->pid(), 0);
}

// The first crash after RUNNING restarts at once; the second waits (throttling).
TEST_F(ProcessTest, CrashAfterRunningRestartsAtOnceThenThrottles) {
  config.autorestart = AutoRestart::Unexpected;
  auto p = make();
  p->start();
  p->on_exit(exited(3));
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(p->pid(), 101);
  p->on_exit(exited(3));
  EXPECT_EQ(p->state(), State::Backoff);
  EXPECT_EQ(p->backoff_delay(), config.backoff_initial);
  // The group of the old pid is killed each time (killasgroup).
  EXPECT_NE(std::find(host.signals.begin(), host.signals.end(), std::make_pair(-100, SIGKILL)),
            host.signals.end());
}

// autorestart = "unexpected": an exit code in exitcodes stays EXITED.
TEST_F(ProcessTest, ExpectedExitIsNotRestarted) {
  config.exitcodes = {0, 2};
  auto p = make();
  p->start();
  p->on_exit(exited(2));
  EXPECT_EQ(p->state(), State::Exited);
  EXPECT_EQ(p->info().exitstatus, 2);
  EXPECT_EQ(host.spawns, 1);
}

// A death by signal is never expected.
TEST_F(ProcessTest, DeathBySignalIsUnexpected) {
  auto p = make();
  p->start();
  p->on_exit(killed(SIGKILL));
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(host.spawns, 2);
}

// autorestart = false: any exit stays EXITED.
TEST_F(ProcessTest, AutorestartFalseStaysExited) {
  config.autorestart = AutoRestart::Never;
  auto p = make();
  p->start();
  p->on_exit(exited(1));
  EXPECT_EQ(p->state(), State::Exited);
}

// autorestart = true restarts even an expected exit.
TEST_F(ProcessTest, AutorestartTrueRestartsExpectedExit) {
  config.autorestart = AutoRestart::Always;
  auto p = make();
  p->start();
  p->on_exit(exited(0));
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(host.spawns, 2);
}

// Stop sends stopsignal to the main process only (stopasgroup = false), then STOPPED on exit.
TEST_F(ProcessTest, StopSendsStopsignalToMainProcess) {
  config.stopsignal = SIGQUIT;
  auto p = make();
  p->start();
  p->stop();
  EXPECT_EQ(p->state(), State::Stopping);
  ASSERT_FALSE(host.signals.empty());
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGQUIT));
  p->on_exit(killed(SIGQUIT));
  EXPECT_EQ(p->state(), State::Stopped);
  EXPECT_EQ(host.spawns, 1);
}

// stopasgroup sends the stop signal to the process group.
TEST_F(ProcessTest, StopAsGroupSignalsTheGroup) {
  config.stopasgroup = true;
  auto p = make();
  p->start();
  p->stop();
  EXPECT_EQ(host.signals.back(), std::make_pair(-100, SIGTERM));
}

// A process that ignores the stop signal is SIGKILLed (as a group) after stopwaitsecs.
TEST_F(ProcessTest, StopwaitsecsEscalatesToSigkill) {
  config.stopwaitsecs = 30ms;
  auto p = make();
  p->start();
  p->stop();
  advance(29ms);
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGTERM));
  advance(1ms);
  EXPECT_EQ(host.signals.back(), std::make_pair(-100, SIGKILL));
  EXPECT_EQ(p->state(), State::Stopping);
  p->on_exit(killed(SIGKILL));
  EXPECT_EQ(p->state(), State::Stopped);
}

// stop_prelude: its signal first, the stopsignal when its wait is over, and stopwaitsecs
// counts from the stopsignal; a process that exits during the wait gets no stopsignal.
TEST_F(ProcessTest, StopPreludeGoesFirstThenTheStopsignal) {
  config.stopwaitsecs = 30ms;
  config.stop_prelude = StopPrelude{SIGTSTP, 200ms};
  auto p = make();
  p->start();
  p->stop();
  EXPECT_EQ(p->state(), State::Stopping);
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGTSTP));
  advance(199ms);
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGTSTP));
  advance(1ms);
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGTERM));
  advance(29ms);
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGTERM));
  advance(1ms);
  EXPECT_EQ(host.signals.back(), std::make_pair(-100, SIGKILL));
  p->on_exit(killed(SIGKILL));
  EXPECT_EQ(p->state(), State::Stopped);

  p->start();
  p->stop();
  EXPECT_EQ(host.signals.back(), std::make_pair(101, SIGTSTP));
  p->on_exit(exited(0));
  EXPECT_EQ(p->state(), State::Stopped);
  const auto sent = host.signals.size();  // (killasgroup's SIGKILL to what is left)
  advance(1s);
  EXPECT_EQ(host.signals.size(), sent);
}

// Stop during BACKOFF cancels the retry and goes to STOPPED.
TEST_F(ProcessTest, StopDuringBackoffGoesToStopped) {
  config.startsecs = 10s;
  auto p = make();
  p->start();
  p->on_exit(exited(1));
  ASSERT_EQ(p->state(), State::Backoff);
  p->stop();
  EXPECT_EQ(p->state(), State::Stopped);
  advance(10s);  // the cancelled retry must not fire
  EXPECT_EQ(p->state(), State::Stopped);
  EXPECT_EQ(host.spawns, 1);
}

// Start during STOPPING starts again once the stop is complete.
TEST_F(ProcessTest, StartDuringStoppingStartsAfterStop) {
  auto p = make();
  p->start();
  p->stop();
  p->start();
  EXPECT_EQ(p->state(), State::Stopping);
  p->on_exit(killed(SIGTERM));
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(p->pid(), 101);
}

// Start on FATAL resets the retry count and tries again.
TEST_F(ProcessTest, StartFromFatalTriesAgain) {
  host.fail_spawn = true;
  config.startretries = 0;
  auto p = make();
  p->start();
  ASSERT_EQ(p->state(), State::Fatal);
  host.fail_spawn = false;
  p->start();
  EXPECT_EQ(p->state(), State::Running);
}

// Stopping a down process changes nothing.
TEST_F(ProcessTest, StopWhenStoppedDoesNothing) {
  auto p = make();
  p->stop();
  EXPECT_EQ(p->state(), State::Stopped);
  EXPECT_TRUE(host.states.empty());
  EXPECT_TRUE(host.signals.empty());
}

// signal() needs a running main process.
TEST_F(ProcessTest, SignalNeedsAMainProcess) {
  auto p = make();
  EXPECT_FALSE(p->signal(SIGHUP));
  p->start();
  EXPECT_TRUE(p->signal(SIGHUP));
  EXPECT_EQ(host.signals.back(), std::make_pair(100, SIGHUP));
}

TEST(WaitStatus, Describe) {
  EXPECT_EQ(exit_status_code(exited(3)), 3);
  EXPECT_EQ(exit_status_code(killed(SIGKILL)), 137);
  EXPECT_EQ(describe_wait_status(exited(0)), "exit status 0");
  EXPECT_EQ(describe_wait_status(killed(SIGKILL)), "terminated by SIGKILL");
}

// Crash after crash: the delays grow geometrically up to backoff_max.
TEST_F(ProcessTest, CrashLoopDelaysGrowToTheMax) {
  config.autorestart = AutoRestart::Always;
  config.backoff_initial = 10ms;
  config.backoff_max = 40ms;
  auto p = make();
  p->start();
  p->on_exit(exited(1));  // the first crash restarts at once
  ASSERT_EQ(p->state(), State::Running);
  std::vector<Duration> delays;
  for (int i = 0; i < 4; ++i) {
    p->on_exit(exited(1));
    ASSERT_EQ(p->state(), State::Backoff);
    delays.push_back(p->backoff_delay());
    if (i == 3) {
      EXPECT_EQ(describe(p->info()), "Crashed 5 times in a row; retry in 40ms");
    }
    advance(delays.back() - 1ms);
    ASSERT_EQ(p->state(), State::Backoff);
    advance(1ms);
    ASSERT_EQ(p->state(), State::Running);
  }
  EXPECT_EQ(delays, (std::vector<Duration>{10ms, 20ms, 40ms, 40ms}));
}

// An instance that ran longer than backoff_reset starts the count again: its crash restarts at once.
TEST_F(ProcessTest, CrashLoopResetsAfterAGoodRun) {
  config.autorestart = AutoRestart::Always;
  config.backoff_initial = 10ms;
  config.backoff_reset = 30ms;
  auto p = make();
  p->start();
  p->on_exit(exited(1));
  p->on_exit(exited(1));
  ASSERT_EQ(p->state(), State::Backoff);
  advance(10ms);
  ASSERT_EQ(p->state(), State::Running);
  const pid_t before = p->pid();
  advance(29ms);  // not yet past backoff_reset: still a crash loop
  p->on_exit(exited(1));
  ASSERT_EQ(p->state(), State::Backoff);
  advance(20ms);
  ASSERT_EQ(p->state(), State::Running);
  advance(30ms);  // past backoff_reset
  p->on_exit(exited(1));
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_NE(p->pid(), before);
}

// startretries = -1: failed starts go on for ever, with the geometric delays, never FATAL.
TEST_F(ProcessTest, StartretriesMinusOneRetriesForEver) {
  config.startretries = -1;
  config.backoff_initial = 5ms;
  config.backoff_max = 20ms;
  host.fail_spawn = true;
  auto p = make();
  p->start();
  std::vector<Duration> delays;
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(p->state(), State::Backoff);
    delays.push_back(p->backoff_delay());
    const auto count = host.states.size();
    advance(delays.back());
    ASSERT_GT(host.states.size(), count);
  }
  EXPECT_EQ(delays, (std::vector<Duration>{5ms, 10ms, 20ms, 20ms, 20ms, 20ms}));
  EXPECT_EQ(p->state(), State::Backoff);
}

// Each transition's event carries the instance's pid (the one that exited, after an exit),
// the reason and, for EXITED, whether the exit was expected.
TEST_F(ProcessTest, TransitionsDescribeThemselvesAsEvents) {
  config.startsecs = 10ms;
  config.exitcodes = {0};
  config.autorestart = AutoRestart::Always;
  auto p = make();
  p->start();
  p->on_exit(exited(2));  // before startsecs: BACKOFF, try 1
  advance(1s);            // the retry: STARTING as pid 101
  advance(10ms);          // RUNNING
  p->on_exit(exited(0));  // an expected exit, restarted at once (autorestart = true)
  advance(10ms);
  p->stop();
  p->on_exit(killed(SIGTERM));
  auto is = [](const StateChange& c, State from, State to, pid_t pid, const std::string& reason) {
    return c.from == from && c.to == to && c.pid == pid && c.reason == reason && c.name == "web" && c.group == "web";
  };
  ASSERT_EQ(host.changes.size(), 9u);
  EXPECT_TRUE(is(host.changes[0], State::Stopped, State::Starting, 100, ""));
  EXPECT_TRUE(is(host.changes[1], State::Starting, State::Backoff, 100, "Exited too quickly (process log may have details)"));
  EXPECT_EQ(host.changes[1].tries, 1);
  EXPECT_TRUE(is(host.changes[2], State::Backoff, State::Starting, 101, ""));
  EXPECT_TRUE(is(host.changes[3], State::Starting, State::Running, 101, ""));
  EXPECT_EQ(host.changes[3].tries, 0);
  EXPECT_TRUE(is(host.changes[4], State::Running, State::Exited, 101, "exit status 0"));
  EXPECT_TRUE(host.changes[4].expected);
  EXPECT_TRUE(is(host.changes[5], State::Exited, State::Starting, 102, ""));
  EXPECT_TRUE(is(host.changes[7], State::Running, State::Stopping, 102, ""));
  EXPECT_TRUE(is(host.changes[8], State::Stopping, State::Stopped, 102, "terminated by SIGTERM"));
}

// A start that fails outright has no instance: its BACKOFF event has no pid.
TEST_F(ProcessTest, SpawnFailureEventHasNoPid) {
  auto p = make();
  p->start();
  p->stop();
  p->on_exit(killed(SIGTERM));
  host.fail_spawn = true;
  p->start();
  ASSERT_EQ(host.changes.back().to, State::Backoff);
  EXPECT_EQ(host.changes.back().pid, 0);
  EXPECT_EQ(host.changes.back().reason, "can't find command 'nope'");
}
