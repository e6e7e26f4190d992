// sockets = [...] against the real konnectd (SPEC.md "Held sockets and rolling restarts"):
// konnectd binds before the first start and passes the sockets as fds 3, 4, ... with
// LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES; the same socket serves across restarts and crashes
// (a client connecting while the next instance starts is queued, not refused); `stop`,
// removal and an address change close it; a bind error is the spawn error; no other program
// or probe ever gets one.

#include "tests/integration/harness.hpp"
#include "tests/integration/net_client.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

using namespace konnect::test;
using namespace std::chrono_literals;

namespace {

std::string program(const std::string& name, std::initializer_list<std::string> args, const std::string& extra) {
  return "[program." + name + "]\n" + testchild_command(args) + extra;
}

std::string tcp(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// The socket inode fd 3 of pid is ("socket:[123]"), "" if none.
std::string socket_of(pid_t pid, int fd = 3) {
  char target[128] = {};
  const auto link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "";
}


}  // namespace

TEST(HeldSockets, PassedAsListenFdsThreeOnward) {
  const int port = free_port();
  konnect::test::TempDir scratch;
  const auto unix_path = scratch.path() / "run" / "admin.sock";
  Konnectd d(program("web", {"--listen-fds", "--fds", "--serve-fd", "3"},
                     "startsecs = 0\nsockets = [\"" + tcp(port) + "\", { address = \"unix:" + unix_path.string() +
                         "\", name = \"admin\", mode = \"0660\" }]\n") +
             program("other", {"--listen-fds", "--fds"}, "startsecs = 0\n"));
  ASSERT_TRUE(d.start());
  const pid_t web = d.pid_of("web");
  ASSERT_GT(web, 0);
  const auto out = d.log_dir() / "web.out.log";
  EXPECT_TRUE(wait_until([&] { return read_file(out).find("fds=") != std::string::npos; })) << read_file(out);
  EXPECT_EQ(read_file(out), "LISTEN_FDS=2 LISTEN_PID=mine LISTEN_FDNAMES=web:admin listening=yes,yes\nfds=3,4\n");
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(web) + "\n");
  struct stat st {};
  ASSERT_EQ(::stat(unix_path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  // A program without sockets gets none, and no LISTEN_ variables.
  const auto other = d.log_dir() / "other.out.log";
  EXPECT_TRUE(wait_until([&] { return read_file(other).find("fds=") != std::string::npos; }));
  EXPECT_EQ(read_file(other), "LISTEN_FDS=unset LISTEN_PID=unset LISTEN_FDNAMES=unset listening=\nfds=none\n");
}

TEST(HeldSockets, OneSocketAcrossRestartsAndCrashesUntilStop) {
  const int port = free_port();
  konnect::test::TempDir scratch;
  const auto unix_path = scratch.path() / "web.sock";
  // Each instance takes 300 ms before it accepts: the next instance's clients queue meanwhile.
  Konnectd d(program("web", {"--sleep", "300", "--serve-fd", "3"},
                     "startsecs = 0\nsockets = [\"" + tcp(port) + "\", \"unix:" + unix_path.string() + "\"]\n"));
  ASSERT_TRUE(d.start());
  const pid_t first = d.pid_of("web");
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(first) + "\n");
  const std::string held = socket_of(first);
  ASSERT_NE(held, "");

  ASSERT_EQ(d.ctl({"restart", "web"}).exit_code, 0);
  const pid_t second = d.pid_of("web");
  ASSERT_NE(second, first);
  EXPECT_EQ(socket_of(second), held) << "the same socket, not a new one";
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(second) + "\n") << "queued while it started, then answered";

  ASSERT_EQ(::kill(second, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { const pid_t p = d.pid_of("web"); return p != 0 && p != second; }));
  const pid_t third = d.pid_of("web");
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(third) + "\n");
  EXPECT_EQ(socket_of(third), held);

  // stop closes both: connections are refused, the socket file is gone.
  ASSERT_EQ(d.ctl({"stop", "web"}).exit_code, 0);
  EXPECT_EQ(ask_tcp(port), "");
  EXPECT_FALSE(std::filesystem::exists(unix_path));
  // (konnectd's log is written by its own thread: the line may land just after the answer.)
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("web: closed " + tcp(port)) != std::string::npos; }, 5s))
      << d.daemon_log();
  // start binds them again.
  ASSERT_EQ(d.ctl({"start", "web"}).exit_code, 0);
  EXPECT_EQ(ask_tcp(port), "pid " + std::to_string(d.pid_of("web")) + "\n");
  EXPECT_TRUE(std::filesystem::exists(unix_path));
}

TEST(HeldSockets, ABindErrorIsTheSpawnErrorNamingTheAddress) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int taken = ntohs(addr.sin_port);
  Konnectd d(program("web", {"--serve-fd", "3"}, "autostart = false\nstartretries = 0\nsockets = [\"" + tcp(taken) + "\"]\n"));
  ASSERT_TRUE(d.start());
  const auto r = d.ctl({"start", "web"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("cannot bind " + tcp(taken) + ": Address already in use"), std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(d.state_of("web"), "FATAL");
  ::close(fd);
  // Free now: the next start binds it.
  EXPECT_EQ(d.ctl({"start", "web"}).exit_code, 0);
  EXPECT_EQ(ask_tcp(taken), "pid " + std::to_string(d.pid_of("web")) + "\n");
}

TEST(HeldSockets, ReloadKeepsAListedSocketAndClosesTheRest) {
  const int port = free_port(), moved = free_port();
  const std::string sockets = "startsecs = 0\nsockets = [\"" + tcp(port) + "\"]\n";
  Konnectd d(program("web", {"--serve-fd", "3"}, sockets) + program("admin", {"--serve-fd", "3"},
             "startsecs = 0\nsockets = [\"" + tcp(moved) + "\"]\n"));
  ASSERT_TRUE(d.start());
  const std::string held = socket_of(d.pid_of("web"));
  // web's command changes (a new process) but not its address; admin moves; nothing else.
  const int third = free_port();
  d.write_programs(program("web", {"--print", "v2", "--serve-fd", "3"}, sockets) +
                      program("admin", {"--serve-fd", "3"}, "startsecs = 0\nsockets = [\"" + tcp(third) + "\"]\n"));
  auto r = d.ctl({"reload"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(socket_of(d.pid_of("web")), held) << d.daemon_log();
  EXPECT_EQ(ask_tcp(third), "pid " + std::to_string(d.pid_of("admin")) + "\n");
  EXPECT_EQ(ask_tcp(moved), "") << "the old address is closed";
  // Removing a program closes its sockets.
  d.write_programs(program("admin", {"--serve-fd", "3"}, "startsecs = 0\nsockets = [\"" + tcp(third) + "\"]\n"));
  r = d.ctl({"reload"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ask_tcp(port), "") << "nothing left listening for a removed program";
}

TEST(HeldSockets, AProbeGetsNoHeldSocket) {
  const int port = free_port();
  Konnectd d(program("web", {"--serve-fd", "3"},
                     "sockets = [\"" + tcp(port) + "\"]\nready = { exec = " +
                         "[\"" + std::string(kTestChild) + "\", \"--fds\", \"--listen-fds\", \"--exit\", \"0\"] }\n"));
  ASSERT_TRUE(d.start());
  EXPECT_TRUE(wait_until([&] { return d.daemon_log().find("fds=") != std::string::npos; })) << d.daemon_log();
  EXPECT_NE(d.daemon_log().find("fds=none"), std::string::npos) << d.daemon_log();
  EXPECT_NE(d.daemon_log().find("LISTEN_FDS=unset"), std::string::npos) << d.daemon_log();
}
