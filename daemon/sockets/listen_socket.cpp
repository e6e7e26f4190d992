#include "daemon/sockets/listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace konnect {
namespace {

Error bind_error(const SocketConfig& config, const std::string& why) {
  return make_error(ErrorCode::SpawnError, "cannot bind " + config.address + ": " + why);
}

Error errno_error(const SocketConfig& config) { return bind_error(config, std::strerror(errno)); }

// A TCP socket: "*" is every IPv6 and IPv4 address (one dual-stack socket, or IPv4 alone
// where the kernel has no IPv6).
Result<int> bind_tcp(const SocketConfig& config) {
  const bool v6 = config.host.empty() || config.host.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool dual_stack = v6 && config.host.empty();
  if (fd < 0 && errno == EAFNOSUPPORT && dual_stack) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    dual_stack = false;
  }
  if (fd < 0) return errno_error(config);
  const int one = 1, zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (dual_stack) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(config.port);
    addr.sin6_addr = in6addr_any;
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else if (v6) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(config.port);
    ::inet_pton(AF_INET6, config.host.c_str(), &addr.sin6_addr);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(config.port);
    if (config.host.empty()) {
      addr.sin_addr.s_addr = htonl(INADDR_ANY);
    } else {
      ::inet_pton(AF_INET, config.host.c_str(), &addr.sin_addr);
    }
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    Error e = errno_error(config);
    ::close(fd);
    return e;
  }
  return fd;
}

Result<int> bind_unix(const SocketConfig& config, std::optional<ListenSocket::Owner> owner, struct stat& made) {
  const std::string path = config.path.string();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return bind_error(config, "something that is not a socket is in the way");
    ::unlink(path.c_str());  // a stale socket, as supervisord's unix_http_server removes it
  }
  std::error_code ec;
  std::filesystem::create_directories(config.path.parent_path(), ec);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error(config);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const auto fail = [&] {
    Error e = errno_error(config);
    ::close(fd);
    return e;
  };
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail();
  if ((config.mode && ::chmod(path.c_str(), *config.mode) != 0) ||
      (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0) || ::stat(path.c_str(), &made) != 0) {
    Error e = fail();
    ::unlink(path.c_str());
    return e;
  }
  return fd;
}

}  // namespace

Result<ListenSocket> ListenSocket::bind(const SocketConfig& config, std::optional<Owner> owner) {
  ListenSocket socket(config);
  struct stat made {};
  auto fd = config.kind == SocketConfig::Kind::Unix ? bind_unix(config, owner, made) : bind_tcp(config);
  if (!fd) return fd.error();
  socket.fd_ = *fd;
  socket.dev_ = made.st_dev;
  socket.ino_ = made.st_ino;
  if (::listen(socket.fd_, config.backlog) != 0) return errno_error(config);  // closed (and unlinked) by ~ListenSocket
  return socket;
}

ListenSocket ListenSocket::adopt(const SocketConfig& config, int fd) {
  ListenSocket socket(config);
  socket.fd_ = fd;
  struct stat st {};
  if (config.kind == SocketConfig::Kind::Unix && ::lstat(config.path.c_str(), &st) == 0) {
    socket.dev_ = st.st_dev;
    socket.ino_ = st.st_ino;
  }
  return socket;
}

ListenSocket::ListenSocket(ListenSocket&& other) noexcept
    : config_(std::move(other.config_)), fd_(std::exchange(other.fd_, -1)), dev_(other.dev_), ino_(other.ino_) {}

ListenSocket& ListenSocket::operator=(ListenSocket&& other) noexcept {
  if (this != &other) {
    close();
    config_ = std::move(other.config_);
    fd_ = std::exchange(other.fd_, -1);
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

ListenSocket::~ListenSocket() { close(); }

void ListenSocket::close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  if (config_.kind != SocketConfig::Kind::Unix) return;
  struct stat st {};
  if (::lstat(config_.path.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) ::unlink(config_.path.c_str());
}

}  // namespace konnect
