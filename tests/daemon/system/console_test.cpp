// Console: one writer per fd, whole lines, bounded, drops counted rather than waited for.

#include "daemon/system/console.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <string>
#include <thread>

using konnect::Console;
using namespace std::chrono_literals;

namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  // Everything readable within `deadline` of quiet.
  std::string read_all(std::chrono::milliseconds quiet = 500ms) const {
    std::string out;
    char buf[65536];
    for (;;) {
      pollfd pfd{r, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(quiet.count())) <= 0) break;
      const ssize_t n = ::read(r, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

}  // namespace

TEST(Console, WritesWhatItIsGiven) {
  Pipe p;
  Console console(p.w);
  console.put("a | one\n", "a");
  console.put_waiting("konnectd line\n");
  ASSERT_TRUE(console.flush(5s));
  EXPECT_EQ(p.read_all(), "a | one\nkonnectd line\n");
  EXPECT_EQ(console.dropped(), 0u);
}

// Nobody reads the pipe: the console takes what fits in its buffer, drops the rest in whole
// lines and counts it, and put() never blocks.
TEST(Console, DropsWholeLinesWhenFullAndCountsThem) {
  Pipe p;
  ::fcntl(p.w, F_SETPIPE_SZ, 4096);
  const std::size_t limit = 64 * 1024;
  Console console(p.w, limit);
  const std::string line = "w | " + std::string(95, 'x') + "\n";  // 100 bytes
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t put = 0;
  for (int i = 0; i < 5000; ++i) {  // 500 KB into a 4 KiB pipe and a 64 KiB buffer
    console.put(line, "w");
    put += line.size();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);  // never waited for the reader
  EXPECT_GT(console.dropped(), 0u);
  // Now read everything: what arrives is whole lines, and arrived + dropped = put.
  std::string got;
  std::thread reader([&] { got = p.read_all(1000ms); });
  ASSERT_TRUE(console.flush(10s));
  reader.join();
  EXPECT_EQ(got.size() % line.size(), 0u);
  for (std::size_t i = 0; i < got.size(); i += line.size()) ASSERT_EQ(got.compare(i, line.size(), line), 0) << i;
  EXPECT_EQ(got.size() + console.dropped(), put);
}

// A line is never split: one that does not fit whole is dropped whole.
TEST(Console, ALineThatDoesNotFitIsDroppedWhole) {
  Pipe p;
  Console console(p.w, 10);
  console.put("a | 12\nb | 345678\n", "a");  // 7 fit, the second line does not
  ASSERT_TRUE(console.flush(5s));
  EXPECT_EQ(p.read_all(), "a | 12\n");
  EXPECT_EQ(console.dropped(), 11u);
}

// The daemon's own lines wait for room rather than go.
TEST(Console, PutWaitingWaitsForRoom) {
  Pipe p;
  ::fcntl(p.w, F_SETPIPE_SZ, 4096);
  Console console(p.w, 8192);
  const std::string line(99, 'k');
  std::thread writer([&] {
    for (int i = 0; i < 1000; ++i) console.put_waiting(line + "\n");
  });
  const std::string got = p.read_all(1000ms);
  writer.join();
  ASSERT_TRUE(console.flush(5s));
  EXPECT_EQ(got.size() + p.read_all(100ms).size(), 100000u);
  EXPECT_EQ(console.dropped(), 0u);
}

// A console that cannot be written (its reader is gone) drops, never blocks or throws.
TEST(Console, AClosedConsoleDropsEverything) {
  ::signal(SIGPIPE, SIG_IGN);  // as konnectd's main() does
  Pipe p;
  ::close(p.r);
  p.r = -1;
  Console console(p.w);
  console.put("a | x\n", "a");
  ASSERT_TRUE(console.flush(5s));
  console.put("a | y\n", "a");
  ASSERT_TRUE(console.flush(5s));
  EXPECT_EQ(console.dropped(), 12u);
}
