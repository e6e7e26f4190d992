// konnectctl reexec against the real konnectd (SPEC.md "Upgrade in place"): the daemon
// replaces its own image with the binary at the path it was started from and keeps every
// program: same pids and states, no output line lost, doubled or cut, backoff counts, held
// sockets listening throughout. A binary that cannot run or cannot read the state is refused
// before anything changes, and the old daemon goes on answering.

#include "tests/integration/harness.hpp"
#include "tests/integration/net_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

using namespace konnect::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::map<std::string, pid_t> pids(Konnectd& d) {
  std::map<std::string, pid_t> out;
  const auto r = d.ctl({"--json", "status"});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return out;
  for (const auto& p : j["result"]["processes"]) {
    out[p["name"].get<std::string>()] = p["pid"].get<pid_t>();
  }
  return out;
}

// The log of a `testchild --lines-for MS`: "line 000000" ... "line N-1" in order, each
// once and whole, then "done N"; "" when so, else what is wrong. nullopt while not done.
std::optional<std::string> check_lines(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  long next = 0;
  while (std::getline(in, line)) {
    if (line.rfind("done ", 0) == 0) {
      if (std::stol(line.substr(5)) != next) return log.filename().string() + ": " + line + " after " + std::to_string(next) + " lines";
      if (std::getline(in, line)) return log.filename().string() + ": '" + line + "' after the end";
      return "";
    }
    char want[32];
    std::snprintf(want, sizeof want, "line %06ld", next);
    if (line != want) {
      if (in.eof()) return std::nullopt;  // the last line is still being written
      return log.filename().string() + ": line " + std::to_string(next) + " is '" + line + "'";
    }
    ++next;
  }
  return std::nullopt;
}

std::uintmax_t total_size(const fs::path& dir) {
  std::uintmax_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? e.file_size() : 0;
  return n;
}

// A copy of konnectd at a path the test may replace, as an upgrade replaces the package's.
fs::path copy_of_konnectd(const fs::path& dir) {
  const fs::path binary = dir / "konnectd";
  fs::copy_file(kKonnectd, binary, fs::copy_options::overwrite_existing);
  return binary;
}

// What apt does: the new file is written beside, then renamed over the old one.
void replace_file(const fs::path& path, const std::string& content, fs::perms perms) {
  const fs::path next = path.string() + ".new";
  { std::ofstream(next, std::ios::binary) << content; }
  fs::permissions(next, perms);
  fs::rename(next, path);
}

// konnectd started from a copy at a path the test may replace (an upgrade replaces the
// package's file), running one idle program.
struct Upgradable {
  Upgradable() : binary(copy_of_konnectd(scratch.path())), d("[program.idle]\n" + testchild_command({}) + "startsecs = 0\n") {
    d.use_binary(binary);
    started = d.start();
    idle = d.pid_of("idle");
  }
  TempDir scratch;
  fs::path binary;
  Konnectd d;
  bool started = false;
  pid_t idle = 0;
};

}  // namespace

// The issue's bar: 20 programs writing numbered lines at full speed, 5 reexecs while they
// write; afterwards the same pids and states, and every line in the logs exactly once.
TEST(Reexec, TwentyWritersFiveReexecsNothingLostNothingChanged) {
  std::string programs;
  for (int i = 0; i < 20; ++i) {
    // No rotation: each log holds every line, for the check.
    programs += "[program.w" + std::to_string(i) + "]\n" + testchild_command({"--lines-for", "600"}) +
                "startsecs = 0\nstdout_log_maxbytes = 0\n";
  }
  programs += "[program.idle]\n" + testchild_command({}) + "startsecs = 0\n";
  Konnectd d(programs);
  ASSERT_TRUE(d.start(30s)) << d.daemon_log();
  const auto before = pids(d);
  ASSERT_EQ(before.size(), 21u);
  const std::string idle_before = d.ctl({"status", "idle"}).out;
  const auto all_done = [&] {  // every log ends in its "done N" line (read from the end only)
    for (int i = 0; i < 20; ++i) {
      std::ifstream in(d.log_dir() / ("w" + std::to_string(i) + ".out.log"), std::ios::ate);
      if (!in || in.tellg() < 32) return false;
      in.seekg(-32, std::ios::end);
      std::string tail(32, '\0');
      in.read(tail.data(), 32);
      if (tail.find("\ndone ") == std::string::npos) return false;
    }
    return true;
  };
  for (int i = 0; i < 5; ++i) {
    // Each one while the programs write (their output grew since the last one), as long as
    // they do: on a slow build (ASan) some, even all, may come after they are done.
    const auto written = total_size(d.log_dir());
    ASSERT_TRUE(wait_until([&] { return total_size(d.log_dir()) > written + (1u << 20) || all_done(); }, 30s));
    const auto r = d.ctl({"reexec"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.daemon_log();
    EXPECT_NE(r.out.find("took over"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" ms without serving)"), std::string::npos) << r.out;
  }
  EXPECT_EQ(pids(d), before) << "every program kept its pid";
  EXPECT_TRUE(pid_alive(d.pid())) << "konnectd kept its pid (the harness's child)";
  EXPECT_EQ(d.state_of("idle"), "RUNNING");
  ASSERT_TRUE(wait_until(all_done, 30s));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(check_lines(d.log_dir() / ("w" + std::to_string(i) + ".out.log")).value_or("not done"), "");
  }
  // The same instance: status shows what it showed (pid, and the uptime counted from the
  // same start).
  EXPECT_EQ(d.ctl({"status", "idle"}).out.substr(0, 45), idle_before.substr(0, 45));
  EXPECT_NE(d.daemon_log().find("took over from konnectd"), std::string::npos);
}

// A crash-looping program keeps its count of failed starts across the reexec: FATAL comes
// after startretries in all, not after startretries more.
TEST(Reexec, ACrashLoopKeepsItsBackoff) {
  TempDir scratch;
  const auto tries = scratch.path() / "tries";
  Konnectd d("[program.flaky]\n" + testchild_command({"--pidfile", tries.string(), "--exit", "1"}) +
             "startsecs = 1\nstartretries = 3\nautostart = false\n");
  ASSERT_TRUE(d.start());
  // `start` answers at the first failed start; the retries go on in BACKOFF. Two failed
  // starts (the first, and one retry after 1 s of backoff), then the reexec.
  EXPECT_EQ(d.ctl({"start", "flaky"}).exit_code, 1);
  ASSERT_TRUE(wait_until([&] { return read_pids(tries).size() >= 2; }, 10s));
  ASSERT_TRUE(d.wait_state("flaky", "BACKOFF")) << d.ctl({"status"}).out << d.daemon_log();
  const auto r = d.ctl({"reexec"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.daemon_log();
  ASSERT_TRUE(d.wait_state("flaky", "FATAL", 20s)) << d.ctl({"status"}).out;
  EXPECT_EQ(read_pids(tries).size(), 4u) << "the first start and 3 retries, before and after the reexec together";
}

// A held socket listens throughout: clients connecting all the time are all answered.
TEST(Reexec, AHeldSocketListensThroughout) {
  const int port = free_port();
  Konnectd d("[program.web]\n" + testchild_command({"--serve-fd", "3"}) + "startsecs = 0\nsockets = [\"tcp://127.0.0.1:" +
             std::to_string(port) + "\"]\n");
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web");
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread client([&] {
    while (!stop) {
      if (ask_tcp(port, "", 5s) == "pid " + std::to_string(web) + "\n") {
        ++answered;
      } else {
        ++failed;
      }
    }
  });
  for (int i = 0; i < 5; ++i) {
    const int seen = answered;
    ASSERT_EQ(d.ctl({"reexec"}).exit_code, 0) << d.daemon_log();
    EXPECT_TRUE(wait_until([&] { return answered > seen; }, 5s));
  }
  stop = true;
  client.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(answered, 0);
  EXPECT_EQ(d.pid_of("web"), web);
}

// The binary at the path is what is executed (an upgraded package's), and only if it can run
// and reads this state version; anything else is refused before anything changes.
TEST(Reexec, OnlyABinaryThatReadsTheStateIsExecuted) {
  Upgradable u;
  ASSERT_TRUE(u.started);
  Konnectd& d = u.d;
  const fs::path& binary = u.binary;
  const std::string real = read_file(binary);
  const pid_t idle = u.idle;
  const auto exe = [&] {
    struct stat st {};
    ::stat(("/proc/" + std::to_string(d.pid()) + "/exe").c_str(), &st);
    return st.st_ino;
  };

  // A binary that reads other versions.
  replace_file(binary, "#!/bin/sh\necho 2\n", fs::perms::owner_all);
  auto r = d.ctl({"reexec"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("cannot reexec: " + binary.string() + " --state-versions: it reads state versions '2', not 1"),
            std::string::npos)
      << r.out << r.err;
  // One that cannot be executed.
  replace_file(binary, "not a program\n", fs::perms::owner_read | fs::perms::owner_write);
  r = d.ctl({"reexec"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("cannot reexec: " + binary.string() + " --state-versions: exit status 127"),
            std::string::npos)
      << r.out << r.err;
  // The old daemon answers as before.
  EXPECT_EQ(d.pid_of("idle"), idle);
  EXPECT_EQ(d.state_of("idle"), "RUNNING");

  // The upgrade: a new file at the path, and that is what runs afterwards.
  replace_file(binary, real, fs::perms::owner_all);
  struct stat upgraded {};
  ASSERT_EQ(::stat(binary.c_str(), &upgraded), 0);
  EXPECT_NE(exe(), upgraded.st_ino);
  r = d.ctl({"reexec"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.daemon_log();
  EXPECT_EQ(exe(), upgraded.st_ino) << "konnectd now runs the new file";
  EXPECT_EQ(d.pid_of("idle"), idle);
}

// The binary is asked to take the state before the exec (BINARY --check-state, the state
// as its fd 3): one that cannot is refused, nothing changes.
TEST(Reexec, ABinaryThatCannotTakeTheStateIsRefusedBeforeTheExec) {
  Upgradable u;
  ASSERT_TRUE(u.started);
  Konnectd& d = u.d;
  const fs::path& binary = u.binary;
  const pid_t idle = u.idle;
  const auto notified = d.notifications().size();
  replace_file(binary,
               "#!/bin/sh\ncase \"$1\" in --check-state) head -c 1 <&3; echo ' is not a state I know'; exit 1;; "
               "esac\nexec " + kKonnectd + " \"$@\"\n",
               fs::perms::owner_all);
  const auto r = d.ctl({"reexec"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("cannot reexec: " + binary.string() +
                                 " --check-state 3: exit status 1 ({ is not a state I know)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(d.pid_of("idle"), idle);
  EXPECT_EQ(d.notifications().size(), notified) << "no RELOADING=1: nothing was handed over";
  EXPECT_EQ(d.ctl({"status", "idle"}).exit_code, 0);
}

// A new image that cannot take the state gives it back: the previous image (its binary held
// open, even if the file was replaced) comes back with every program, and the client hears
// why. The "new binary" here is konnectd told to refuse (a fault-injection switch).
TEST(Reexec, AnImageThatCannotTakeTheStateGivesItBack) {
  Upgradable u;
  ASSERT_TRUE(u.started);
  Konnectd& d = u.d;
  const fs::path& binary = u.binary;
  const pid_t idle = u.idle;
  replace_file(binary,
               "#!/bin/sh\nexport KONNECT_TEST_REFUSE_TAKEOVER='the state is not for me'\nexec " + kKonnectd + " \"$@\"\n",
               fs::perms::owner_all);
  const auto r = d.ctl({"reexec"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(" goes on: the state is not for me"), std::string::npos)
      << r.out << r.err << d.daemon_log();
  EXPECT_EQ(d.pid_of("idle"), idle);
  EXPECT_EQ(d.state_of("idle"), "RUNNING");
  EXPECT_TRUE(pid_alive(d.pid()));
  // And it can go on: a reexec to a binary that takes the state works afterwards.
  fs::copy_file(kKonnectd, binary, fs::copy_options::overwrite_existing);
  EXPECT_EQ(d.ctl({"reexec"}).exit_code, 0) << d.daemon_log();
  EXPECT_EQ(d.pid_of("idle"), idle);
}

// A daemon running from a supervisord INI file hands it over too (as TOML, under the same
// file name): the programs are kept, and the file on disk still reads as what runs.
TEST(Reexec, ASupervisordConfigIsHandedOverToo) {
  Konnectd d("");
  const fs::path ini = d.dir() / "supervisord.conf";
  std::ofstream(ini) << "[unix_http_server]\nfile=%(here)s/konnectd.sock\n\n"
                        "[supervisord]\nlogfile=%(here)s/konnectd.log\npidfile=%(here)s/konnectd.pid\n"
                        "childlogdir=%(here)s/logs\n\n"
                        "[program:idle]\ncommand=" + kTestChild + "\nstartsecs=0\nstopsignal=INT\n";
  d.use_config(ini);
  ASSERT_TRUE(d.start()) << d.daemon_log();
  const pid_t idle = d.pid_of("idle");
  ASSERT_GT(idle, 0) << d.ctl({"status"}).out << d.daemon_log();
  const auto r = d.ctl({"reexec"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.daemon_log();
  EXPECT_EQ(d.pid_of("idle"), idle);
  const auto reread = d.ctl({"reread"});
  EXPECT_EQ(reread.exit_code, 0) << reread.out << reread.err;
  EXPECT_NE(reread.out.find("No config updates to processes"), std::string::npos) << reread.out;
}

// Under systemd (Type=notify): RELOADING=1 before, READY=1 after, from the same pid.
TEST(Reexec, SystemdHearsReloadingThenReady) {
  Konnectd d("[program.idle]\n" + testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const std::size_t before = d.notifications().size();
  ASSERT_EQ(d.ctl({"reexec"}).exit_code, 0) << d.daemon_log();
  std::vector<std::string> after;
  ASSERT_TRUE(wait_until([&] {
    after = d.notifications();
    return after.size() >= before + 2 && after.back().find("READY=1") != std::string::npos;
  }, 5s));
  EXPECT_NE(after[before].find("RELOADING=1"), std::string::npos) << after[before];
  EXPECT_NE(after[before].find("MONOTONIC_USEC="), std::string::npos) << after[before];
}

// A reexec waits for nothing and loses nothing: asked while a restart is under way, it is
// refused (the restart's second half would be lost) and can be asked again once it is done.
TEST(Reexec, RefusedWhileACommandIsUnderWay) {
  Konnectd d("[program.slow]\n" + testchild_command({"--ignore-term"}) + "startsecs = 0\nstopwaitsecs = \"2s\"\n");
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(d.wait_state("slow", "RUNNING"));  // a restart of a program not up yet only starts it
  RunningCtl restart(d, {"restart", "slow"});
  ASSERT_TRUE(d.wait_state("slow", "STOPPING"));
  const auto r = d.ctl({"reexec"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("cannot reexec: a start, stop or restart is under way; try again once it is done"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(restart.wait().exit_code, 0);
  EXPECT_EQ(d.ctl({"reexec"}).exit_code, 0) << d.daemon_log();
}

// stdout_log = "console": a reexec while four programs write to konnectd's stdout cuts,
// doubles and reorders no line (a line half read when the image changes goes on in the
// next), and loses none that is not counted: a console that cannot keep up drops whole
// lines and says how many bytes, so what arrived plus what was counted is all.
TEST(Reexec, ConsoleLinesGoOnThroughAReexec) {
  std::string programs;
  for (int i = 0; i < 4; ++i) {
    programs += "[program.c" + std::to_string(i) + "]\n" + testchild_command({"--lines-for", "1500", "--exit", "0"}) +
                "startsecs = 0\nautorestart = false\nstdout_log = \"console\"\n";
  }
  Konnectd d(programs);
  const auto out_path = d.dir() / "stdout.txt";
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(out, 0);
  d.stdout_to(out);
  ASSERT_TRUE(d.start());
  ::close(out);
  const auto all_exited = [&] {
    for (int i = 0; i < 4; ++i) {
      if (d.state_of("c" + std::to_string(i)) != "EXITED") return false;
    }
    return true;
  };
  for (int i = 0; i < 3; ++i) {
    // While they write, as long as they do (a slow build may reach the end first).
    const auto size = fs::file_size(out_path);
    ASSERT_TRUE(wait_until([&] { return fs::file_size(out_path) > size + (1u << 20) || all_exited(); }, 30s));
    const auto r = d.ctl({"reexec"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << d.daemon_log();
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.wait_state("c" + std::to_string(i), "EXITED", 30s));
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  // Per program: "line N" in order, each once and whole, then "done N"; a gap is lines
  // dropped, their bytes (as the console shows them) counted.
  struct Seen {
    long next = 0;
    std::uint64_t missing = 0;
    bool done = false;
  };
  std::map<std::string, Seen> seen;
  std::map<std::string, std::uint64_t> reported;
  const std::regex report(R"(dropped (\d+) bytes of (c\d)'s output)");
  const auto count_reports = [&](const std::string& text) {
    for (std::sregex_iterator it(text.begin(), text.end(), report), end; it != end; ++it) {
      reported[(*it)[2]] += std::stoull((*it)[1]);
    }
  };
  std::ifstream in(out_path);
  std::string line;
  while (std::getline(in, line)) {
    const auto bar = line.find(" | ");
    ASSERT_NE(bar, std::string::npos) << line;
    const std::string name = line.substr(0, bar), rest = line.substr(bar + 3);
    if (name == "konnectd") {
      count_reports(line);
      continue;
    }
    Seen& s = seen[name];
    ASSERT_FALSE(s.done) << name << ": '" << rest << "' after its end";
    if (rest.rfind("done ", 0) == 0) {
      EXPECT_EQ(std::stol(rest.substr(5)), s.next) << name;  // it wrote this many, we saw up to there
      s.done = true;
      continue;
    }
    ASSERT_EQ(rest.rfind("line ", 0), 0u) << name << ": '" << rest << "'";
    const long n = std::stol(rest.substr(5));
    char want[32];
    std::snprintf(want, sizeof want, "line %06ld", n);
    ASSERT_EQ(rest, want) << name << ": cut or mixed";
    ASSERT_GE(n, s.next) << name << ": line " << n << " again or out of order";
    for (long k = s.next; k < n; ++k) {
      std::snprintf(want, sizeof want, "line %06ld", k);
      s.missing += name.size() + 3 + std::strlen(want) + 1;
    }
    s.next = n + 1;
  }
  count_reports(d.daemon_log());
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& [name, s] : seen) {
    EXPECT_TRUE(s.done) << name;
    EXPECT_EQ(s.missing, reported[name]) << name << ": lines missing that no report counts";
  }
  EXPECT_NE(d.daemon_log().find("took over from konnectd"), std::string::npos);
}
