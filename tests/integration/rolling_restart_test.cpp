// restart = "rolling" against the real konnectd (SPEC.md "Held sockets and rolling
// restarts"): the new instance starts beside the old one on the same held socket, and only
// once it is ready is the old one stopped; clients hammering the socket meanwhile are all
// answered. A new instance that cannot get ready goes and the old one keeps serving (the
// command fails); numprocs copies roll one at a time; a stop during a roll stops both.

#include "tests/integration/harness.hpp"
#include "tests/integration/net_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

// `startup_ms` before READY=1 (and before it accepts), then "pid N" to every connection.
std::string rolling_web(int port, int startup_ms, const std::string& extra = "") {
  return "[program.web]\n" +
         testchild_command({"--sleep", std::to_string(startup_ms), "--notify", "READY=1", "--serve-fd", "3"}) +
         "restart = \"rolling\"\nready = { notify = true }\nsockets = [\"tcp://127.0.0.1:" + std::to_string(port) +
         "\"]\n" + extra;
}

// Clients connecting one after another, from a few threads, until stopped: who answered, and
// how many got nothing.
class Load {
 public:
  Load(int port, int clients) {
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, port] {
        while (!stop_) {
          const std::string answer = ask_tcp(port, "", 5s);
          std::lock_guard lock(mutex_);
          if (answer.empty()) {
            ++failed_;
          } else {
            ++answered_[answer];
          }
        }
      });
    }
  }
  ~Load() { finish(); }
  void finish() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  int answered_by(pid_t pid) {
    std::lock_guard lock(mutex_);
    return answered_["pid " + std::to_string(pid) + "\n"];
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::map<std::string, int> answered_;
  int failed_ = 0;
};

nlohmann::json status_json(Konnectd& d, const std::string& name) {
  const auto r = d.ctl({"--json", "status", name});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.contains("result")) return nlohmann::json();
  return j["result"]["processes"][0];
}



}  // namespace

TEST(RollingRestart, TheOldInstanceServesUntilTheNewOneIsReady) {
  const int port = free_port();
  Konnectd d(rolling_web(port, 1000));
  ASSERT_TRUE(d.start());
  const pid_t old_pid = d.pid_of("web");
  ASSERT_EQ(ask_tcp(port), "pid " + std::to_string(old_pid) + "\n");
  Load load(port, 4);

  RunningCtl restart(d, {"restart", "web"});
  // While the new one gets ready, status shows it (STARTING) and the old one as previous;
  // the old one answers.
  nlohmann::json during;
  EXPECT_TRUE(wait_until([&] {
    during = status_json(d, "web");
    return during.contains("previous");
  })) << during.dump();
  EXPECT_EQ(during["state"], "STARTING");
  EXPECT_EQ(during["previous"]["pid"], old_pid);
  EXPECT_EQ(during["previous"]["state"], "RUNNING");
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(old_pid) + "\n");

  const auto r = restart.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const pid_t new_pid = d.pid_of("web");
  EXPECT_NE(new_pid, old_pid);
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  EXPECT_TRUE(wait_until([&] { return !pid_alive(old_pid); })) << "the old instance is stopped once the new is ready";
  EXPECT_TRUE(wait_until([&] { return load.answered_by(new_pid) > 0; }));
  load.finish();
  EXPECT_EQ(load.failed(), 0) << "no client went unanswered";
  EXPECT_GT(load.answered_by(old_pid), 0);
  EXPECT_FALSE(status_json(d, "web").contains("previous"));
  EXPECT_NE(d.daemon_log().find("rolling restart: the new instance (pid " + std::to_string(new_pid) + ") is running"),
            std::string::npos)
      << d.daemon_log();
}

TEST(RollingRestart, ANewInstanceThatCannotGetReadyGoesAndTheOldOneKeepsServing) {
  const int port = free_port();
  konnect::test::TempDir scratch;
  const auto broken = scratch.path() / "broken";
  // A deploy that breaks the program: once `broken` exists, a new instance exits at once.
  const std::string command = "if [ -e '" + broken.string() + "' ]; then echo broken >&2; exit 3; fi; exec " +
                              std::string(kTestChild) + " --notify READY=1 --serve-fd 3";
  Konnectd d("[program.web]\ncommand = [\"/bin/sh\", \"-c\", \"" + command +
             "\"]\nrestart = \"rolling\"\nready = { notify = true }\nstartretries = 0\n"
             "sockets = [\"tcp://127.0.0.1:" + std::to_string(port) + "\"]\n");
  ASSERT_TRUE(d.start());
  const pid_t old_pid = d.pid_of("web");
  std::ofstream(broken) << "";
  Load load(port, 2);

  const auto r = d.ctl({"restart", "web"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("the new instance did not get ready"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("the old instance (pid " + std::to_string(old_pid) + ") keeps running"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  EXPECT_EQ(d.pid_of("web"), old_pid);
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(old_pid) + "\n");
  load.finish();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_FALSE(status_json(d, "web").contains("previous"));

  // Mended: the next restart rolls.
  std::filesystem::remove(broken);
  EXPECT_EQ(d.ctl({"restart", "web"}).exit_code, 0);
  EXPECT_NE(d.pid_of("web"), old_pid);
}

TEST(RollingRestart, NumprocsCopiesRollOneAtATime) {
  const int port = free_port();
  Konnectd d(rolling_web(port, 300, "numprocs = 2\n") + "[program.marker]\n" + testchild_command({}) +
             "startsecs = 0\nautostart = false\n");
  ASSERT_TRUE(d.start());
  const pid_t old0 = d.pid_of("web:web_00"), old1 = d.pid_of("web:web_01");
  Background events({kKonnectctl, "-s", d.socket().string(), "--json", "events"});
  // The follower is subscribed once it sees marker's events.
  bool subscribed = false;
  for (int attempt = 0; attempt < 20 && !subscribed; ++attempt) {
    ASSERT_EQ(d.ctl({"restart", "marker"}).exit_code, 0);
    for (std::string line; !subscribed && !(line = events.line(1s)).empty();) {
      subscribed = line.find("\"to\":\"RUNNING\"") != std::string::npos;
    }
  }
  ASSERT_TRUE(subscribed);
  Load load(port, 3);
  ASSERT_EQ(d.ctl({"restart", "web:*"}).exit_code, 0);
  load.finish();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_NE(d.pid_of("web:web_00"), old0);
  EXPECT_NE(d.pid_of("web:web_01"), old1);
  // The order of the transitions: web_00's new instance is up and its old one stopped
  // before web_01's new instance starts.
  const std::vector<std::string> expected{"web:web_00 STARTING", "web:web_00 RUNNING", "web:web_00 STOPPED",
                                          "web:web_01 STARTING", "web:web_01 RUNNING", "web:web_01 STOPPED"};
  std::vector<std::string> seen;
  for (std::string line; seen.size() < expected.size() && !(line = events.line(5s)).empty();) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    const std::string to = e.value("to", "");
    if (e.value("name", "") == "marker") continue;
    if (to == "STARTING" || to == "RUNNING" || to == "STOPPED") seen.push_back(e.value("name", "") + " " + to);
  }
  EXPECT_EQ(seen, expected);
}

TEST(RollingRestart, AStopDuringARollStopsBothInstances) {
  const int port = free_port();
  Konnectd d(rolling_web(port, 3000));
  ASSERT_TRUE(d.start(20s));
  const pid_t old_pid = d.pid_of("web");
  RunningCtl restart(d, {"restart", "web"});
  ASSERT_TRUE(wait_until([&] { return status_json(d, "web").contains("previous"); }));
  const pid_t new_pid = d.pid_of("web");
  ASSERT_NE(new_pid, old_pid);

  const auto stop = d.ctl({"stop", "web"});
  EXPECT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  const auto r = restart.wait();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("interrupted by a stop"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "STOPPED");
  EXPECT_TRUE(wait_until([&] { return !pid_alive(old_pid) && !pid_alive(new_pid); }));
  EXPECT_TRUE(wait_until([&] { return ask_tcp(port, "", 1s).empty(); })) << "the socket is closed with the program";
  EXPECT_FALSE(status_json(d, "web").contains("previous"));
}

TEST(RollingRestart, RollingAndStopStartProgramsRestartTogether) {
  const int port = free_port();
  Konnectd d(rolling_web(port, 200) + "[program.worker]\n" + testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web"), worker = d.pid_of("worker");
  const auto r = d.ctl({"restart", "all"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(d.pid_of("web"), web);
  EXPECT_NE(d.pid_of("worker"), worker);
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  EXPECT_EQ(d.state_of("worker"), "RUNNING");
}

TEST(RollingRestart, AReloadThatChangesARollingProgramRollsIt) {
  const int port = free_port();
  const std::string v1 = rolling_web(port, 500);
  Konnectd d(v1);
  ASSERT_TRUE(d.start());
  const pid_t old_pid = d.pid_of("web");
  Load load(port, 4);
  // A new command (a deploy): the program is made anew, but by rolling.
  d.write_programs("[program.web]\n" +
                        testchild_command({"--print", "v2", "--sleep", "500", "--notify", "READY=1", "--serve-fd", "3"}) +
                        "restart = \"rolling\"\nready = { notify = true }\nsockets = [\"tcp://127.0.0.1:" +
                        std::to_string(port) + "\"]\n");
  const auto r = d.ctl({"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const pid_t new_pid = d.pid_of("web");
  EXPECT_NE(new_pid, old_pid);
  EXPECT_TRUE(wait_until([&] { return read_file(d.log_dir() / "web.out.log").find("v2") != std::string::npos; }));
  EXPECT_TRUE(wait_until([&] { return load.answered_by(new_pid) > 0; }));
  load.finish();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_GT(load.answered_by(old_pid), 0) << "the old instance served while the new one got ready";
  EXPECT_NE(d.daemon_log().find("roll web"), std::string::npos) << d.daemon_log();

  // A change of numprocs cannot roll (other copies): stop, then start.
  d.write_programs(rolling_web(port, 100, "numprocs = 2\n"));
  EXPECT_EQ(d.ctl({"reload"}).exit_code, 0);
  EXPECT_EQ(d.state_of("web:web_00"), "RUNNING");
  EXPECT_NE(d.daemon_log().find("restart web; roll -"), std::string::npos) << d.daemon_log();
}

// `log` readiness during a roll is the new instance's own: it writes into pipes of its own
// (into the same file), so the ready line the old instance prints meanwhile does not make the
// new one RUNNING, and the old one is not stopped early.
TEST(RollingRestart, TheOldInstancesReadyLineDoesNotMakeTheNewOneReady) {
  const std::string line = "web: accepting requests";
  Konnectd d("[program.web]\n" +
             testchild_command({"--sleep", "1500", "--print", line, "--on-usr1", line}) +
             "restart = \"rolling\"\nready = { log = 'accepting requests$' }\n");
  ASSERT_TRUE(d.start());
  const pid_t old_pid = d.pid_of("web");
  const auto log = d.log_dir() / "web.out.log";
  auto lines = [&] {
    const std::string text = read_file(log);
    int n = 0;
    for (auto at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) ++n;
    return n;
  };
  // Ready when the line is read; in the file just after (the pump writes it on its thread).
  ASSERT_TRUE(wait_until([&] { return lines() == 1; })) << read_file(log);

  RunningCtl restart(d, {"restart", "web"});
  nlohmann::json during;
  ASSERT_TRUE(wait_until([&] { return (during = status_json(d, "web")).contains("previous"); })) << during.dump();
  ASSERT_EQ(during["previous"]["pid"], old_pid);
  ASSERT_EQ(::kill(old_pid, SIGUSR1), 0);  // the old one prints the ready line again
  ASSERT_TRUE(wait_until([&] { return lines() == 2; })) << read_file(log);
  // The line is in the file, so the pump has read it (a match is posted before the write).
  during = status_json(d, "web");
  EXPECT_EQ(during["state"], "STARTING") << during.dump();
  EXPECT_TRUE(pid_alive(old_pid));

  const auto r = restart.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(wait_until([&] { return lines() == 3; })) << "the new instance's own line made it ready: " << read_file(log);
  EXPECT_FALSE(pid_alive(old_pid));
}
