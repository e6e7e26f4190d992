#include "daemon/health/notify_socket.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

constexpr int kPerTurn = 64;        // datagrams read before other work gets a turn
constexpr int kComplaints = 10;     // dropped datagrams logged at warn level, per socket

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return make_error(ErrorCode::Io, what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<NotifySocket>> NotifySocket::open(boost::asio::any_io_executor executor,
                                                         std::filesystem::path path, std::optional<Owner> owner,
                                                         std::string name, OnMessage on_message) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof addr.sun_path) {
    return make_error(ErrorCode::Failed, "notify socket path too long: " + path.string());
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return io_error("cannot create the notify socket", path);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  ::unlink(path.c_str());
  // Created 0600 from the start (no window in which others may connect), then given away.
  const mode_t old = ::umask(0177);
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (bound != 0) {
    auto e = io_error("cannot bind the notify socket", path);
    ::close(fd);
    return e;
  }
  if (owner && ::chown(path.c_str(), owner->uid, owner->gid) != 0) {
    auto e = io_error("cannot give the notify socket to the program's user", path);
    ::close(fd);
    ::unlink(path.c_str());
    return e;
  }
  auto socket = std::unique_ptr<NotifySocket>(
      new NotifySocket(std::move(executor), fd, std::move(path), std::move(name), std::move(on_message)));
  socket->wait();
  return socket;
}

std::unique_ptr<NotifySocket> NotifySocket::adopt(boost::asio::any_io_executor executor, int fd,
                                                  std::filesystem::path path, std::string name, OnMessage on_message) {
  auto socket = std::unique_ptr<NotifySocket>(
      new NotifySocket(std::move(executor), fd, std::move(path), std::move(name), std::move(on_message)));
  socket->wait();
  return socket;
}

NotifySocket::NotifySocket(boost::asio::any_io_executor executor, int fd, std::filesystem::path path, std::string name,
                           OnMessage on_message)
    : socket_(std::move(executor), fd), path_(std::move(path)), name_(std::move(name)), on_message_(std::move(on_message)) {}

NotifySocket::~NotifySocket() {
  boost::system::error_code ec;
  socket_.close(ec);
  ::unlink(path_.c_str());
}

void NotifySocket::wait() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
                       if (ec || alive.expired()) return;
                       read_some();
                     });
}

void NotifySocket::read_some() {
  for (int i = 0; i < kPerTurn; ++i) {
    switch (read_one()) {
      case Read::Handled: break;
      case Read::Empty: return wait();  // drained (the wait is edge-triggered)
      case Read::Closed: return;
    }
  }
  boost::asio::post(socket_.get_executor(), [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) read_some();
  });
}

void NotifySocket::drain() {
  // Bounded by the socket's receive buffer; the pending wait stays armed.
  for (;;) {
    if (read_one() != Read::Handled) return;
  }
}

NotifySocket::Read NotifySocket::read_one() {
  for (;;) {
    std::array<char, kNotifyMaxDatagram + 1> buf;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Read::Empty;
    }
    std::optional<ucred> cred;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(ucred))) {
        ucred u;
        std::memcpy(&u, CMSG_DATA(c), sizeof u);
        cred = u;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        // Passed fds (FDSTORE) are not kept: close them.
        const auto count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t k = 0; k < count; ++k) {
          int passed;
          std::memcpy(&passed, CMSG_DATA(c) + k * sizeof(int), sizeof passed);
          ::close(passed);
        }
      }
    }
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
      drop("longer than " + std::to_string(kNotifyMaxDatagram) + " bytes");
      return Read::Handled;
    }
    if (!cred || cred->pid <= 0) {
      drop("no sender credentials");
      return Read::Handled;
    }
    auto parsed = parse_notify(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    if (!parsed) {
      drop(parsed.error().message + " (from pid " + std::to_string(cred->pid) + ")");
      return Read::Handled;
    }
    const std::weak_ptr<int> alive = alive_;
    on_message_(cred->pid, *parsed);
    return alive.expired() ? Read::Closed : Read::Handled;
  }
}

void NotifySocket::drop(const std::string& why) {
  if (complaints_ < kComplaints) {
    ++complaints_;
    spdlog::warn("{}: dropped a notify message: {}{}", name_, why,
                 complaints_ == kComplaints ? " (further ones are logged at debug level)" : "");
  } else {
    spdlog::debug("{}: dropped a notify message: {}", name_, why);
  }
}

}  // namespace konnect
