// The Process side of ready and health (SPEC.md "Readiness, health, order"), on a fake host
// and clock: STARTING lasts until on_ready of the current spawn, not startsecs; not ready by
// the timeout is SIGKILL and a failed start with the reason; on_unhealthy restarts through
// STOPPING with the reason on the event.

#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/fake_host.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <csignal>

using namespace konnect;
using namespace std::chrono_literals;

namespace {

using test::exited;
using test::FakeHost;
using test::killed;

struct ProcessReady : ::testing::Test {
  FakeHost host;
  ProgramConfig config;

  ProcessReady() {
    spdlog::set_level(spdlog::level::off);
    config.name = "web";
    config.command = {"/bin/true"};
    config.startsecs = 0ms;  // unused with ready
    config.startretries = 1;
    ReadyCheck ready;
    ready.probe.kind = ProbeTarget::Kind::Tcp;
    ready.timeout = 3s;
    config.ready = ready;
  }
  std::unique_ptr<Process> make() {
    return std::make_unique<Process>(host, std::make_shared<ProgramConfig>(config), "web", "web", 999);
  }
};

TEST_F(ProcessReady, StartingUntilReadyOfTheCurrentSpawn) {
  auto p = make();
  p->start();
  EXPECT_EQ(p->state(), State::Starting);
  host.fake_clock.advance(2s);
  EXPECT_EQ(p->state(), State::Starting);
  p->on_ready(p->spawn_id() + 1);  // another spawn's
  EXPECT_EQ(p->state(), State::Starting);
  p->on_ready(p->spawn_id());
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_TRUE(p->has_settled());
  host.fake_clock.advance(10s);
  EXPECT_TRUE(host.signals.empty());
}

TEST_F(ProcessReady, NotReadyByTheTimeoutIsKilledAndAFailedStart) {
  auto p = make();
  p->start();
  p->note_not_ready(p->spawn_id(), "connect to 127.0.0.1:9090: Connection refused");
  host.fake_clock.advance(3s);
  ASSERT_EQ(host.signals.size(), 1u);
  EXPECT_EQ(host.signals[0], std::make_pair(pid_t{-100}, SIGKILL));  // killasgroup
  EXPECT_EQ(p->state(), State::Starting);
  p->on_ready(p->spawn_id());  // too late: it is being killed
  EXPECT_EQ(p->state(), State::Starting);
  p->on_exit(killed(SIGKILL));
  EXPECT_EQ(p->state(), State::Backoff);
  EXPECT_EQ(p->info().spawnerr,
            "not ready after 3s (last check: connect to 127.0.0.1:9090: Connection refused)");
  // The retry (after 1 s) gets its own timeout; the second failure is FATAL.
  host.fake_clock.advance(1s);
  EXPECT_EQ(p->state(), State::Starting);
  EXPECT_EQ(p->pid(), 101);
  p->on_exit(exited(1));  // exits before ready
  EXPECT_EQ(p->state(), State::Fatal);
  EXPECT_EQ(p->info().spawnerr, "Exited too quickly (process log may have details)");
}

TEST_F(ProcessReady, UnhealthyRestartsThroughStopWithTheReason) {
  auto p = make();
  p->start();
  p->on_ready(p->spawn_id());
  p->set_health(Health::Failing);
  EXPECT_EQ(p->info().health, Health::Failing);
  p->on_unhealthy("health check failed 3 time(s) in a row: timed out after 2s");
  EXPECT_EQ(p->state(), State::Stopping);
  EXPECT_EQ(host.changes.back().reason, "health check failed 3 time(s) in a row: timed out after 2s");
  EXPECT_EQ(host.signals.back(), std::make_pair(pid_t{100}, SIGTERM));
  EXPECT_EQ(p->info().health, Health::None) << "only RUNNING is checked";
  p->on_exit(killed(SIGTERM));
  EXPECT_EQ(p->state(), State::Starting);
  EXPECT_EQ(p->pid(), 101);
  // A stop on purpose meanwhile wins over the restart.
  p->on_ready(p->spawn_id());
  p->on_unhealthy("again");
  p->stop();
  p->on_exit(killed(SIGTERM));
  EXPECT_EQ(p->state(), State::Stopped);
}

TEST_F(ProcessReady, UnhealthyIsIgnoredUnlessRunning) {
  auto p = make();
  p->start();
  p->on_unhealthy("late");
  EXPECT_EQ(p->state(), State::Starting);
  EXPECT_TRUE(host.signals.empty());
}

}  // namespace

namespace {

TEST_F(ProcessReady, WatchdogTimeoutAbortsThenKillsAndIsACrash) {
  config.ready.reset();
  config.stopwaitsecs = 2s;
  config.autorestart = AutoRestart::Unexpected;
  config.exitcodes = {0, 134};  // even an "expected" code: a watchdog kill is never expected
  auto p = make();
  p->start();
  ASSERT_EQ(p->state(), State::Running);
  p->on_watchdog_timeout("watchdog: no WATCHDOG=1 for 30s");
  EXPECT_EQ(host.signals.back(), std::make_pair(pid_t{100}, SIGABRT));
  p->on_watchdog_timeout("again");  // once per instance
  EXPECT_EQ(host.signals.size(), 1u);
  host.fake_clock.advance(2s);
  EXPECT_EQ(host.signals.back(), std::make_pair(pid_t{-100}, SIGKILL));
  p->on_exit(killed(SIGKILL));
  // The crash restarts at once (the first after RUNNING), with the reason on EXITED.
  const auto& exited_change = host.changes[host.changes.size() - 3];
  EXPECT_EQ(exited_change.to, State::Exited);
  EXPECT_EQ(exited_change.reason, "terminated by SIGKILL (watchdog: no WATCHDOG=1 for 30s)");
  EXPECT_FALSE(exited_change.expected);
  EXPECT_EQ(p->state(), State::Running);
  EXPECT_EQ(p->pid(), 101);
  const auto sent = host.signals.size();  // + the group kill at the exit (killasgroup)
  host.fake_clock.advance(10s);
  EXPECT_EQ(host.signals.size(), sent) << "the new instance has no SIGKILL deadline";
}

}  // namespace
