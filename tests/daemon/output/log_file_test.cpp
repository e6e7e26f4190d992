// LogFile: supervisord's size rotation, byte-exact (no file ever past maxbytes), directly on
// files in a temporary directory: writes, splices from a real pipe, reopen after a rename,
// truncate, and limits changed in place.

#include "daemon/output/log_file.hpp"
#include "daemon/output/log_tail.hpp"
#include "tests/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace konnect;
namespace fs = std::filesystem;

namespace {

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path(); }
  fs::path file(const std::string& name = "out.log") const { return dir_ / name; }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void write_all(LogFile& log, std::string text) {
    std::string_view rest = text;
    auto r = log.write(rest);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(rest.empty());
  }
  test::TempDir tmp_;
  fs::path dir_;
};

}  // namespace

TEST_F(LogFileTest, RotatesExactlyAtMaxbytesNewestFirst) {
  LogFile log(file(), 10, 2);
  ASSERT_TRUE(log.open());
  write_all(log, "0123456789abcdefghijKLMNO");
  EXPECT_EQ(read(file()), "KLMNO");
  EXPECT_EQ(read(file("out.log.1")), "abcdefghij");
  EXPECT_EQ(read(file("out.log.2")), "0123456789");
  write_all(log, "PQRSTuvwxyz");  // one more rotation: the oldest is dropped
  EXPECT_EQ(read(file()), "uvwxyz");
  EXPECT_EQ(read(file("out.log.1")), "KLMNOPQRST");
  EXPECT_EQ(read(file("out.log.2")), "abcdefghij");
  EXPECT_FALSE(fs::exists(file("out.log.3")));
}

TEST_F(LogFileTest, NoFileEverExceedsMaxbytesAndTheOldestIsDropped) {
  LogFile log(file(), 4, 2);
  ASSERT_TRUE(log.open());
  write_all(log, "aaaabbbbccccdd");
  EXPECT_EQ(read(file()), "dd");
  EXPECT_EQ(read(file("out.log.1")), "cccc");
  EXPECT_EQ(read(file("out.log.2")), "bbbb");
  EXPECT_FALSE(fs::exists(file("out.log.3")));
  EXPECT_EQ(log.size(), 2u);
  EXPECT_EQ(log.rotations(), 3u);
}

TEST_F(LogFileTest, NoBackupsTruncatesAndZeroMaxbytesNeverRotates) {
  LogFile kept(file("a.log"), 4, 0);
  ASSERT_TRUE(kept.open());
  write_all(kept, "aaaabb");
  EXPECT_EQ(read(file("a.log")), "bb");
  EXPECT_FALSE(fs::exists(file("a.log.1")));
  EXPECT_EQ(kept.rotations(), 1u) << "a truncation counts";
  LogFile endless(file("b.log"), 0, 3);
  ASSERT_TRUE(endless.open());
  write_all(endless, std::string(100000, 'x'));
  EXPECT_EQ(fs::file_size(file("b.log")), 100000u);
  EXPECT_FALSE(fs::exists(file("b.log.1")));
  EXPECT_EQ(endless.rotations(), 0u);
}

TEST_F(LogFileTest, OpenAppendsToWhatIsThereAndCreatesTheDirectory) {
  {
    LogFile log(dir_ / "sub" / "dir" / "x.log", 10, 1);
    ASSERT_TRUE(log.open());
    write_all(log, "12345678");
  }
  LogFile again(dir_ / "sub" / "dir" / "x.log", 10, 1);
  ASSERT_TRUE(again.open());
  EXPECT_EQ(again.size(), 8u);
  write_all(again, "9ab");  // the 8 bytes already there count toward maxbytes
  EXPECT_EQ(read(dir_ / "sub" / "dir" / "x.log"), "b");
  EXPECT_EQ(read(dir_ / "sub" / "dir" / "x.log.1"), "123456789a");
}

TEST_F(LogFileTest, SpliceFromAPipeRotatesToo) {
  LogFile log(file(), 6, 1);
  ASSERT_TRUE(log.open());
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ASSERT_EQ(::write(p[1], "hello world", 11), 11);
  std::size_t moved = 0;
  for (;;) {
    auto n = log.splice_from(p[0], 65536);
    ASSERT_TRUE(n) << n.error().message;
    if (*n == 0) break;
    moved += *n;
  }
  ::close(p[0]);
  ::close(p[1]);
  EXPECT_EQ(moved, 11u);
  EXPECT_EQ(read(file()), "world");
  EXPECT_EQ(read(file("out.log.1")), "hello ");
}

TEST_F(LogFileTest, ReopenAfterARenameStartsANewFile) {
  LogFile log(file(), 0, 0);
  ASSERT_TRUE(log.open());
  write_all(log, "before\n");
  fs::rename(file(), file("out.log.rotated"));  // what logrotate does before logreopen
  ASSERT_TRUE(log.reopen());
  write_all(log, "after\n");
  EXPECT_EQ(read(file("out.log.rotated")), "before\n");
  EXPECT_EQ(read(file()), "after\n");
}

TEST_F(LogFileTest, TruncateEmptiesTheFileAndKeepsBackups) {
  LogFile log(file(), 4, 1);
  ASSERT_TRUE(log.open());
  write_all(log, "aaaabb");
  ASSERT_TRUE(log.truncate());
  EXPECT_EQ(read(file()), "");
  EXPECT_EQ(read(file("out.log.1")), "aaaa");
  write_all(log, "c");
  EXPECT_EQ(read(file()), "c");
}

TEST_F(LogFileTest, NewLimitsApplyToTheNextWrite) {
  LogFile log(file(), 0, 0);
  ASSERT_TRUE(log.open());
  write_all(log, "123456");
  log.set_limits(8, 1);
  write_all(log, "789");
  EXPECT_EQ(read(file()), "9");
  EXPECT_EQ(read(file("out.log.1")), "12345678");
}

TEST(LogTail, LastLines) {
  EXPECT_EQ(last_lines("a\nb\nc\n", 2), "b\nc\n");
  EXPECT_EQ(last_lines("a\nb\nc", 2), "b\nc");  // a final line without '\n' counts
  EXPECT_EQ(last_lines("a\nb\n", 5), "a\nb\n");
  EXPECT_EQ(last_lines("a\nb\n", 0), "");
  EXPECT_EQ(last_lines("", 3), "");
  EXPECT_EQ(last_lines("\n\n\n", 2), "\n\n");
}

TEST_F(LogFileTest, ReadTailReachesIntoTheNewestBackupWithinMaxBytes) {
  LogFile log(file(), 8, 2);
  ASSERT_TRUE(log.open());
  write_all(log, "one\ntwo\nthree\nfour\n");  // out.log.2 "one\ntwo\n", .1 "three\nfo", out.log "ur\n"
  auto two = read_tail(file(), 2, 1 << 20);
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, "three\nfour\n");
  auto capped = read_tail(file(), 10, 5);  // 3 bytes of out.log, 2 of out.log.1
  ASSERT_TRUE(capped);
  EXPECT_EQ(*capped, "four\n");
  auto missing = read_tail(file("nope.log"), 3, 100);
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, "");
}
