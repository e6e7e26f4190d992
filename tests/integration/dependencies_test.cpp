// depends_on against the real konnectd with real child programs (SPEC.md "Readiness, health,
// order"): boot and `start` follow the graph rather than priority, a dependency that cannot be
// met fails its dependents' start naming it, `stop all` and SIGTERM take dependents down first,
// and an unknown name or a cycle is refused by --check and by reload.

#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <string>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

// Every program appends its pid to ./order (in the temp dir) when it gets to that argument.
std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra) {
  return "[program." + name + "]\n" + testchild_command(args) + "directory = \".\"\n" + extra + "\n";
}

std::vector<pid_t> order(Konnectd& d) { return read_pids(d.dir() / "order"); }

// Where `line` is in the daemon log (npos when it is not there).
std::size_t log_position(Konnectd& d, const std::string& line) { return d.daemon_log().find(line); }

// A one-shot: half a second of work, then exit 0.
const std::string kMigrate = program("migrate", {"--sleep", "500", "--pidfile", "order", "--exit", "0"},
                                     "priority = 999\nstartsecs = 0\nautorestart = false\n");

}  // namespace

// By priority web (1) and worker (2) would start before migrate (999); the graph says migrate
// must complete first, then web must run, then worker. konnectd is ready once all of it is.
TEST(Dependencies, BootFollowsTheGraphNotPriority) {
  Konnectd d(kMigrate +
             program("web", {"--pidfile", "order"}, "priority = 1\ndepends_on = { migrate = \"completed\" }\n") +
             program("worker", {"--pidfile", "order"}, "priority = 2\ndepends_on = [\"web\"]\n"));
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.state_of("migrate"), "EXITED");
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  EXPECT_EQ(d.state_of("worker"), "RUNNING");
  const auto pids = order(d);
  ASSERT_EQ(pids.size(), 3u);
  EXPECT_EQ(pids[1], d.pid_of("web"));
  EXPECT_EQ(pids[2], d.pid_of("worker"));
  EXPECT_FALSE(pid_alive(pids[0]));

  // A deploy: restarting web alone does not run the completed one-shot again; restarting both
  // does, web only once it has completed.
  auto r = d.ctl({"restart", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(order(d).size(), 4u);
  EXPECT_EQ(order(d).back(), d.pid_of("web"));
  r = d.ctl({"restart", "migrate", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "web: stopped\nweb: started\nmigrate: stopped\nmigrate: started\n");
  const auto again = order(d);
  ASSERT_EQ(again.size(), 6u);
  EXPECT_NE(again[4], d.pid_of("web")) << "the migration ran again first";
  EXPECT_EQ(again[5], d.pid_of("web"));
  EXPECT_EQ(d.state_of("migrate"), "EXITED");
}

// `start web` starts its stopped dependency first and returns once both run; a running
// dependency is left alone.
TEST(Dependencies, StartPullsInWhatIsNeeded) {
  // db is RUNNING once it says so (after its pid is in ./order); web must wait for that.
  Konnectd d(program("db", {"--pidfile", "order", "--print", "accepting connections"},
                     "autostart = false\npriority = 999\nready = { log = \"accepting\" }\n") +
             program("web", {"--pidfile", "order"}, "autostart = false\nstartsecs = 0\ndepends_on = [\"db\"]\n"));
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"start", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "web: started\n");
  EXPECT_EQ(d.state_of("db"), "RUNNING");
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  EXPECT_EQ(order(d), (std::vector<pid_t>{d.pid_of("db"), d.pid_of("web")}));
  const pid_t db = d.pid_of("db");
  r = d.ctl({"restart", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(d.pid_of("db"), db) << "a dependency that runs is not restarted";
}

// A one-shot that fails: its dependent is not started, and the command names the dependency and
// how it failed. So does a dependency that goes FATAL.
TEST(Dependencies, FailedDependencyIsNamedInTheStartError) {
  Konnectd d(program("migrate", {"--exit", "3"}, "autostart = false\nstartsecs = 0\nautorestart = false\n") +
             program("db", {"--exit", "1"}, "autostart = false\nstartsecs = 1\nstartretries = 0\n") +
             program("web", {}, "autostart = false\nstartsecs = 0\ndepends_on = { migrate = \"completed\" }\n") +
             program("api", {}, "autostart = false\nstartsecs = 0\ndepends_on = [\"db\"]\n"));
  ASSERT_TRUE(d.start());
  auto r = d.ctl({"start", "web"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("web: ERROR (failed: not started: its dependency migrate exited (exit status 3), not one "
                                 "of its exitcodes)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "STOPPED");
  r = d.ctl({"start", "api"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("not started: its dependency db is FATAL"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(d.state_of("db"), "FATAL");
  EXPECT_EQ(d.state_of("api"), "STOPPED");
  EXPECT_NE(log_position(d, "api: not started: its dependency db is FATAL"), std::string::npos) << d.daemon_log();
}

// db has the higher priority number, so by priority alone it would be stopped first; it is a
// dependency of web, so web goes down before db is even asked to stop. Same for SIGTERM.
TEST(Dependencies, StopAllAndShutdownTakeDependentsDownFirst) {
  const std::string programs = program("db", {}, "startsecs = 0\npriority = 999\n") +
                               program("web", {}, "startsecs = 0\npriority = 1\ndepends_on = [\"db\"]\n");
  {
    Konnectd d(programs);
    ASSERT_TRUE(d.start());
    const auto r = d.ctl({"stop", "all"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto web_down = log_position(d, "web: STOPPING -> STOPPED");
    const auto db_asked = log_position(d, "db: RUNNING -> STOPPING");
    ASSERT_NE(web_down, std::string::npos) << d.daemon_log();
    ASSERT_NE(db_asked, std::string::npos) << d.daemon_log();
    EXPECT_LT(web_down, db_asked) << d.daemon_log();
  }
  Konnectd d(programs);
  ASSERT_TRUE(d.start());
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  const auto web_down = log_position(d, "web: STOPPING -> STOPPED");
  const auto db_asked = log_position(d, "db: RUNNING -> STOPPING");
  ASSERT_NE(web_down, std::string::npos) << d.daemon_log();
  ASSERT_NE(db_asked, std::string::npos) << d.daemon_log();
  EXPECT_LT(web_down, db_asked) << d.daemon_log();
}

// A cycle is refused by --check with the file, the line of a depends_on in it and the whole
// cycle; a reload to an unknown name is refused and nothing moves.
TEST(Dependencies, CycleAndUnknownNameAreConfigErrors) {
  Konnectd d(program("a", {}, "startsecs = 0\ndepends_on = [\"b\"]\n") +
             program("b", {}, "startsecs = 0\ndepends_on = [\"c\"]\n") + program("c", {}, "startsecs = 0\n"));
  ASSERT_TRUE(d.start());
  const pid_t a = d.pid_of("a");
  std::string text = read_file(d.config_file());
  std::ofstream(d.config_file()) << text << "depends_on = [\"a\"]\n";  // c's table is the last one
  auto r = run_command({kKonnectd, "--check", "-c", d.config_file().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(d.config_file().string() + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dependency cycle: "), std::string::npos) << r.err;
  for (const char* arc : {"a -> b", "b -> c", "c -> a"}) EXPECT_NE(r.err.find(arc), std::string::npos) << r.err;
  r = d.ctl({"reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dependency cycle"), std::string::npos) << r.err;

  std::ofstream(d.config_file()) << text << "depends_on = [\"nosuch\"]\n";
  r = d.ctl({"reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("program.c.depends_on"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("names unknown program or group 'nosuch'"), std::string::npos) << r.err;
  EXPECT_EQ(d.pid_of("a"), a);
  EXPECT_EQ(d.state_of("c"), "RUNNING");
}
