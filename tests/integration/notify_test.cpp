// systemd's notify protocol (Type=notify): what konnectd tells the NOTIFY_SOCKET the test
// listens on, and that its programs never see that socket or the watchdog settings.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>

using namespace konnect::test;

namespace {

bool has_line(const std::vector<std::string>& notes, const std::string& line) {
  return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
    return ("\n" + n + "\n").find("\n" + line + "\n") != std::string::npos;
  });
}

std::size_t count_of(const std::vector<std::string>& notes, const std::string& message) {
  return static_cast<std::size_t>(std::count(notes.begin(), notes.end(), message));
}

}  // namespace

// READY=1 only once every autostart program is RUNNING (startsecs has passed), with STATUS.
TEST(Notify, ReadyComesWhenAutostartProgramsAreUpThenStoppingAtShutdown) {
  Konnectd d("[program.web]\n" + testchild_command({"--env", "NOTIFY_SOCKET", "--env", "WATCHDOG_USEC"}) +
             "startsecs = \"1s\"\n");
  d.add_env("WATCHDOG_USEC=60000000");
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.state_of("web"), "RUNNING");  // not STARTING: READY waited for startsecs
  const auto notes = d.notifications();
  ASSERT_FALSE(notes.empty());
  EXPECT_TRUE(has_line(notes, "READY=1"));
  EXPECT_TRUE(has_line(notes, "STATUS=Supervising 1 process(es)"));
  EXPECT_EQ(read_file(d.log_dir() / "web.out.log"), "NOTIFY_SOCKET unset\nWATCHDOG_USEC unset\n");
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  const auto after = d.notifications();
  EXPECT_TRUE(has_line(after, "STOPPING=1"));
  EXPECT_TRUE(has_line(after, "STATUS=Stopping 1 process(es)"));
}

// A reload is framed by RELOADING=1 and READY=1.
TEST(Notify, ReloadIsFramedByReloadingAndReady) {
  Konnectd d("[program.web]\n" + testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const std::size_t ready_before = d.notifications().size();
  EXPECT_EQ(d.ctl({"reload"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return d.notifications().size() >= ready_before + 2; }));
  const auto notes = d.notifications();
  EXPECT_EQ(notes[ready_before], "RELOADING=1");
  EXPECT_NE(notes[ready_before + 1].find("READY=1"), std::string::npos);
}

// WatchdogSec=: WATCHDOG=1 at half the interval, from the event loop; none when
// WATCHDOG_PID names another process.
TEST(Notify, WatchdogPingsAtHalfTheInterval) {
  Konnectd d("[program.web]\n" + testchild_command({}) + "startsecs = 0\n");
  d.add_env("WATCHDOG_USEC=200000");
  ASSERT_TRUE(d.start());
  // 200 ms interval: a ping every 100 ms, so at least 5 within a second of the first.
  EXPECT_TRUE(wait_until([&] { return count_of(d.notifications(), "WATCHDOG=1") >= 5; }, 3s));

  Konnectd other("[program.web]\n" + testchild_command({}) + "startsecs = 0\n");
  other.add_env("WATCHDOG_USEC=200000");
  other.add_env("WATCHDOG_PID=1");
  ASSERT_TRUE(other.start());
  EXPECT_TRUE(other.wait_state("web", "RUNNING"));
  EXPECT_EQ(count_of(other.notifications(), "WATCHDOG=1"), 0u);
}
