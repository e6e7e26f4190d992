// A Process across `konnectctl reexec` (daemon/supervision/process_handoff.cpp): the state
// machine a new image restores from the old one's snapshot is the same one (state, pid,
// counters, status), its deadline fires at the same absolute time, and nothing is spawned or
// announced by the restore itself. Driven through the fake host and clock.

#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/fake_host.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>

using namespace konnect;
using namespace std::chrono_literals;

namespace {

struct ProcessHandoff : ::testing::Test {
  test::FakeHost host;
  ProgramConfig config;

  ProcessHandoff() {
    spdlog::set_level(spdlog::level::off);
    config.name = "web";
    config.command = {"/bin/true"};
    config.startsecs = 1000ms;
    config.startretries = 3;
  }
  std::unique_ptr<Process> make() {
    return std::make_unique<Process>(host, std::make_shared<ProgramConfig>(config), "web", "web", 999);
  }
  // The old image's instance handed over to a new Process object, as a reexec does.
  std::unique_ptr<Process> handed_over(const Process& old) {
    auto fresh = make();
    auto r = fresh->restore(old.snapshot());
    EXPECT_TRUE(r) << r.error().message;
    return fresh;
  }
};

}  // namespace

TEST_F(ProcessHandoff, ARunningInstanceIsTheSameAfterwards) {
  config.startsecs = 0ms;
  auto old = make();
  old->start();
  ASSERT_EQ(old->state(), State::Running);
  host.fake_clock.advance(5000ms);
  const int spawns = host.spawns;
  const std::size_t events = host.states.size();

  auto fresh = handed_over(*old);
  EXPECT_EQ(fresh->state(), State::Running);
  EXPECT_EQ(fresh->pid(), old->pid());
  EXPECT_EQ(fresh->spawn_id(), old->spawn_id());
  EXPECT_EQ(fresh->info().start, old->info().start) << "the same uptime";
  EXPECT_EQ(describe(fresh->info()), describe(old->info()));
  EXPECT_EQ(fresh->snapshot(), old->snapshot());
  EXPECT_EQ(host.spawns, spawns) << "nothing is spawned";
  EXPECT_EQ(host.states.size(), events) << "nothing is announced: nothing changed";

  // And it goes on as the old one would: its exit is a crash, restarted at once.
  old.reset();
  fresh->on_exit(test::exited(1));
  EXPECT_EQ(fresh->state(), State::Running);
  EXPECT_EQ(host.spawns, spawns + 1);
}

// A deadline is absolute: STARTING with startsecs 1 s, handed over after 400 ms, is RUNNING
// 600 ms later, not a whole second later.
TEST_F(ProcessHandoff, ADeadlineFiresWhenItWouldHave) {
  auto old = make();
  old->start();
  host.fake_clock.advance(400ms);
  auto snapshot = old->snapshot();
  ASSERT_TRUE(snapshot.timer_at_ns);
  old.reset();  // its deadline goes with it, as the old image's does
  auto fresh = make();
  ASSERT_TRUE(fresh->restore(snapshot));
  EXPECT_EQ(fresh->state(), State::Starting);
  host.fake_clock.advance(599ms);
  EXPECT_EQ(fresh->state(), State::Starting);
  host.fake_clock.advance(1ms);
  EXPECT_EQ(fresh->state(), State::Running);
}

// A crash-looping program keeps its count of failed starts: two failures before, two after,
// and startretries = 3 makes it FATAL on the fourth.
TEST_F(ProcessHandoff, ACrashLoopKeepsItsBackoff) {
  auto old = make();
  old->start();
  old->on_exit(test::exited(1));  // before startsecs: a failed start
  ASSERT_EQ(old->state(), State::Backoff);
  host.fake_clock.advance(old->backoff_delay());
  old->on_exit(test::exited(1));
  ASSERT_EQ(old->state(), State::Backoff);
  const auto delay = old->backoff_delay();
  EXPECT_EQ(old->snapshot().backoff_count, 2);

  auto fresh = handed_over(*old);
  old.reset();
  EXPECT_EQ(fresh->state(), State::Backoff);
  EXPECT_EQ(fresh->backoff_delay(), delay);
  host.fake_clock.advance(delay);
  ASSERT_EQ(fresh->state(), State::Starting);
  fresh->on_exit(test::exited(1));
  ASSERT_EQ(fresh->state(), State::Backoff);
  host.fake_clock.advance(fresh->backoff_delay());
  fresh->on_exit(test::exited(1));
  EXPECT_EQ(fresh->state(), State::Fatal) << "the fourth failed start, counting those before the handover";
}

TEST_F(ProcessHandoff, AStateThatCannotBeIsRefused) {
  config.startsecs = 0ms;
  auto old = make();
  old->start();
  auto s = old->snapshot();
  s.pid = 0;
  auto fresh = make();
  auto r = fresh->restore(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "web: state RUNNING with pid 0");
  s = old->snapshot();
  s.state = "SLEEPING";
  EXPECT_FALSE(fresh->restore(s));
}
