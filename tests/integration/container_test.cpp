// SPEC.md "Containers": konnectd as PID 1 of a pid namespace (`unshare --pid --fork
// --mount-proc`, as a container's init): it reaps whatever is left to it, SIGTERM stops
// everything within stopwaitsecs, shutdown_on_exit ends it with the program's exit code.
// Console output (whole "NAME | " lines) is in console_output_test.cpp.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

using namespace konnect::test;

namespace {

// Every child of pid that is a zombie.
std::vector<pid_t> zombie_children(pid_t pid) {
  std::vector<pid_t> out;
  for (pid_t c : child_pids(pid)) {
    if (process_state(c) == 'Z') out.push_back(c);
  }
  return out;
}

std::string sh_program(const std::string& name, const std::string& script, const std::string& extra = "") {
  return "[program." + name + "]\ncommand = [\"/bin/sh\", \"-c\", " + toml_str(script) + "]\n" + extra + "\n";
}

// konnectd's exit code when `programs` run in it as PID 1 until it ends by itself.
int exit_code_as_pid1(const std::string& programs) {
  Konnectd d(programs);
  d.in_pid_namespace();
  d.start();  // may see it exit before READY=1 (a FATAL at once): wait_exit has the code
  return d.wait_exit(30s);
}

}  // namespace

// A program double-forks 1000 times; each orphan comes back to konnectd (PID 1), which
// reaps it: no zombie is left, and konnectd's only child is the program again.
TEST(PidOne, ReapsEveryDoubleForkedOrphan) {
  Konnectd d("");
  d.write_programs(sh_program("forker",
                              "i=0; while [ $i -lt 1000 ]; do ( sleep 0.0$((i % 3)) & ); i=$((i+1)); done; "
                              "touch forked; exec sleep 1000",
                              "startsecs = 0\ndirectory = " + toml_str(d.dir().string())));
  d.in_pid_namespace();
  ASSERT_TRUE(d.start());
  const pid_t konnectd = d.daemon_pid();
  ASSERT_GT(konnectd, 0);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(d.dir() / "forked"); }, 60s));
  EXPECT_TRUE(wait_until([&] { return zombie_children(konnectd).empty() && child_pids(konnectd).size() == 1; }, 30s))
      << child_pids(konnectd).size() << " children, " << zombie_children(konnectd).size() << " zombies";
  EXPECT_EQ(d.state_of("forker"), "RUNNING");
  EXPECT_EQ(d.daemon_log().find("Killed pid"), std::string::npos);  // its instance lives: none is killed
}

// A process that never was konnectd's descendant (a `docker exec` shell's background job)
// is left to PID 1 when its parent goes: konnectd reaps it too.
TEST(PidOne, ReapsAStrangerLeftToIt) {
  Konnectd d(sh_program("idle", "exec sleep 1000", "startsecs = 0"));
  d.in_pid_namespace();
  ASSERT_TRUE(d.start());
  const pid_t konnectd = d.daemon_pid();
  ASSERT_GT(konnectd, 0);
  const auto before = child_pids(konnectd);
  ASSERT_EQ(before.size(), 1u);
  // nsenter's child joins the namespace; its background sleep outlives it.
  auto r = run_command({"/usr/bin/nsenter", "-t", std::to_string(konnectd), "-p", "--", "/bin/sh", "-c",
                        "sleep 1 >/dev/null 2>&1 & echo $!"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The orphan is konnectd's child now, then it exits and is reaped.
  EXPECT_TRUE(wait_until([&] { return child_pids(konnectd).size() == 2; }, 5s));
  EXPECT_TRUE(wait_until([&] { return child_pids(konnectd) == before; }, 10s));
  EXPECT_TRUE(zombie_children(konnectd).empty());
}

// SIGTERM to PID 1 stops every program, the one that ignores SIGTERM after its stopwaitsecs,
// kills what else is left in the namespace, and exits 0 with nothing left behind.
TEST(PidOne, SigtermStopsEverythingWithinStopwaitsecs) {
  Konnectd d("[program.plain]\n" + testchild_command({}) + "\nstartsecs = 0\n" +
             "[program.stubborn]\n" + testchild_command({"--ignore-term"}) + "\nstartsecs = 0\nstopwaitsecs = \"2s\"\n");
  d.in_pid_namespace();
  ASSERT_TRUE(d.start());
  const pid_t konnectd = d.daemon_pid();
  ASSERT_GT(konnectd, 0);
  auto r = run_command({"/usr/bin/nsenter", "-t", std::to_string(konnectd), "-p", "--", "/bin/sh", "-c",
                        "sleep 1000 >/dev/null 2>&1 & echo $!"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(wait_until([&] { return child_pids(konnectd).size() == 3; }, 5s));
  const auto children = child_pids(konnectd);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(d.stop_with(SIGTERM, 20s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s + 3s);  // stopwaitsecs, and a margin
  for (pid_t p : children) EXPECT_FALSE(pid_alive(p)) << p;
  EXPECT_TRUE(processes_tagged(d.tag()).empty());
  EXPECT_NE(d.daemon_log().find("killing the processes left in the container"), std::string::npos);
}

// SIGINT and SIGHUP do what they do for any konnectd: stop all, reload.
TEST(PidOne, SighupReloadsAndSigintStops) {
  Konnectd d(sh_program("a", "exec sleep 1000", "startsecs = 0"));
  d.in_pid_namespace();
  ASSERT_TRUE(d.start());
  d.write_programs(sh_program("a", "exec sleep 1000", "startsecs = 0") + sh_program("b", "exec sleep 1000", "startsecs = 0"));
  ASSERT_EQ(::kill(d.daemon_pid(), SIGHUP), 0);
  EXPECT_TRUE(d.wait_state("b", "RUNNING"));
  EXPECT_EQ(d.stop_with(SIGINT), 0);
}

// shutdown_on_exit: the program's own exit code, 128+N for signal N, 1 for FATAL.
TEST(PidOne, ExitsWithTheCodeOfAProgramThatEnded) {
  const std::string flags = "autorestart = false\nstartsecs = 0\nshutdown_on_exit = true\n";
  const std::string other = sh_program("other", "exec sleep 1000", "startsecs = 0");
  EXPECT_EQ(exit_code_as_pid1(sh_program("job", "sleep 0.3; exit 7", flags) + other), 7);
  EXPECT_EQ(exit_code_as_pid1(sh_program("job", "sleep 0.3; kill -TERM $$", flags) + other), 128 + SIGTERM);
  EXPECT_EQ(exit_code_as_pid1("[program.job]\ncommand = [\"/nonexistent/job\"]\nstartretries = 0\n"
                              "shutdown_on_exit = true\n" + other),
            1);
}

// A restart due is not an end: a crash restarts; only the exit after that ends konnectd.
// Outside a namespace too: shutdown_on_exit is not only for PID 1.
TEST(PidOne, ARestartIsNotAnEnd) {
  Konnectd d("");
  d.write_programs(sh_program("job", "if [ -e once ]; then sleep 0.3; exit 0; fi; touch once; sleep 0.3; exit 3",
                              "startsecs = 0\nautorestart = \"unexpected\"\nshutdown_on_exit = true\n"
                              "directory = " + toml_str(d.dir().string())));
  d.start();
  EXPECT_EQ(d.wait_exit(30s), 0);  // exit 3 restarted it; its exit 0 is expected: no restart due
  EXPECT_NE(d.daemon_log().find("job is EXITED (exit status 0) and has shutdown_on_exit"), std::string::npos)
      << d.daemon_log();
  EXPECT_TRUE(std::filesystem::exists(d.dir() / "once"));
}

// As PID 1 with no log_file or pid_file, konnectd logs to stderr and writes no pid file.
TEST(PidOne, ContainerDefaults) {
  Konnectd d("");
  const auto config = d.dir() / "container.toml";
  {
    std::ofstream out(config);
    out << "[konnectd]\nsocket = \"konnectd.sock\"\n"
        << sh_program("a", "echo hello; exec sleep 1000", "startsecs = 0\nstdout_log = \"console\"\nstderr_log = \"console\"");
  }
  d.use_config(config);
  const auto err_path = d.dir() / "stderr.txt";
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(err, 0);
  d.stderr_to(err);
  const int out = ::open((d.dir() / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(out, 0);
  d.stdout_to(out);
  d.in_pid_namespace();
  ASSERT_TRUE(d.start());
  ::close(err);
  ::close(out);
  EXPECT_EQ(d.ctl({"status"}).exit_code, 0);
  // The defaults survive an upgrade in place (the handed-over config says pid_file = "").
  ASSERT_TRUE(wait_until([&] { return read_file(d.dir() / "stdout.txt") == "a | hello\n"; }));
  const pid_t a = d.pid_of("a");
  const auto r = d.ctl({"reexec"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(d.pid_of("a"), a);
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  const std::string log = read_file(err_path);
  EXPECT_NE(log.find("started with pid 1,"), std::string::npos) << log;
  EXPECT_NE(log.find("konnectd is PID 1"), std::string::npos) << log;
  EXPECT_NE(log.find("konnectd exits with 0"), std::string::npos) << log;
  EXPECT_NE(log.find("took over from konnectd"), std::string::npos) << log;
  EXPECT_EQ(read_file(d.dir() / "stdout.txt"), "a | hello\n");
  EXPECT_FALSE(std::filesystem::exists(d.dir() / "konnectd.pid"));
}

// The example a Dockerfile starts from loads.
TEST(PidOne, TheContainerExampleLoads) {
  auto r = run_command({kKonnectd, "--check", "-c", std::string(KONNECT_SOURCE_DIR) + "/examples/container/konnectd.toml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}
