// SPEC.md "Containers": stdout_log = "console": a program's lines on konnectd's own stdout,
// each "NAME | line", whole, never interleaved mid-line; a console that cannot keep up
// loses whole lines, counted in the daemon log, and never holds the programs up.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace konnect::test;

namespace {

// A Python writer: lines "I " + a letter repeated (I*7 % 300) times, numbered from 0, until
// `bytes` are written through a buffered stdout (8 KiB writes that cut lines anywhere),
// then "end", then it exits 0 (or waits, with `then_wait`). Returns the program's table.
std::string writer(const std::string& name, std::size_t bytes, const std::string& extra = "") {
  const std::string script =
      "import sys\n"
      "w = sys.stdout.write\n"
      "n = 0\n"
      "i = 0\n"
      "while n < " + std::to_string(bytes) + ":\n"
      "    line = '%d %s\\n' % (i, chr(97 + i % 26) * (i * 7 % 300))\n"
      "    w(line)\n"
      "    n += len(line)\n"
      "    i += 1\n"
      "w('end\\n')\n"
      "sys.stdout.flush()\n";
  return "[program." + name + "]\ncommand = [\"/usr/bin/python3\", \"-c\", " + toml_str(script) +
         "]\nstartsecs = 0\nautorestart = false\nstdout_log = \"console\"\n" + extra + "\n";
}

// Checks every line of `console` is "NAME | I payload" with I counting from 0 per NAME (or
// "NAME | end" last); returns, per NAME, how many numbered lines and whether "end" came.
// With `gaps`, a writer's numbers may jump (lines dropped whole), never go back.
struct Seen {
  std::size_t lines = 0;
  bool ended = false;
};
std::map<std::string, Seen> check_lines(const std::string& console, bool gaps, std::string& why) {
  std::map<std::string, Seen> seen;
  std::map<std::string, long> next;
  std::size_t at = 0;
  while (at < console.size()) {
    const auto nl = console.find('\n', at);
    if (nl == std::string::npos) {
      why = "the console ends in a cut line";
      return seen;
    }
    const std::string_view line(console.data() + at, nl - at);
    at = nl + 1;
    const auto bar = line.find(" | ");
    if (bar == std::string_view::npos) {
      why = "no prefix: " + std::string(line.substr(0, 80));
      return seen;
    }
    const std::string name(line.substr(0, bar));
    const std::string_view rest = line.substr(bar + 3);
    if (name == "konnectd") continue;  // a drop report at exit
    if (rest == "end") {
      seen[name].ended = true;
      continue;
    }
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) {
      why = "no number in: " + std::string(line.substr(0, 80));
      return seen;
    }
    const long i = std::stol(std::string(rest.substr(0, space)));
    const std::string expected(static_cast<std::size_t>(i * 7 % 300), static_cast<char>('a' + i % 26));
    if (rest.substr(space + 1) != expected) {
      why = name + " line " + std::to_string(i) + " is cut or mixed";
      return seen;
    }
    long& want = next[name];
    if (gaps ? i < want : i != want) {
      why = name + ": line " + std::to_string(i) + " after " + std::to_string(want - 1);
      return seen;
    }
    want = i + 1;
    ++seen[name].lines;
  }
  return seen;
}

}  // namespace

// 4 writers, 25 MB each, at once, into konnectd's stdout (a file, as PID 1): 100 MB of
// lines, each whole, prefixed with its writer's name, none missing or out of order.
TEST(ConsoleOutput, LinesAreWholeUnderConcurrentWriters) {
  constexpr std::size_t kEach = 25'000'000;
  std::string programs;
  for (int i = 0; i < 4; ++i) programs += writer("w" + std::to_string(i), kEach);
  Konnectd d(programs);
  const auto out_path = d.dir() / "stdout.txt";
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(out, 0);
  d.stdout_to(out);
  d.in_pid_namespace();
  ASSERT_TRUE(d.start());
  ::close(out);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(d.wait_state("w" + std::to_string(i), "EXITED", 120s));
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  const std::string console = read_file(out_path);
  EXPECT_GE(console.size(), 4 * kEach);
  std::string why;
  const auto seen = check_lines(console, false, why);
  EXPECT_EQ(why, "");
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& [name, s] : seen) {
    EXPECT_TRUE(s.ended) << name;
    EXPECT_GT(s.lines, 100'000u) << name;
  }
  EXPECT_EQ(d.daemon_log().find("dropped"), std::string::npos);
}

// stderr_log = "console" goes to konnectd's stderr; redirect_stderr to stdout's.
TEST(ConsoleOutput, StderrGoesToStderr) {
  Konnectd d("[program.both]\n" + testchild_command({"--print", "to out", "--stderr", "to err"}) +
             "\nstartsecs = 0\nstdout_log = \"console\"\nstderr_log = \"console\"\n"
             "[program.merged]\n" + testchild_command({"--stderr", "merged err"}) +
             "\nstartsecs = 0\nstdout_log = \"console\"\nredirect_stderr = true\n");
  const auto out_path = d.dir() / "stdout.txt", err_path = d.dir() / "stderr.txt";
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  d.stdout_to(out);
  d.stderr_to(err);
  ASSERT_TRUE(d.start());
  ::close(out);
  ::close(err);
  // Written once the programs ran that far (RUNNING is as soon as they are spawned).
  EXPECT_TRUE(wait_until([&] {
    const std::string o = read_file(out_path);
    return o.find("both | to out\n") != std::string::npos && o.find("merged | merged err\n") != std::string::npos &&
           read_file(err_path).find("both | to err\n") != std::string::npos;
  }));
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  const std::string o = read_file(out_path), e = read_file(err_path);
  EXPECT_NE(o.find("both | to out\n"), std::string::npos) << o;
  EXPECT_NE(o.find("merged | merged err\n"), std::string::npos) << o;
  EXPECT_EQ(e, "both | to err\n");
}

// Nobody reads the console for a while: the program is not held up (it writes 20 MB and
// says so), the console loses whole lines, and the daemon log counts them. What arrives
// plus what was counted is everything the program wrote.
TEST(ConsoleOutput, ASlowConsoleDropsWholeLinesAndCountsThem) {
  constexpr std::size_t kBytes = 20'000'000;
  Konnectd d(writer("slow", kBytes));
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  d.stdout_to(fds[1]);
  ASSERT_TRUE(d.start());
  ::close(fds[1]);
  // Not one byte read yet: it still ends.
  EXPECT_TRUE(d.wait_state("slow", "EXITED", 60s));
  std::string console;
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) console.append(buf, static_cast<std::size_t>(n));
  });
  // Once the console moves again the drops are reported (at most once a second).
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("dropped") != std::string::npos; }, 10s));
  EXPECT_EQ(d.stop_with(SIGTERM), 0);
  reader.join();
  ::close(fds[0]);
  std::string why;
  const auto seen = check_lines(console, true, why);
  EXPECT_EQ(why, "");
  std::uint64_t dropped = 0;
  const std::regex report(R"(dropped (\d+) bytes of slow's output)");
  const std::string log = d.daemon_log() + console;
  for (std::sregex_iterator it(log.begin(), log.end(), report), end; it != end; ++it) {
    dropped += std::stoull((*it)[1]);
  }
  EXPECT_GT(dropped, 0u);
  // What the program wrote, as the console would have shown it.
  std::uint64_t total = 0;
  std::size_t n = 0;
  for (long i = 0; n < kBytes; ++i) {
    const std::size_t len = std::to_string(i).size() + 1 + static_cast<std::size_t>(i * 7 % 300) + 1;
    n += len;
    total += len + 7;  // "slow | "
  }
  total += 7 + 4;  // "slow | end\n"
  std::size_t arrived = 0;
  for (std::size_t at = 0; (at = console.find("slow | ", at)) != std::string::npos;) {
    const auto nl = console.find('\n', at);
    arrived += nl - at + 1;
    at = nl + 1;
  }
  EXPECT_EQ(arrived + dropped, total);
}
