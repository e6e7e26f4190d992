// Program logs: capture through pipes, exact rotation, restarts, timestamps, reopen, tail,
// clear, write errors. Every assertion is about the bytes a user finds on disk.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <cstdio>
#include <regex>

using namespace konnect::test;

namespace {

// "line 000000\n" .. for n lines: what --lines N writes.
std::string expected_lines(long from, long to) {
  std::string out;
  char buf[32];
  for (long k = from; k < to; ++k) {
    std::snprintf(buf, sizeof buf, "line %06ld\n", k);
    out += buf;
  }
  return out;
}

// FILE.N .. FILE.1 then FILE: everything written, oldest first.
std::string concat_rotated(const std::filesystem::path& file, int backups) {
  std::string all;
  for (int i = backups; i >= 1; --i) all += read_file(file.string() + "." + std::to_string(i));
  return all + read_file(file);
}

std::uintmax_t total_size(const std::filesystem::path& file, int backups) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (int i = backups; i >= 1; --i) {
    const auto s = std::filesystem::file_size(file.string() + "." + std::to_string(i), ec);
    if (!ec) total += s;
  }
  const auto s = std::filesystem::file_size(file, ec);
  return total + (ec ? 0 : s);
}

}  // namespace

// 2 MB through 10 KB files: the concatenation is byte-exact and no file exceeds maxbytes.
TEST(Logs, RotationIsByteExactAndNeverExceedsMaxbytes) {
  const long n = 170000;  // 12 bytes a line: ~2 MB
  Konnectd d("[program.big]\n" + testchild_command({"--lines", std::to_string(n), "--exit", "0"}) +
             "startsecs = 0\nautorestart = false\nstdout_log_maxbytes = \"10KB\"\nstdout_log_backups = 250\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "big.out.log";
  const std::string expected = expected_lines(0, n);
  ASSERT_TRUE(wait_until([&] { return total_size(log, 250) >= expected.size(); }, 30s)) << total_size(log, 250);
  EXPECT_EQ(concat_rotated(log, 250), expected);
  const std::size_t full = expected.size() / 10240;  // 199 full files, the rest in FILE
  for (std::size_t i = 1; i <= full; ++i) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(log.string() + "." + std::to_string(i), ec);
    ASSERT_FALSE(ec) << i;
    EXPECT_EQ(size, 10240u) << "backup " << i;  // every full file is exactly maxbytes
  }
  EXPECT_FALSE(std::filesystem::exists(log.string() + "." + std::to_string(full + 1)));
  EXPECT_EQ(std::filesystem::file_size(log), expected.size() % 10240);
}

// Backups beyond _backups are dropped, oldest first.
TEST(Logs, OldestBackupIsDropped) {
  Konnectd d("[program.big]\n" + testchild_command({"--lines", "10000", "--exit", "0"}) +
             "startsecs = 0\nautorestart = false\nstdout_log_maxbytes = \"10KB\"\nstdout_log_backups = 2\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "big.out.log";
  const std::string expected = expected_lines(0, 10000);
  // The newest 2 full files plus the current one hold the end of the output.
  ASSERT_TRUE(wait_until([&] { return d.state_of("big") == "EXITED"; }));
  ASSERT_TRUE(wait_until([&] {
    const std::string tail = concat_rotated(log, 2);
    return tail.size() >= 20480 && expected.compare(expected.size() - tail.size(), tail.size(), tail) == 0;
  }, 10s));
  EXPECT_FALSE(std::filesystem::exists(log.string() + ".3"));
}

// Output written before and after a restart lands in order in the same file.
TEST(Logs, OutputAroundARestartIsKeptInOrder) {
  Konnectd d("[program.talk]\n" + testchild_command({"--print", "hello"}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "talk.out.log";
  ASSERT_TRUE(wait_until([&] { return read_file(log) == "hello\n"; }));
  ASSERT_EQ(d.ctl({"restart", "talk"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "hello\nhello\n"; })) << read_file(log);
}

// redirect_stderr keeps the order the program wrote in.
TEST(Logs, RedirectStderrKeepsOrder) {
  Konnectd d("[program.talk]\n" + testchild_command({"--print", "a", "--stderr", "b", "--print", "c"}) +
             "startsecs = 0\nredirect_stderr = true\n");
  ASSERT_TRUE(d.start());
  EXPECT_TRUE(wait_until([&] { return read_file(d.log_dir() / "talk.out.log") == "a\nb\nc\n"; }));
}

// log_timestamps prefixes each line once, also a line written in two pieces.
TEST(Logs, TimestampsPrefixEveryLineOnceEvenWhenSplit) {
  Konnectd d("[program.stamp]\n" +
             testchild_command({"--raw", "abc", "--sleep", "150", "--raw", "def\\nsecond\\n"}) +
             "startsecs = 0\nlog_timestamps = true\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "stamp.out.log";
  ASSERT_TRUE(wait_until([&] { return read_file(log).find("second\n") != std::string::npos; }));
  const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z abcdef\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z second\n)");
  EXPECT_TRUE(std::regex_match(read_file(log), re)) << read_file(log);
}

// logrotate-style rename, then logreopen (and SIGUSR2): new output goes to a new file.
TEST(Logs, ReopenAfterRenameStartsANewFile) {
  Konnectd d("[program.talk]\n" + testchild_command({"--on-usr1", "ping", "--print", "ready"}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "talk.out.log";
  ASSERT_TRUE(wait_until([&] { return read_file(log) == "ready\n"; }));
  std::filesystem::rename(log, log.string() + ".old");
  auto r = d.ctl({"logreopen"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(d.ctl({"signal", "USR1", "talk"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "ping\n"; })) << read_file(log);
  EXPECT_EQ(read_file(log.string() + ".old"), "ready\n");
  // The same through SIGUSR2 to the daemon.
  std::filesystem::rename(log, log.string() + ".old2");
  ASSERT_EQ(::kill(d.pid(), SIGUSR2), 0);
  EXPECT_TRUE(wait_until([&] { return std::filesystem::exists(log); }));
  ASSERT_EQ(d.ctl({"signal", "USR1", "talk"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "ping\n"; })) << read_file(log);
}

// tail -n prints the last lines, reaching into FILE.1 when FILE has fewer; stderr too.
TEST(Logs, TailPrintsTheLastLines) {
  Konnectd d("[program.talk]\n" + testchild_command({"--lines", "2000", "--stderr", "oops"}) +
             "startsecs = 0\nstdout_log_maxbytes = \"12000\"\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "talk.out.log";
  ASSERT_TRUE(wait_until([&] { return total_size(log, 10) >= 24000; }));
  auto r = d.ctl({"tail", "-n", "3", "talk"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected_lines(1997, 2000));
  // 24000 bytes = exactly two files: the current one is empty, all 10 lines come from .1
  r = d.ctl({"tail", "talk"});
  EXPECT_EQ(r.out, expected_lines(1990, 2000));
  r = d.ctl({"tail", "talk", "stderr"});
  EXPECT_EQ(r.out, "oops\n");
  EXPECT_EQ(d.ctl({"tail", "nosuch"}).exit_code, 1);
  EXPECT_EQ(d.ctl({"tail", "talk", "sideways"}).exit_code, 2);
}

// clear empties the current log; later output starts at its beginning.
TEST(Logs, ClearEmptiesTheLog) {
  Konnectd d("[program.talk]\n" + testchild_command({"--on-usr1", "after", "--print", "before"}) +
             "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "talk.out.log";
  ASSERT_TRUE(wait_until([&] { return read_file(log) == "before\n"; }));
  auto r = d.ctl({"clear", "talk"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "talk: cleared\n");
  EXPECT_EQ(read_file(log), "");
  ASSERT_EQ(d.ctl({"signal", "USR1", "talk"}).exit_code, 0);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "after\n"; })) << read_file(log);
}

// maintail prints the end of konnectd's own log.
TEST(Logs, MaintailPrintsTheDaemonLog) {
  Konnectd d("[program.talk]\n" + testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  std::string out;
  EXPECT_TRUE(wait_until([&] {
    out = d.ctl({"maintail", "-n", "50"}).out;
    return out.find("talk: STARTING -> RUNNING") != std::string::npos;
  })) << out;
}

namespace {

// A 64 KB tmpfs (root only) for a program's log, and the program, whose 240 KB of stdout does
// not fit there until grow().
struct SmallDisk {
  static constexpr long kLines = 20000;
  TempDir dir;
  bool mounted = ::geteuid() == 0 && ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=64k") == 0;
  ~SmallDisk() {
    if (mounted) ::umount2(dir.path().c_str(), MNT_DETACH);
  }
  std::filesystem::path log() const { return dir.path() / "big.log"; }
  std::string config() const {
    return "[program.big]\n" + testchild_command({"--lines", std::to_string(kLines)}) + "startsecs = 0\n" +
           "stdout_log = " + toml_str(log().string()) + "\nstdout_log_maxbytes = 0\n";
  }
  bool grow() { return ::mount("tmpfs", dir.path().c_str(), "tmpfs", MS_REMOUNT, "size=1m") == 0; }
};

}  // namespace

// A full filesystem: the error shows in status and the daemon log, nothing is lost, and
// writing resumes once there is room.
TEST(Logs, FullDiskIsReportedAndNothingIsLost) {
  SmallDisk disk;
  if (!disk.mounted) GTEST_SKIP() << "needs root to mount a small tmpfs";
  Konnectd d(disk.config());
  ASSERT_TRUE(d.start());
  std::string status;
  EXPECT_TRUE(wait_until([&] {
    status = d.ctl({"status", "big"}).out;
    return status.find("No space left on device") != std::string::npos;
  })) << status;
  EXPECT_NE(status.find("RUNNING"), std::string::npos) << status;
  EXPECT_EQ(d.ctl({"status"}).exit_code, 0);  // the daemon answers as usual
  ASSERT_TRUE(disk.grow());
  const std::string all = expected_lines(0, SmallDisk::kLines);
  EXPECT_TRUE(wait_until([&] { return read_file(disk.log()).size() >= all.size(); }, 10s));
  EXPECT_EQ(read_file(disk.log()), all);
  EXPECT_TRUE(wait_until([&] { return d.ctl({"status", "big"}).out.find("[log:") == std::string::npos; }));
  EXPECT_NE(d.daemon_log().find("No space left on device"), std::string::npos);
}

// tail -f while the disk is full: what waits to be written (in the pipe, or taken back into
// konnectd after a failed write) reaches the follower once, in order, as it reaches the file.
TEST(Logs, ATailFollowerOfAFullDiskGetsWhatWasWaiting) {
  SmallDisk disk;
  if (!disk.mounted) GTEST_SKIP() << "needs root to mount a small tmpfs";
  Konnectd d(disk.config());
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(wait_until([&] { return d.ctl({"status", "big"}).out.find("No space left on device") != std::string::npos; }));
  RawClient c(d.socket());
  c.send(R"({"id":1,"cmd":"tail","args":{"name":"big","follow":true}})" "\n");
  ASSERT_EQ(c.answer()["result"]["more"], true);
  const auto attached_at = read_file(disk.log()).size();  // nothing lands while the disk is full
  ASSERT_TRUE(disk.grow());
  const std::string all = expected_lines(0, SmallDisk::kLines);
  std::string streamed;
  EXPECT_TRUE(wait_until([&] {
    auto a = c.answer(100ms);
    if (a.is_object()) streamed += a["result"].value("data", "");
    return attached_at + streamed.size() >= all.size();
  }, 15s)) << streamed.size();
  EXPECT_EQ(read_file(disk.log()), all);
  EXPECT_TRUE(streamed == all.substr(attached_at)) << streamed.size() << " bytes streamed from " << attached_at;
}

// tail -f on the wire: the last lines first, then every new chunk as it is written, across
// rotations, until the client goes.
TEST(Logs, TailFollowStreamsNewOutputAcrossRotation) {
  Konnectd d("[program.talk]\n" + testchild_command({"--on-usr1", "ping-ping-ping", "--print", "ready"}) +
             "startsecs = 0\nstdout_log_maxbytes = 20\n");
  ASSERT_TRUE(d.start());
  const auto log = d.log_dir() / "talk.out.log";
  ASSERT_TRUE(wait_until([&] { return read_file(log) == "ready\n"; }));
  RawClient c(d.socket());
  c.send(R"({"id":5,"cmd":"tail","args":{"name":"talk","follow":true}})" "\n");
  auto a = c.answer();
  EXPECT_EQ(a["id"], 5);
  EXPECT_EQ(a["result"]["data"], "ready\n");
  EXPECT_EQ(a["result"]["more"], true);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(d.ctl({"signal", "USR1", "talk"}).exit_code, 0);
    a = c.answer();
    EXPECT_EQ(a["result"]["data"], "ping-ping-ping\n") << a.dump();
  }
  // It did rotate meanwhile. A follower gets the bytes as the pump reads them, which may be
  // a moment before the output thread has rotated the file for them: wait for it.
  EXPECT_TRUE(wait_until([&] { return std::filesystem::exists(log.string() + ".2"); }, 5s));
}

// konnectctl tail -f prints as output arrives (it runs until killed).
TEST(Logs, CtlTailFollowPrintsNewOutput) {
  Konnectd d("[program.talk]\n" + testchild_command({"--on-usr1", "ping", "--print", "ready"}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  ASSERT_TRUE(wait_until([&] { return read_file(d.log_dir() / "talk.out.log") == "ready\n"; }));
  // The client runs for 3 s, then the harness kills it and returns what it printed.
  RunningCtl follow(d, {"tail", "-f", "talk"}, 3s);
  ASSERT_TRUE(wait_until([&] { return d.daemon_log().find("A client follows talk") != std::string::npos; }));
  ASSERT_EQ(d.ctl({"signal", "USR1", "talk"}).exit_code, 0);
  EXPECT_EQ(follow.wait().out, "ready\nping\n");
}

// maintail -f streams konnectd's own log.
TEST(Logs, MaintailFollowStreamsTheDaemonLog) {
  Konnectd d("[program.talk]\n" + testchild_command({}) + "startsecs = 0\n");
  ASSERT_TRUE(d.start());
  RawClient c(d.socket());
  c.send(R"({"id":1,"cmd":"maintail","args":{"lines":1,"follow":true}})" "\n");
  EXPECT_EQ(c.answer()["result"]["more"], true);
  ASSERT_EQ(d.ctl({"stop", "talk"}).exit_code, 0);
  std::string seen;
  EXPECT_TRUE(wait_until([&] {
    auto a = c.answer(1s);
    if (a.is_object()) seen += a["result"].value("data", "");
    return seen.find("talk: RUNNING -> STOPPING") != std::string::npos;
  }, 10s)) << seen;
}
