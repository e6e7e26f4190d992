// supervisord's event listeners (issue 18) on the real binaries: a listener written with
// Debian's supervisor.childutils, the same supervisord.conf under supervisord 4.2.5 and
// konnectd, the same supervisorctl commands: the same events reach it, in the same order,
// with the same payloads (pids aside), PROCESS_LOG_* of a program's output too. A listener
// that rejects an event gets it again. A reexec keeps the listeners and every event.

#include "harness.hpp"
#include "supervisord.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

using namespace konnect::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Writes each event's name and payload as one line; answers FAIL to the first event whose
// payload names `reject` (then OK to it and everything else).
constexpr const char* kListener = R"(import sys
from supervisor import childutils
out, reject = open(sys.argv[1], "a"), sys.argv[2] if len(sys.argv) > 2 else None
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    line = headers["eventname"] + " " + payload.replace("\n", "|")
    if reject and reject in payload:
        reject = None
        out.write("REJECTED " + line + "\n"); out.flush()
        childutils.listener.fail(sys.stdout)
        continue
    out.write(line + "\n"); out.flush()
    childutils.listener.ok(sys.stdout)
)";

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::string conf(const std::string& listener_args) {
  return "[unix_http_server]\nfile=%(here)s/konnectd.sock\n\n"
         "[supervisord]\nlogfile=%(here)s/konnectd.log\npidfile=%(here)s/konnectd.pid\nchildlogdir=%(here)s/logs\n"
         "nodaemon=true\n\n"
         "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
         "[supervisorctl]\nserverurl=unix://%(here)s/konnectd.sock\n\n"
         "[program:web]\ncommand=" + kTestChild + "\nstartsecs=0\n\n"
         "[program:batch]\ncommand=" + kTestChild + " --exit 3\nstartsecs=0\nautorestart=false\nautostart=false\n\n"
         "[program:talker]\ncommand=" + kTestChild + " --print hi-there --stderr oops\nstartsecs=1\nautostart=false\n"
         "stdout_events_enabled=true\nstderr_events_enabled=true\n\n"
         "[eventlistener:watch]\ncommand=/usr/bin/python3 %(here)s/listener.py %(here)s/events.txt" + listener_args + "\n"
         "events=PROCESS_STATE,SUPERVISOR_STATE_CHANGE,PROCESS_GROUP,PROCESS_LOG\n\n";
}

void setup(const fs::path& dir, const std::string& listener_args = "") {
  write(dir / "supervisord.conf", conf(listener_args));
  write(dir / "listener.py", kListener);
  fs::create_directories(dir / "logs");
}

CommandResult ctl(const fs::path& dir, const std::string& args) {
  std::vector<std::string> argv = {kSupervisorctl, "-c", (dir / "supervisord.conf").string()};
  std::istringstream words(args);
  for (std::string w; words >> w;) argv.push_back(w);
  return run_command(argv, 60s);
}

// Each event a line, pids as N. Output that came in more than one PROCESS_LOG event of the
// same process and channel is one line: how output is cut into reads is the kernel's and
// the machine's (a slow, sanitized build reads "hi-there\n" in two), in either supervisor.
std::vector<std::string> events(const fs::path& dir) {
  std::vector<std::string> out;
  std::istringstream in(read_file(dir / "events.txt"));
  std::string last_log_head;
  for (std::string line; std::getline(in, line);) {
    line = std::regex_replace(line, std::regex(R"(pid:\d+)"), "pid:N");
    const bool log = line.rfind("PROCESS_LOG_", 0) == 0;
    const std::string head = log ? line.substr(0, line.find('|') + 1) : "";
    if (log && head == last_log_head && !out.empty()) {
      out.back() += line.substr(head.size());
      continue;
    }
    last_log_head = head;
    out.push_back(line);
  }
  return out;
}

bool has(const fs::path& dir, const std::string& line) {
  const auto e = events(dir);
  return std::find(e.begin(), e.end(), line) != e.end();
}

}  // namespace

TEST(EventListener, SameEventsAsUnderSupervisord) {
  ASSERT_TRUE(fs::exists(kSupervisord)) << "apt-get install supervisor";
  Konnectd k("");
  setup(k.dir());
  k.use_config(k.dir() / "supervisord.conf");
  ASSERT_TRUE(k.start()) << k.daemon_log();
  TempDir sdir;
  setup(sdir.path());
  Supervisord s(sdir.path(), k.tag() + "-s");

  const std::string web_running = "PROCESS_STATE_RUNNING processname:web groupname:web from_state:STARTING pid:N";
  for (const fs::path& dir : {k.dir(), sdir.path()}) {
    ASSERT_TRUE(wait_until([&] { return has(dir, web_running); }, 20s)) << dir << ":\n" << read_file(dir / "events.txt");
  }
  // What each command causes, in turn (each waits for its last event on both sides).
  const std::vector<std::pair<std::string, std::string>> steps = {
      {"stop web", "PROCESS_STATE_STOPPED processname:web groupname:web from_state:STOPPING pid:N"},
      {"start web", web_running},
      {"start batch", "PROCESS_STATE_EXITED processname:batch groupname:batch from_state:RUNNING expected:0 pid:N"},
      // Its output comes before RUNNING (startsecs = 1), stdout's and stderr's in their order.
      {"start talker", "PROCESS_STATE_RUNNING processname:talker groupname:talker from_state:STARTING pid:N"},
  };
  for (const auto& [command, last] : steps) {
    for (const fs::path& dir : {k.dir(), sdir.path()}) {
      const std::size_t before = events(dir).size();
      ctl(dir, command);
      ASSERT_TRUE(wait_until(
          [&] {
            const auto e = events(dir);
            return e.size() > before && std::find(e.begin() + static_cast<long>(before), e.end(), last) != e.end();
          },
          20s))
          << command << " in " << dir << ":\n"
          << read_file(dir / "events.txt");
    }
  }
  EXPECT_EQ(events(k.dir()), events(sdir.path())) << "konnectd:\n"
                                                  << read_file(k.dir() / "events.txt") << "supervisord:\n"
                                                  << read_file(sdir.path() / "events.txt");
}

// A result other than OK rejects the event: it comes again, and nothing is lost or doubled.
TEST(EventListener, ARejectedEventComesAgain) {
  Konnectd k("");
  setup(k.dir(), " processname:web");
  k.use_config(k.dir() / "supervisord.conf");
  ASSERT_TRUE(k.start()) << k.daemon_log();
  const std::string starting = "PROCESS_STATE_STARTING processname:web groupname:web from_state:STOPPED tries:0";
  ASSERT_TRUE(wait_until([&] { return has(k.dir(), "PROCESS_STATE_RUNNING processname:web groupname:web from_state:STARTING pid:N"); }, 20s))
      << read_file(k.dir() / "events.txt");
  const auto e = events(k.dir());
  const auto rejected = std::find(e.begin(), e.end(), "REJECTED " + starting);
  ASSERT_NE(rejected, e.end()) << read_file(k.dir() / "events.txt");
  EXPECT_EQ(std::count(e.begin(), e.end(), starting), 1) << read_file(k.dir() / "events.txt");
  EXPECT_EQ(*(rejected + 1), starting) << "the rejected event first, before the next";
  // The daemon log is written by its own thread: the line may come a moment later.
  EXPECT_TRUE(wait_until([&] { return k.daemon_log().find("was rejected") != std::string::npos; }));
}

// A listener whose answer is longer than one read (a 6000-byte result, with its next READY,
// in one write) is read to its end: readiness comes once per write, and the listener then
// waits for its next event. The long result rejects the event, which comes again.
TEST(EventListener, AnAnswerLongerThanOneReadIsReadWhole) {
  constexpr const char* kLong = R"(import sys
from supervisor import childutils
out, long_done, ready = open(sys.argv[1], "a"), False, True
while True:
    if ready:
        sys.stdout.write("READY\n"); sys.stdout.flush()
    headers = childutils.get_headers(sys.stdin.readline())
    payload = sys.stdin.read(int(headers["len"]))
    out.write(headers["eventname"] + " " + payload.split(" ")[0] + "\n"); out.flush()
    if not long_done:
        long_done, ready = True, False
        sys.stdout.write("RESULT 6000\n" + "F" * 6000 + "READY\n"); sys.stdout.flush()
        continue
    ready = True
    sys.stdout.write("RESULT 2\nOK"); sys.stdout.flush()
)";
  Konnectd k("[program.web]\n" + testchild_command({}) + "\nstartsecs = 0\nautostart = false\n\n"
             "[eventlistener.watch]\ncommand = [\"/usr/bin/python3\", \"listener.py\", \"events.txt\"]\n"
             "directory = " + toml_str(".") + "\nevents = [\"PROCESS_STATE_STARTING\"]\n");
  write(k.dir() / "listener.py", kLong);
  ASSERT_TRUE(k.start()) << k.daemon_log();
  ASSERT_TRUE(wait_until([&] { return k.state_of("watch") == "RUNNING"; }, 10s)) << k.daemon_log();
  ASSERT_EQ(k.ctl({"start", "web"}).exit_code, 0);
  ASSERT_EQ(k.ctl({"stop", "web"}).exit_code, 0);
  ASSERT_EQ(k.ctl({"start", "web"}).exit_code, 0);
  // The first event (the listener's own STARTING) twice: rejected by the long answer, then
  // taken; then each of web's two starts.
  const std::string expected = "PROCESS_STATE_STARTING processname:watch\nPROCESS_STATE_STARTING processname:watch\n"
                               "PROCESS_STATE_STARTING processname:web\nPROCESS_STATE_STARTING processname:web\n";
  ASSERT_TRUE(wait_until([&] { return read_file(k.dir() / "events.txt") == expected; }, 15s))
      << read_file(k.dir() / "events.txt") << k.daemon_log();
  EXPECT_EQ(k.state_of("watch"), "RUNNING");
}

// TICK_5 comes every 5 s (at multiples of 5 s of the clock, as supervisord's); a pool whose
// listener is slower than the events keeps buffer_size of them and says what it dropped.
TEST(EventListener, TicksAndABufferThatOverflows) {
  Konnectd k("[program.web]\n" + testchild_command({}) + "\nstartsecs = 0\nautostart = false\n\n"
             "[eventlistener.ticks]\ncommand = [\"/usr/bin/python3\", \"listener.py\", \"events.txt\"]\n"
             "directory = " + toml_str(".") + "\nevents = [\"TICK_5\"]\n\n"
             "[eventlistener.slow]\ncommand = [\"/usr/bin/python3\", \"-c\", \"import sys, time\\n"
             "from supervisor import childutils\\nwhile True:\\n    childutils.listener.wait(sys.stdin, sys.stdout)\\n"
             "    time.sleep(5)\\n    childutils.listener.ok(sys.stdout)\\n\"]\n"
             "events = [\"PROCESS_STATE\"]\nbuffer_size = 2\n");
  write(k.dir() / "listener.py", kListener);
  ASSERT_TRUE(k.start()) << k.daemon_log();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(k.ctl({"start", "web"}).exit_code, 0);
    ASSERT_EQ(k.ctl({"stop", "web"}).exit_code, 0);
  }
  EXPECT_TRUE(wait_until([&] { return k.daemon_log().find("slow: event buffer overflowed, discarding event") != std::string::npos; }, 10s))
      << k.daemon_log();
  ASSERT_TRUE(wait_until([&] { return !events(k.dir()).empty(); }, 8s)) << k.daemon_log();
  const std::string tick = events(k.dir()).front();
  EXPECT_TRUE(std::regex_match(tick, std::regex(R"(TICK_5 when:\d+)"))) << tick;
  EXPECT_EQ(std::stoll(tick.substr(tick.find(':') + 1)) % 5, 0) << tick;
}

// konnectctl reexec while a listener works through a backlog: it keeps its pid and pipes,
// and the event it has, those buffered and those after the reexec each reach it once, in
// order (its pool serials one after another).
TEST(EventListener, AReexecKeepsListenersAndEveryEvent) {
  constexpr const char* kSlow = R"(import sys, time
from supervisor import childutils
out = open(sys.argv[1], "a")
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    out.write(headers["poolserial"] + " " + headers["eventname"] + " " + payload.split(" ")[0] + "\n"); out.flush()
    time.sleep(0.2)
    childutils.listener.ok(sys.stdout)
)";
  Konnectd k("[program.web]\n" + testchild_command({}) + "\nstartsecs = 0\nautostart = false\n\n"
             "[eventlistener.watch]\ncommand = [\"/usr/bin/python3\", \"listener.py\", \"events.txt\"]\n"
             "directory = " + toml_str(".") + "\nevents = [\"PROCESS_STATE\"]\nbuffer_size = 50\n");
  write(k.dir() / "listener.py", kSlow);
  ASSERT_TRUE(k.start()) << k.daemon_log();
  ASSERT_TRUE(wait_until([&] { return k.state_of("watch") == "RUNNING"; }, 10s)) << k.daemon_log();
  const pid_t listener = k.pid_of("watch");
  auto lines = [&] {
    std::vector<std::string> out;
    std::istringstream in(read_file(k.dir() / "events.txt"));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  // 3 x (STARTING, RUNNING, STOPPING, STOPPED): 2.4 s of work for the listener, queued.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(k.ctl({"start", "web"}).exit_code, 0);
    ASSERT_EQ(k.ctl({"stop", "web"}).exit_code, 0);
  }
  const std::size_t before = lines().size();
  const auto reexec = k.ctl({"reexec"});
  ASSERT_EQ(reexec.exit_code, 0) << reexec.out << reexec.err << k.daemon_log();
  EXPECT_LT(lines().size(), 14u) << "the backlog was done before the reexec: the test proves nothing";
  ASSERT_EQ(k.ctl({"start", "web"}).exit_code, 0);
  // 3 x 4 and STARTING, RUNNING: 14 of web's.
  auto web_events = [&] {
    std::vector<std::string> out;
    for (const auto& line : lines()) {
      if (line.find(" processname:web") != std::string::npos) out.push_back(line);
    }
    return out;
  };
  ASSERT_TRUE(wait_until([&] { return web_events().size() >= 14; }, 20s)) << read_file(k.dir() / "events.txt") << k.daemon_log();
  EXPECT_EQ(k.pid_of("watch"), listener);
  const auto got = lines();
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].substr(0, got[i].find(' ')), std::to_string(i)) << "line " << i << " of\n" << read_file(k.dir() / "events.txt");
  }
  const auto web = web_events();
  ASSERT_EQ(web.size(), 14u) << read_file(k.dir() / "events.txt");
  const char* cycle[] = {"PROCESS_STATE_STARTING", "PROCESS_STATE_RUNNING", "PROCESS_STATE_STOPPING",
                         "PROCESS_STATE_STOPPED"};
  for (std::size_t i = 0; i < web.size(); ++i) {
    EXPECT_NE(web[i].find(std::string(cycle[i % 4]) + " processname:web"), std::string::npos) << i << ": " << web[i];
  }
  EXPECT_GT(before, 0u);
}
