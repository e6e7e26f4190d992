// sd_notify from programs against the real konnectd (SPEC.md "Readiness, health, order"):
// ready = { notify = true } waits for READY=1 from the process or a descendant, never from
// anyone else; STATUS= shows in status; watchdog kills a program that stops pinging and
// leaves one that pings alone.

#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra) {
  return "[program." + name + "]\n" + testchild_command(args) + extra;
}

bool send_datagram(const std::filesystem::path& path, const std::string& text) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool ok = ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ==
                  static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

}  // namespace

TEST(ProgramNotify, ReadyWaitsForReady1AndStatusShows) {
  Konnectd d(program("web", {"--env", "NOTIFY_SOCKET", "--notify", "STATUS=warming up", "--sleep", "800", "--notify",
                             "READY=1\\nSTATUS=Serving 3 sites"},
                     "autostart = false\nready = { notify = true }\n"));
  ASSERT_TRUE(d.start());
  const auto begun = std::chrono::steady_clock::now();
  RunningCtl start(d, {"start", "web"});
  ASSERT_TRUE(d.wait_state("web", "STARTING", 5s));
  EXPECT_TRUE(wait_until([&] { return d.ctl({"status", "web"}).out.find("warming up") != std::string::npos; }, 5s))
      << d.ctl({"status", "web"}).out;
  const auto r = start.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_GE(std::chrono::steady_clock::now() - begun, 800ms);
  const auto status = d.ctl({"status", "web"}).out;
  EXPECT_NE(status.find("RUNNING"), std::string::npos) << status;
  EXPECT_NE(status.find(", uptime 0:00:0"), std::string::npos) << status;
  EXPECT_NE(status.find("; Serving 3 sites"), std::string::npos) << status;
  EXPECT_NE(d.ctl({"--json", "status", "web"}).out.find("\"notify_status\":\"Serving 3 sites\""), std::string::npos);
  // Its own socket, given in the environment, for its user only.
  const auto socket = d.dir() / "notify" / "web";
  EXPECT_TRUE(wait_until([&] {
    return read_file(d.log_dir() / "web.out.log").find("NOTIFY_SOCKET=" + socket.string()) != std::string::npos;
  })) << read_file(d.log_dir() / "web.out.log");
  struct stat st {};
  ASSERT_EQ(::stat(socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ProgramNotify, ADescendantMayTellReadyAStrangerMayNot) {
  Konnectd d(program("web", {"--sleep", "600", "--notify-child", "READY=1"},
                     "autostart = false\nready = { notify = true }\n") +
             program("silent", {}, "autostart = false\nready = { notify = true, timeout = \"1s\" }\nstartretries = 0\n"));
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.ctl({"start", "web"}).exit_code, 0);
  EXPECT_EQ(d.state_of("web"), "RUNNING");

  RunningCtl start(d, {"start", "silent"});
  ASSERT_TRUE(d.wait_state("silent", "STARTING", 5s));
  const auto socket = d.dir() / "notify" / "silent";
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(socket); }));
  EXPECT_TRUE(send_datagram(socket, "READY=1"));  // from this test: not one of its processes
  const auto r = start.wait();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("not ready after 1s"), std::string::npos) << r.out;
  EXPECT_NE(d.daemon_log().find("silent: ignored a notify message from pid " + std::to_string(::getpid())),
            std::string::npos);
}

TEST(ProgramNotify, WatchdogKillsTheSilentAndSparesThePinging) {
  Konnectd d(program("pinger", {"--notify-every", "100", "WATCHDOG=1"}, "startsecs = 0\nwatchdog = \"500ms\"\n") +
             program("hung", {"--env", "WATCHDOG_USEC"}, "startsecs = 0\nwatchdog = \"500ms\"\nstopwaitsecs = \"1s\"\n"));
  ASSERT_TRUE(d.start());
  const pid_t pinger = d.pid_of("pinger");
  const pid_t hung = d.pid_of("hung");
  Background events({kKonnectctl, "-s", d.socket().string(), "events", "hung"});
  std::string exited;
  for (std::string line; exited.empty() && (line = events.line(10s)) != "";) {
    if (line.find(" hung RUNNING -> EXITED pid " + std::to_string(hung)) != std::string::npos) exited = line;
  }
  EXPECT_NE(exited.find("terminated by SIGABRT (watchdog: no WATCHDOG=1 for 500ms)"), std::string::npos) << exited;
  EXPECT_TRUE(wait_until([&] { const pid_t p = d.pid_of("hung"); return p != 0 && p != hung; }, 10s));
  EXPECT_NE(read_file(d.log_dir() / "hung.out.log").find("WATCHDOG_USEC=500000"), std::string::npos);
  EXPECT_EQ(d.pid_of("pinger"), pinger) << "a program that pings is left alone";
  EXPECT_EQ(d.state_of("pinger"), "RUNNING");
  // The notify sockets do not hold konnectd up at shutdown (stopwaitsecs is 1 s here).
  EXPECT_EQ(d.stop_with(SIGTERM, 8s), 0);
}
