// The control socket and konnectctl's contract: bad input gets an error answer, exit codes,
// many clients at once, --json, version, pid, --check.

#include "harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

using namespace konnect::test;

namespace {

const std::string kOneProgram = "[program.web]\n" + testchild_command({}) + "startsecs = 0\n";

}  // namespace

// Bad JSON, non-objects, unknown commands, bad args and oversized lines each get an error
// answer, and the same connection keeps working.
TEST(Control, BadRequestsGetErrorAnswersAndTheConnectionSurvives) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  RawClient c(d.socket());
  ASSERT_TRUE(c.connected());
  c.send("this is not json\n");
  auto a = c.answer();
  EXPECT_EQ(a["ok"], false);
  EXPECT_EQ(a["error"]["code"], "BAD_REQUEST");
  c.send("[1,2,3]\n");
  EXPECT_EQ(c.answer()["error"]["code"], "BAD_REQUEST");
  c.send(R"({"id":7,"cmd":"frobnicate"})" "\n");
  a = c.answer();
  EXPECT_EQ(a["id"], 7);
  EXPECT_EQ(a["error"]["code"], "UNKNOWN_COMMAND");
  c.send(R"({"id":8,"cmd":"start","args":{"targets":"web"}})" "\n");
  EXPECT_EQ(c.answer()["error"]["code"], "BAD_ARGUMENTS");
  c.send(R"({"id":9,"cmd":"stop","args":{"targets":["nosuch"]}})" "\n");
  a = c.answer();
  EXPECT_EQ(a["error"]["code"], "NO_SUCH_PROCESS");
  c.send(std::string(2 * 1024 * 1024, 'x') + "\n");
  EXPECT_EQ(c.answer()["error"]["code"], "REQUEST_TOO_LARGE");
  // A deeply nested id (a stack-overflow bait) is refused, not echoed.
  c.send(R"({"cmd":"status","id":)" + std::string(400000, '[') + std::string(400000, ']') + "}\n");
  EXPECT_EQ(c.answer()["error"]["code"], "BAD_REQUEST");
  c.send(R"({"id":10,"cmd":"status"})" "\n");
  a = c.answer();
  EXPECT_EQ(a["id"], 10);
  EXPECT_EQ(a["ok"], true);
  EXPECT_EQ(a["result"]["processes"][0]["state"], "RUNNING");
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// Several requests in one write are answered in order.
TEST(Control, PipelinedRequestsAreAnsweredInOrder) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  RawClient c(d.socket());
  c.send(R"({"id":1,"cmd":"version"})" "\n" R"({"id":2,"cmd":"pid"})" "\n" R"({"id":3,"cmd":"status"})" "\n");
  EXPECT_EQ(c.answer()["id"], 1);
  auto a = c.answer();
  EXPECT_EQ(a["id"], 2);
  EXPECT_EQ(a["result"]["pid"], d.pid());
  EXPECT_EQ(c.answer()["id"], 3);
}

// A client that sends half a line and stalls does not block others.
TEST(Control, StalledClientDoesNotBlockOthers) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  RawClient stalled(d.socket());
  stalled.send(R"({"id":1,"cmd":"sta)");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      if (d.ctl({"status"}).exit_code == 0) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
  stalled.send("tus\"}\n");
  EXPECT_EQ(stalled.answer()["ok"], true);
}

// Exit codes: 1 for an unknown name, 2 for usage, 4 when the daemon is unreachable.
TEST(Control, ExitCodes) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"stop", "nosuch"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("nosuch"), std::string::npos);
  EXPECT_EQ(d.ctl({"status", "nosuch"}).exit_code, 1);
  EXPECT_EQ(d.ctl({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(d.ctl({"start"}).exit_code, 2);
  auto gone = run_command({kKonnectctl, "-s", (d.dir() / "nowhere.sock").string(), "status"});
  EXPECT_EQ(gone.exit_code, 4);
  EXPECT_NE(gone.err.find("nowhere.sock"), std::string::npos) << gone.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// --json prints the daemon's answer; pid and version work.
TEST(Control, JsonPidAndVersion) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"--json", "status"});
  EXPECT_EQ(r.exit_code, 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["result"]["processes"][0]["name"], "web");
  EXPECT_EQ(j["result"]["processes"][0]["pid"], d.pid_of("web"));
  r = d.ctl({"pid"});
  EXPECT_EQ(r.out, std::to_string(d.pid()) + "\n");
  r = d.ctl({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("konnectctl "), std::string::npos);
  EXPECT_NE(r.out.find("konnectd "), std::string::npos);
}

// konnectctl -c FILE finds the socket through the config.
TEST(Control, CtlFindsSocketThroughConfig) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  auto r = run_command({kKonnectctl, "-c", d.config_file().string(), "status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("web"), std::string::npos);
}

// konnectd --check: 0 for a good config, 1 with file:line and key for a bad one.
TEST(Control, CheckValidatesConfig) {
  TempDir t;
  const auto good = t.path() / "good.toml";
  std::ofstream(good) << kOneProgram;
  auto r = run_command({kKonnectd, "--check", "-c", good.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto bad = t.path() / "bad.toml";
  std::ofstream(bad) << "[program.web]\ncommand = \"/bin/true\"\nstartsecs = \"soon\"\n";
  r = run_command({kKonnectd, "--check", "-c", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad.string() + ":3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("startsecs"), std::string::npos) << r.err;
}

// A second konnectd on the same socket refuses to start and leaves the first alone.
TEST(Control, SecondDaemonOnSameSocketRefuses) {
  Konnectd d(kOneProgram);
  ASSERT_TRUE(d.start());
  auto r = run_command({kKonnectd, "-c", d.config_file().string()}, 10s);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already"), std::string::npos) << r.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
}

// A client that pipelines requests and never reads is not read any further; others are served
// and the daemon's memory does not grow with what that client sends.
TEST(Control, ClientThatNeverReadsIsThrottled) {
  std::string programs;
  for (int i = 0; i < 50; ++i) programs += "[program.p" + std::to_string(i) + "]\n" + testchild_command({}) + "startsecs = 0\n";
  Konnectd d(programs);
  ASSERT_TRUE(d.start(60s));
  RawClient greedy(d.socket());
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += R"({"cmd":"status"})" "\n";
  ASSERT_TRUE(greedy.send(burst));  // 34 KB: fits in the socket buffer, never blocks
  EXPECT_TRUE(wait_until([&] { return d.ctl({"status", "p0"}).exit_code == 0; }, 10s));
  const auto rss = [&] {
    std::istringstream in(read_file("/proc/" + std::to_string(d.pid()) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return 0L;
  };
#if defined(__SANITIZE_ADDRESS__)
  // ASan's shadow memory and its quarantine of freed blocks make RSS say nothing here.
  (void)rss;
#else
  EXPECT_LT(rss(), 64 * 1024) << "kB";  // 2000 queued answers of ~10 KB would be ~20 MB more
#endif
}

// reread prints what a reload would change and changes nothing; a broken file is reported
// with file and line.
TEST(Control, RereadReportsChangesAndChangesNothing) {
  Konnectd d("[program.web]\n" + testchild_command({}) + "startsecs = 0\n\n[program.old]\n" +
             testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"reread"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "No config updates to processes\n");
  const pid_t web = d.pid_of("web");
  std::string text = read_file(d.config_file());
  text.replace(text.find("[program.old]"), 13, "[program.new]");
  text += "\n[program.web2]\n" + testchild_command({"--print", "x"});
  std::ofstream(d.config_file()) << text;
  r = d.ctl({"reread"});
  EXPECT_EQ(r.out, "new: available\nweb2: available\nold: disappeared\n") << r.err;
  EXPECT_EQ(d.pid_of("web"), web);
  EXPECT_EQ(d.state_of("old"), "RUNNING");
  std::ofstream(d.config_file(), std::ios::app) << "\n[program.bad]\ncommand = 5\n";
  r = d.ctl({"reread"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(d.config_file().string() + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("program.bad.command"), std::string::npos) << r.err;
}
