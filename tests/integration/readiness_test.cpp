// ready and health against the real konnectd with real child programs (SPEC.md "Readiness,
// health, order"): start returns only once the program answers (tcp, http, log, exec), a
// program that never gets ready fails its start with the reason, and a failing health check
// restarts a RUNNING program through its stop.

#include "tests/integration/harness.hpp"
#include "tests/integration/net_client.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra) {
  return "[program." + name + "]\n" + testchild_command(args) + extra;
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void write_text(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string json_status(Konnectd& d, const std::string& name) { return d.ctl({"--json", "status", name}).out; }

}  // namespace

// The status files the --serve programs read are in their directory, d.dir().

// Not listening for 1.5 s, then listening: start returns only after that, and then the port
// answers. startsecs (0 here) plays no part.
TEST(Readiness, TcpStartReturnsOnceThePortAccepts) {
  const int port = free_port();
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  Konnectd d(program("web", {"--sleep", "1500", "--serve", std::to_string(port), "status"},
                     "autostart = false\nstartsecs = 0\nready = { tcp = \"" + addr + "\", interval = \"100ms\" }\n"));
  ASSERT_TRUE(d.start());
  RunningCtl start(d, {"start", "web"});
  ASSERT_TRUE(d.wait_state("web", "STARTING", 5s));
  EXPECT_FALSE(accepts(port));
  const auto r = start.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "web: started\n");
  EXPECT_TRUE(accepts(port)) << "start returned before the port accepted";
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// 503 is not ready; 200 is. A restart waits for the new process's answer too.
TEST(Readiness, HttpNeeds2xxOr3xx) {
  const int port = free_port();
  Konnectd d(program("web", {"--serve", std::to_string(port), "status"},
                     "directory = \".\"\nready = { http = \"http://127.0.0.1:" + std::to_string(port) +
                         "/health?x=1\", interval = \"100ms\" }\n"));
  write_text(d.dir() / "status", "503");
  // The daemon's start waits for readiness too; status is answered meanwhile.
  std::thread answer([&] {
    EXPECT_TRUE(d.wait_state("web", "STARTING", 10s));
    EXPECT_FALSE(wait_until([&] { return d.state_of("web") == "RUNNING"; }, 1s));
    write_text(d.dir() / "status", "302");
  });
  ASSERT_TRUE(d.start());
  answer.join();
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  write_text(d.dir() / "status", "500");
  const pid_t before = d.pid_of("web");
  RunningCtl restart(d, {"restart", "web"});
  EXPECT_TRUE(wait_until([&] { return d.pid_of("web") != before && d.state_of("web") == "STARTING"; }, 10s));
  write_text(d.dir() / "status", "200");
  const auto r = restart.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// Never ready: killed at the timeout, retried, then FATAL with the reason and the last
// probe's error; start fails with it.
TEST(Readiness, NotReadyByTheTimeoutIsAFailedStart) {
  const int port = free_port();
  Konnectd d(program("web", {}, "autostart = false\nstartretries = 1\nready = { tcp = \"127.0.0.1:" +
                                    std::to_string(port) + "\", timeout = \"700ms\", interval = \"100ms\" }\n"));
  ASSERT_TRUE(d.start());
  const auto r = d.ctl({"start", "web"}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("not ready after 700ms (last check: connect to 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
  EXPECT_TRUE(d.wait_state("web", "FATAL", 10s));  // after the one retry
  EXPECT_NE(d.daemon_log().find("web: not ready after 700ms"), std::string::npos);
}

// A process that exits while not ready is a failed start like any other.
TEST(Readiness, ExitBeforeReadyIsAFailedStart) {
  Konnectd d(program("web", {"--sleep", "100", "--exit", "0"},
                     "autostart = false\nstartretries = 0\nready = { log = \"never\" }\n"));
  ASSERT_TRUE(d.start());
  const auto r = d.ctl({"start", "web"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("Exited too quickly"), std::string::npos) << r.out;
  EXPECT_EQ(d.state_of("web"), "FATAL");
}

// The line that says ready, on stdout or stderr, after other output; a line cut across two
// writes still counts.
TEST(Readiness, LogLineOnStderrMakesItRunning) {
  Konnectd d(program("worker", {"--print", "booting", "--sleep", "800", "--raw", "celery@host re", "--sleep", "100",
                                "--stderr", "ady.", "--print", "after"},
                     "autostart = false\nready = { log = '\\S+@\\S+ ready\\.' }\nredirect_stderr = true\n"));
  ASSERT_TRUE(d.start());
  const auto begun = std::chrono::steady_clock::now();
  const auto r = d.ctl({"start", "worker"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_GE(std::chrono::steady_clock::now() - begun, 800ms);
  // The line is in the file too (the pump writes it on its own thread: maybe just after).
  EXPECT_TRUE(wait_until([&] { return read_file(d.log_dir() / "worker.out.log").find("celery@host ready.") != std::string::npos; }))
      << read_file(d.log_dir() / "worker.out.log");
  // The watch is gone: output keeps flowing into the file.
  EXPECT_TRUE(wait_until([&] { return read_file(d.log_dir() / "worker.out.log").find("after") != std::string::npos; }));
}

// A program that prints its ready line the moment it starts: the watch is on the stream
// before the child exists, so the line is never moved to the file unseen (before the fix, 8
// of 100 such programs went FATAL "not ready after 5s" on an idle machine).
TEST(Readiness, ALineWrittenAtOnceIsSeen) {
  std::string programs;
  for (int i = 0; i < 100; ++i) {
    programs += program("p" + std::to_string(i), {"--print", "accepting connections"},
                        "ready = { log = 'accepting', timeout = \"5s\" }\nstartretries = 0\n");
  }
  Konnectd d(programs);
  ASSERT_TRUE(d.start(30s)) << d.daemon_log();
  const auto status = d.ctl({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_EQ(status.out.find("FATAL"), std::string::npos) << status.out;
}

// exec runs in the program's directory, with its environment; its output is in the daemon
// log at debug level.
TEST(Readiness, ExecProbeRunsAsTheProgram) {
  Konnectd d(program("web", {}, "autostart = false\ndirectory = \".\"\nenvironment = { FLAVOR = \"mint\" }\n"
                                "ready = { exec = [\"sh\", \"-c\", \"echo probe says $FLAVOR; test -e flag\"], "
                                "interval = \"100ms\" }\n"));
  ASSERT_TRUE(d.start());
  RunningCtl start(d, {"start", "web"});
  ASSERT_TRUE(d.wait_state("web", "STARTING", 5s));
  EXPECT_FALSE(wait_until([&] { return d.state_of("web") == "RUNNING"; }, 500ms));
  write_text(d.dir() / "flag", "");
  const auto r = start.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("web ready check: probe says mint") != std::string::npos; }))
      << d.daemon_log();
  EXPECT_NE(d.daemon_log().find("web: not ready yet: exit status 1: probe says mint"), std::string::npos);
}

// Health: "ok" while it passes; failures in a row restart it through its stop, with the
// reason in events and the daemon log; a program without health says "none".
TEST(Health, FailingChecksRestartTheProcess) {
  const int port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  Konnectd d(program("web", {"--serve", std::to_string(port), "status"},
                     "directory = \".\"\nstartsecs = 0\nhealth = { http = \"" + url + "\", interval = \"200ms\", failures = 2 }\n") +
             program("plain", {}, "startsecs = 0\n"));
  ASSERT_TRUE(d.start());
  EXPECT_NE(json_status(d, "web").find("\"health\":\"ok\""), std::string::npos) << json_status(d, "web");
  EXPECT_NE(json_status(d, "plain").find("\"health\":\"none\""), std::string::npos);
  Background events({kKonnectctl, "-s", d.socket().string(), "events", "web"});
  const pid_t before = d.pid_of("web");
  // Passing checks leave it alone.
  EXPECT_FALSE(wait_until([&] { return d.pid_of("web") != before; }, 700ms));
  write_text(d.dir() / "status", "500");
  EXPECT_TRUE(wait_until([&] { return json_status(d, "web").find("\"health\":\"failing\"") != std::string::npos; }, 5s));
  std::string stopping;
  for (std::string line; (line = events.line(10s)) != "";) {
    if (line.find(" web RUNNING -> STOPPING") != std::string::npos) {
      stopping = line;
      break;
    }
  }
  EXPECT_NE(stopping.find("health check failed 2 time(s) in a row: GET " + url + " answered 500"), std::string::npos)
      << stopping;
  write_text(d.dir() / "status", "200");
  EXPECT_TRUE(wait_until([&] { return d.pid_of("web") != before && d.pid_of("web") != 0; }, 10s));
  EXPECT_TRUE(d.wait_state("web", "RUNNING"));
  EXPECT_NE(d.daemon_log().find("web: health check failed 2 time(s) in a row"), std::string::npos);
  EXPECT_EQ(d.pid_of("plain") != 0, true);
}
