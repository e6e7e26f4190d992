// ListenSocket and SocketHolder on real sockets: unix socket files made, replaced when stale,
// refused when something else is in the way, removed at close only if still theirs; the
// holder hands out the same fds until the program's list changes, and frees what it closes.

#include "daemon/sockets/socket_holder.hpp"
#include "tests/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace konnect {
namespace {

SocketConfig unix_socket(const std::filesystem::path& path) {
  SocketConfig s;
  s.kind = SocketConfig::Kind::Unix;
  s.path = path;
  s.address = "unix:" + path.string();
  s.name = "web";
  return s;
}

SocketConfig tcp_socket(std::uint16_t port) {
  SocketConfig s;
  s.host = "127.0.0.1";
  s.port = port;
  s.address = "tcp://127.0.0.1:" + std::to_string(port);
  s.name = "web";
  return s;
}

int listening_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

TEST(ListenSocket, UnixSocketFileIsMadeReplacedWhenStaleAndRemovedWhenClosed) {
  konnect::test::TempDir dir;
  const auto path = dir.path() / "sub" / "web.sock";
  SocketConfig config = unix_socket(path);
  config.mode = 0640;
  {
    auto first = ListenSocket::bind(config, std::nullopt);
    ASSERT_TRUE(first) << first.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    // A second bind finds a socket file in the way (a konnectd that was killed): replaced.
    auto second = ListenSocket::bind(config, std::nullopt);
    ASSERT_TRUE(second) << second.error().message;
    // Its file is the second's now: closing the first leaves it.
    first = std::move(second);
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << "removed when closed";

  std::ofstream(path) << "data";
  auto refused = ListenSocket::bind(config, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "cannot bind " + config.address + ": something that is not a socket is in the way");
  EXPECT_TRUE(std::filesystem::exists(path)) << "a file that is not a socket is never removed";
}

TEST(ListenSocket, AnAddressInUseIsNamedInTheError) {
  auto first = ListenSocket::bind(tcp_socket(0), std::nullopt);
  ASSERT_TRUE(first);
  const int port = listening_port(first->fd());
  auto second = ListenSocket::bind(tcp_socket(static_cast<std::uint16_t>(port)), std::nullopt);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::SpawnError);
  EXPECT_EQ(second.error().message, "cannot bind tcp://127.0.0.1:" + std::to_string(port) + ": Address already in use");
  EXPECT_EQ(::fcntl(first->fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << "no child inherits it by accident";
}

TEST(SocketHolder, SameFdsUntilTheListChangesThenTheOldAddressIsFree) {
  konnect::test::TempDir dir;
  ProgramConfig program;
  program.name = "web";
  program.sockets = {unix_socket(dir.path() / "a.sock"), unix_socket(dir.path() / "b.sock")};
  program.sockets[1].name = "admin";
  EXPECT_EQ(listen_fdnames(program), "web:admin");
  SocketHolder holder;
  auto fds = holder.open(program, std::nullopt);
  ASSERT_TRUE(fds);
  ASSERT_EQ(fds->size(), 2u);
  EXPECT_EQ(*holder.open(program, std::nullopt), *fds) << "held, not bound again";
  EXPECT_TRUE(holder.holds("web"));

  program.sockets.erase(program.sockets.begin());
  auto after = holder.open(program, std::nullopt);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, std::vector<int>{(*fds)[1]});
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "a.sock")) << "the socket it no longer lists is closed";

  holder.close("web");
  EXPECT_FALSE(holder.holds("web"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b.sock"));
  EXPECT_TRUE(holder.programs().empty());
}

}  // namespace
}  // namespace konnect
