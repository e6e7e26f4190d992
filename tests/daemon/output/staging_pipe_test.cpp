// StagingPipe: bytes move from a program's pipe into it and on into a file, whole and in
// order; the end of the program's pipe is seen; what is left after a failed write comes back.

#include "daemon/output/staging_pipe.hpp"
#include "tests/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

using namespace konnect;

namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) r = fds[0], w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void close_writer() {
    ::close(w);
    w = -1;
  }
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST(StagingPipe, MovesWhatThePipeHoldsAndSeesItsEnd) {
  Pipe program;
  ASSERT_GE(program.r, 0);
  const std::string text = "first line\nsecond line\n";
  ASSERT_EQ(::write(program.w, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  StagingPipe staging;
  ASSERT_TRUE(staging.open());
  bool eof = false;
  auto n = staging.fill_from(program.r, 1 << 20, &eof);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, text.size());
  EXPECT_FALSE(eof);
  // Empty with a writer: nothing, not the end.
  n = staging.fill_from(program.r, 1 << 20, &eof);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_FALSE(eof);
  EXPECT_EQ(read_all(staging.read_fd()), text);
  program.close_writer();
  n = staging.fill_from(program.r, 1 << 20, &eof);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(eof);
}

TEST(StagingPipe, TakesNoMoreThanAsked) {
  Pipe program;
  ASSERT_EQ(::write(program.w, "0123456789", 10), 10);
  StagingPipe staging;
  ASSERT_TRUE(staging.open());
  bool eof = false;
  auto n = staging.fill_from(program.r, 4, &eof);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(staging.take_rest(), "0123");
  n = staging.fill_from(program.r, 100, &eof);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(staging.take_rest(), "456789");
  EXPECT_EQ(staging.take_rest(), "");  // empty again
}

// Much more than one pipe's worth, through a file in pieces: every byte once, in order.
TEST(StagingPipe, CarriesMoreThanItHoldsInOrder) {
  test::TempDir tmp;
  Pipe program;
  const int out = ::open((tmp.path() / "log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(out, 0);
  std::string expected;
  for (int i = 0; i < 200000; ++i) expected += "line " + std::to_string(i) + "\n";
  StagingPipe staging;
  ASSERT_TRUE(staging.open());
  std::size_t written = 0, moved = 0;
  bool eof = false;
  while (moved < expected.size()) {
    if (written < expected.size()) {
      const ssize_t w = ::write(program.w, expected.data() + written, expected.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
    }
    auto n = staging.fill_from(program.r, 1 << 20, &eof);
    ASSERT_TRUE(n) << n.error().message;
    for (std::size_t left = *n; left > 0;) {
      const ssize_t s = ::splice(staging.read_fd(), nullptr, out, nullptr, left, 0);
      ASSERT_GT(s, 0);
      left -= static_cast<std::size_t>(s);
    }
    moved += *n;
  }
  ::close(out);
  std::string got;
  const int in = ::open((tmp.path() / "log").c_str(), O_RDONLY | O_CLOEXEC);
  got = read_all(in);
  ::close(in);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}
