// Console: one writer per fd, whole lines, bounded, drops counted rather than waited for.

#include "daemon/system/console.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <string>
#include <future>
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

// Nobody reads the pipe. While the console is moving (it wrote something less than
// stall_after ago) a full buffer refuses lines, whole, and the caller keeps them; once it has
// stalled, put() drops them, whole, and counts them. put() never blocks.
TEST(Console, WaitsWhileMovingThenDropsWholeLinesWhenStalled) {
  Pipe p;
  ::fcntl(p.w, F_SETPIPE_SZ, 4096);
  const std::size_t limit = 64 * 1024;
  Console console(p.w, limit, 500ms);
  const std::string line = "w | " + std::string(95, 'x') + "\n";  // 100 bytes
  std::uint64_t taken = 0;
  std::size_t refused = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) {  // 200 KB into a 4 KiB pipe and a 64 KiB buffer
    const std::size_t n = console.put(line, "w");
    EXPECT_TRUE(n == 0 || n == line.size()) << n;  // a line is taken or refused whole
    if (n == 0) ++refused;
    taken += n;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);  // never waited; still moving
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(console.dropped(), 0u);
  // Stalled now (nothing more was written): put() drops instead.
  std::uint64_t dealt = taken;
  // EXPECT, not ASSERT, up to the drain below: the Console's destructor waits for its writer,
  // which waits for someone to read the pipe.
  EXPECT_TRUE([&] {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = console.put(line, "w");
      dealt += n;
      if (n == line.size() && console.dropped() > 0) return true;
      // Refused: full and still moving (the writer may have started late and taken the
      // first fill only now: then fill it again first).
      if (n == 0) std::this_thread::sleep_for(10ms);
    }
    return false;
  }());
  EXPECT_EQ(console.dropped() % line.size(), 0u);
  // Everything taken arrives, whole; with no daemon log here, the drop count comes last on
  // the console itself, once it moves again.
  std::string got;
  std::thread reader([&] { got = p.read_all(1500ms); });
  const bool flushed = console.flush(10s);
  reader.join();
  ASSERT_TRUE(flushed);
  const std::string report = "konnectd | dropped " + std::to_string(console.dropped()) + " bytes of w's output";
  const auto at = got.find(report);
  ASSERT_NE(at, std::string::npos) << got.substr(got.size() > 200 ? got.size() - 200 : 0);
  got.erase(at, got.find('\n', at) + 1 - at);
  EXPECT_EQ(got.size() + console.dropped(), dealt);
  for (std::size_t i = 0; i < got.size(); i += line.size()) ASSERT_EQ(got.compare(i, line.size(), line), 0) << i;
}

// A moving console that is full takes what fits, calls back when there is room, and a line
// longer than its whole buffer goes alone once the buffer is empty.
TEST(Console, CallsBackWhenThereIsRoom) {
  Pipe p;
  Console console(p.w, 10);
  EXPECT_EQ(console.put("a | 12\nb | 345678\n", "a"), 7u);  // the second line does not fit now
  std::promise<void> room;
  console.when_room([&] { room.set_value(); });
  ASSERT_EQ(room.get_future().wait_for(5s), std::future_status::ready);
  ASSERT_TRUE(console.flush(5s));
  EXPECT_EQ(console.put("b | 345678\n", "a"), 11u);
  ASSERT_TRUE(console.flush(5s));
  EXPECT_EQ(p.read_all(), "a | 12\nb | 345678\n");
  EXPECT_EQ(console.dropped(), 0u);
}

// put_all waits while the console moves: a slow reader gets everything.
TEST(Console, PutAllWaitsForASlowReader) {
  Pipe p;
  ::fcntl(p.w, F_SETPIPE_SZ, 4096);
  Console console(p.w, 8192, 500ms);
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "s | " + std::to_string(i) + "\n";  // 170 KB: 20 buffers
  std::string got;
  std::thread reader([&] { got = p.read_all(1000ms); });
  console.put_all(lines, "s");
  const bool flushed = console.flush(10s);
  reader.join();
  ASSERT_TRUE(flushed);
  EXPECT_EQ(got, lines);
  EXPECT_EQ(console.dropped(), 0u);
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
