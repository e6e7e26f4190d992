// supervisord's XML-RPC interface (issue 18), through Debian's own supervisorctl: the same
// supervisord.conf runs under supervisord 4.2.5 and under konnectd, and every supervisorctl
// command a user types gets the same output (pids, uptimes and dates aside) and the same
// exit code from both. Python's xmlrpc.client checks the methods supervisorctl does not use.

#include "accounts.hpp"
#include "harness.hpp"
#include "supervisord.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

using namespace konnect::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {


void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// One supervisord.conf for both: every path is %(here)s, so the text is the same.
std::string conf(const std::string& programs) {
  return "[unix_http_server]\nfile=%(here)s/konnectd.sock\n\n"
         "[supervisord]\nlogfile=%(here)s/konnectd.log\npidfile=%(here)s/konnectd.pid\nchildlogdir=%(here)s/logs\n"
         "nodaemon=true\n\n"
         "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
         "[supervisorctl]\nserverurl=unix://%(here)s/konnectd.sock\n\n" +
         programs;
}

std::string programs() {
  return "[program:web]\ncommand=" + kTestChild + " --print hello\nstartsecs=0\nstdout_logfile=%(here)s/logs/web.out\n\n"
         "[program:worker]\ncommand=" + kTestChild + "\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=2\n"
         "startsecs=0\n\n"
         "[program:manual]\ncommand=" + kTestChild + "\nautostart=false\nstartsecs=0\npriority=5\n\n";
}

CommandResult ctl(const fs::path& dir, const std::string& args) {
  std::vector<std::string> argv = {kSupervisorctl, "-c", (dir / "supervisord.conf").string()};
  std::istringstream words(args);
  for (std::string w; words >> w;) argv.push_back(w);
  return run_command(argv, 60s);
}

// What differs between any two runs: pids, uptimes, stop dates, versions.
std::string normalized(std::string out) {
  out = std::regex_replace(out, std::regex(R"(pid \d+, uptime \d+:\d\d:\d\d)"), "pid N, uptime T");
  out = std::regex_replace(out, std::regex(R"([A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M)"), "DATE");
  out = std::regex_replace(out, std::regex(R"((^|\n)\d+(?=\n))"), "$1N");
  return out;
}

bool all_up(const fs::path& dir) {
  const auto r = ctl(dir, "status");
  const std::string& s = r.out;
  std::size_t running = 0;
  for (auto p = s.find("RUNNING"); p != std::string::npos; p = s.find("RUNNING", p + 1)) ++running;
  return running == 3;
}

}  // namespace

TEST(XmlRpc, DebiansSupervisorctlAnswersAsWithSupervisord) {
  ASSERT_TRUE(fs::exists(kSupervisord) && fs::exists(kSupervisorctl)) << "apt-get install supervisor";
  Konnectd k("");
  write(k.dir() / "supervisord.conf", conf(programs()));
  k.use_config(k.dir() / "supervisord.conf");
  ASSERT_TRUE(k.start()) << k.daemon_log();

  TempDir sdir;
  write(sdir.path() / "supervisord.conf", conf(programs()));
  fs::create_directories(sdir.path() / "logs");  // supervisord wants its childlogdir there
  Supervisord s(sdir.path(), k.tag() + "-s");
  ASSERT_TRUE(wait_until([&] { return all_up(sdir.path()); }, 20s)) << ctl(sdir.path(), "status").out;
  ASSERT_TRUE(wait_until([&] { return all_up(k.dir()); }, 20s)) << ctl(k.dir(), "status").out;

  // The lines of a stop of several processes come in the order they stopped, under
  // supervisord: compared as a set.
  auto comparable = [](const std::string& command, const std::string& out) {
    if (command.rfind("stop ", 0) != 0) return normalized(out);
    std::vector<std::string> lines;
    std::istringstream in(normalized(out));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    std::string sorted;
    for (const auto& line : lines) sorted += line + "\n";
    return sorted;
  };
  auto same = [&](const std::string& command) {
    const CommandResult a = ctl(sdir.path(), command);
    const CommandResult b = ctl(k.dir(), command);
    EXPECT_EQ(comparable(command, b.out), comparable(command, a.out)) << "supervisorctl " << command << "\nkonnectd: " << b.out << b.err
                                                    << "\nsupervisord: " << a.out << a.err;
    EXPECT_EQ(b.exit_code, a.exit_code) << "supervisorctl " << command;
    return b;
  };
  for (const char* command :
       {"status", "status web", "status worker:*", "status nosuch", "stop web", "stop web", "status web", "start web",
        "start web", "restart web", "stop worker:*", "status", "start worker:worker_01", "start worker:*",
        "start nosuch", "start manual", "stop manual", "pid web", "pid nosuch", "signal CONT web",
        "signal CONT worker:*", "signal BOGUS web", "signal CONT manual", "tail web", "tail -5 web", "clear web",
        "tail web", "tail web stderr", "avail", "reread", "update", "stop all", "status", "start all", "status"}) {
    same(command);
  }
  EXPECT_NE(normalized(ctl(k.dir(), "pid").out), "") << "konnectd's pid";

  // reread and update after an edit: a program added, one removed.
  const std::string edited = conf(programs() + "[program:extra]\ncommand=" + kTestChild + "\nstartsecs=0\n\n");
  write(sdir.path() / "supervisord.conf", edited);
  write(k.dir() / "supervisord.conf", edited);
  for (const char* command : {"reread", "avail", "update", "status extra", "update", "remove extra", "status",
                              "add extra", "status extra"}) {
    same(command);
  }
  // shutdown: both say so, and both are gone.
  same("shutdown");
  EXPECT_TRUE(s.wait_gone());
  EXPECT_EQ(k.wait_exit(30s), 0);
}

// supervisorctl on the control socket is judged by the peer's credentials, as konnectctl is:
// an outsider gets nothing, socket_readonly_group may look, socket_group may act.
TEST(XmlRpc, PeerCredentialsDecideAsForKonnectctl) {
  TestUser user("konnect-test-user");
  TestGroup rw("konnect-test-rw");
  TestGroup ro("konnect-test-ro");
  ASSERT_TRUE(user.ok() && rw.ok() && ro.ok()) << "could not create the test user and groups";
  Konnectd d("[program.web]\n" + testchild_command({}) + "\nstartsecs = 0\n",
             "socket_group = \"" + rw.name() + "\"\nsocket_readonly_group = \"" + ro.name() + "\"\n");
  ASSERT_EQ(::chmod(d.dir().c_str(), 0755), 0);
  ASSERT_TRUE(d.start()) << d.daemon_log();
  auto as = [&](std::vector<gid_t> groups, const std::string& command) {
    std::vector<std::string> argv = {kSupervisorctl, "-s", "unix://" + d.socket().string()};
    std::istringstream words(command);
    for (std::string w; words >> w;) argv.push_back(w);
    return run_command(user.as(groups, argv));
  };
  auto r = as({}, "status");
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("RUNNING"), std::string::npos) << r.out;
  r = as({ro.gid()}, "status");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("RUNNING"), std::string::npos) << r.out;
  r = as({ro.gid()}, "stop web");
  EXPECT_NE((r.out + r.err).find("PERMISSION_DENIED"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  r = as({rw.gid()}, "stop web");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "STOPPED");
}
