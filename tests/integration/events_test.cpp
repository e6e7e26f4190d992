// konnectctl events and wait against the real konnectd with real child programs: what events
// prints for a start, a crash and a stop (text and --json), and when wait returns, fails or
// times out.

#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <string>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra) {
  return "[program." + name + "]\n" + testchild_command(args) + extra;
}

// A line of `events` output that mentions all of `words`, within the deadline; "" if none.
std::string line_with(Background& events, std::initializer_list<std::string> words, std::chrono::milliseconds deadline = 10s) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    const std::string line = events.line(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()));
    if (line.empty()) return "";
    bool all = true;
    for (const auto& w : words) all = all && line.find(w) != std::string::npos;
    if (all) return line;
  }
  return "";
}

// Restarts `name` until `events` shows it RUNNING again: from then on the stream is
// subscribed (konnectctl prints nothing before the first event, so this is how to know).
bool subscribed(Konnectd& d, Background& events, const std::string& name) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (d.ctl({"restart", name}).exit_code != 0) return false;
    if (!line_with(events, {" " + name + " STARTING -> RUNNING pid "}, 1s).empty()) return true;
  }
  return false;
}

}  // namespace

TEST(Events, PrintsEachStateChangeWithPidAndReason) {
  Konnectd d(program("web", {}, "startsecs = 0\n") + program("other", {}, "startsecs = 0\n"));
  ASSERT_TRUE(d.start());
  Background events({kKonnectctl, "-s", d.socket().string(), "events", "web"});
  ASSERT_TRUE(subscribed(d, events, "web"));
  ASSERT_EQ(d.ctl({"restart", "other"}).exit_code, 0);  // not a target: never printed
  const pid_t crashed = d.pid_of("web");
  ASSERT_EQ(::kill(crashed, SIGKILL), 0);
  const std::string exited = line_with(events, {" web RUNNING -> EXITED pid " + std::to_string(crashed)});
  ASSERT_FALSE(exited.empty());
  EXPECT_NE(exited.find(" (terminated by SIGKILL)"), std::string::npos) << exited;
  EXPECT_EQ(exited[4], '-') << "the line starts with the time: " << exited;
  EXPECT_EQ(exited.substr(23, 2), "Z ") << exited;
  EXPECT_FALSE(line_with(events, {" web EXITED -> STARTING"}).empty());
  ASSERT_TRUE(d.wait_state("web", "RUNNING"));
  ASSERT_EQ(d.ctl({"stop", "web"}).exit_code, 0);
  const std::string stopping = line_with(events, {" web RUNNING -> STOPPING pid "});
  EXPECT_FALSE(stopping.empty());
  const std::string stopped = line_with(events, {" web STOPPING -> STOPPED pid "});
  EXPECT_FALSE(stopped.empty());
  EXPECT_EQ((stopping + exited + stopped).find("other"), std::string::npos);
}

TEST(Events, JsonIsOneEventObjectPerLine) {
  Konnectd d(program("web", {}, "startsecs = 0\n"));
  ASSERT_TRUE(d.start());
  Background events({kKonnectctl, "-s", d.socket().string(), "--json", "events"});
  nlohmann::json running;
  for (int attempt = 0; attempt < 20 && running.is_null(); ++attempt) {
    ASSERT_EQ(d.ctl({"restart", "web"}).exit_code, 0);
    for (std::string line = events.line(1s); !line.empty(); line = events.line(1s)) {
      const auto e = nlohmann::json::parse(line, nullptr, false);
      ASSERT_TRUE(e.is_object()) << line;
      ASSERT_TRUE(e.contains("seq") && e.contains("time") && e.contains("group") && e.contains("reason")) << line;
      if (e["to"] == "RUNNING") {
        running = e;
        break;
      }
    }
  }
  ASSERT_TRUE(running.is_object());
  EXPECT_EQ(running["name"], "web");
  EXPECT_EQ(running["group"], "web");
  EXPECT_EQ(running["from"], "STARTING");
  EXPECT_EQ(running["pid"], d.pid_of("web"));
  EXPECT_GE(running["seq"].get<int>(), 2);
}

TEST(Wait, ReturnsOnceEveryTargetIsRunning) {
  Konnectd d(program("slow", {}, "startsecs = 1\n") + program("fast", {}, "startsecs = 0\n"));
  ASSERT_TRUE(d.start());
  ASSERT_EQ(d.ctl({"stop", "slow"}).exit_code, 0);
  RunningCtl starting(d, {"start", "slow"});
  ASSERT_TRUE(d.wait_state("slow", "STARTING"));
  const auto waited = d.ctl({"wait", "slow", "fast"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(waited.out, "fast: RUNNING\nslow: RUNNING\n");  // in priority order
  EXPECT_EQ(d.state_of("slow"), "RUNNING") << "wait returned before it was RUNNING";
  EXPECT_EQ(starting.wait().exit_code, 0);
  // Already there: at once.
  EXPECT_EQ(d.ctl({"wait", "--timeout", "0", "all"}).exit_code, 0);
}

TEST(Wait, ARestartInProgressIsWaitedForNotTakenForAStop) {
  Konnectd d(program("web", {}, "startsecs = 1\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(d.wait_state("web", "RUNNING"));
  const pid_t old = d.pid_of("web");
  RunningCtl restart(d, {"restart", "web"});
  ASSERT_TRUE(d.wait_state("web", "STARTING"));
  const auto waited = d.ctl({"wait", "web"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_NE(d.pid_of("web"), old);
  EXPECT_EQ(restart.wait().exit_code, 0);
}

TEST(Wait, FailsOnTimeoutFatalAndAStopForGood) {
  Konnectd d(program("web", {}, "startsecs = 0\n") + program("broken", {"--exit", "1"}, "startsecs = 1\nstartretries = 1\n") +
             program("idle", {}, "autostart = false\n"));
  ASSERT_TRUE(d.start());
  const auto timeout = d.ctl({"wait", "--timeout", "300ms", "--state", "stopped", "web"});
  EXPECT_EQ(timeout.exit_code, 1);
  EXPECT_NE(timeout.err.find("ERROR (timeout): not STOPPED after 300 ms: web is RUNNING"), std::string::npos) << timeout.err;
  const auto fatal = d.ctl({"wait", "broken"});
  EXPECT_EQ(fatal.exit_code, 1);
  EXPECT_NE(fatal.err.find("broken is FATAL"), std::string::npos) << fatal.err;
  const auto stopped = d.ctl({"wait", "idle"});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.err.find("idle is STOPPED and nothing will start it"), std::string::npos) << stopped.err;
  EXPECT_EQ(d.ctl({"wait", "--state", "FATAL", "broken"}).exit_code, 0);
  EXPECT_EQ(d.ctl({"wait", "nosuch"}).exit_code, 1);
  EXPECT_EQ(d.ctl({"wait"}).exit_code, 2);
  EXPECT_EQ(d.ctl({"wait", "--state", "ASLEEP", "web"}).exit_code, 2);
  EXPECT_EQ(d.ctl({"wait", "--timeout", "soon", "web"}).exit_code, 2);
}

TEST(Wait, TheStateChangesOnTheWayPrintWithJson) {
  Konnectd d(program("web", {}, "startsecs = 1\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(d.wait_state("web", "RUNNING"));
  RunningCtl restart(d, {"restart", "web"});
  ASSERT_TRUE(d.wait_state("web", "STARTING"));
  const auto result = d.ctl({"--json", "wait", "web"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(R"("from":"STARTING")"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(R"("to":"RUNNING")"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(R"("ok":true,"result":{"processes":[{"name":"web","state":"RUNNING"}]})"), std::string::npos)
      << result.out;
  EXPECT_EQ(restart.wait().exit_code, 0);
}

// A restart stops a whole priority level before it starts any of it: a process already
// STOPPED while another of its level still stops is on its way, not stopped for good.
TEST(Wait, AProcessStoppedEarlyInARestartIsWaitedFor) {
  Konnectd d(program("quick", {}, "startsecs = 0\n") +
             program("slow", {"--ignore-term"}, "startsecs = 0\nstopwaitsecs = 1\n"));
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(d.wait_state("slow", "RUNNING"));
  RunningCtl restart(d, {"restart", "quick", "slow"});
  ASSERT_TRUE(d.wait_state("quick", "STOPPED"));
  ASSERT_EQ(d.state_of("slow"), "STOPPING");
  const auto waited = d.ctl({"wait", "quick"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  EXPECT_EQ(waited.out, "quick: RUNNING\n");
  EXPECT_EQ(restart.wait().exit_code, 0);
}
