#include "ctl/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace konnect::ctl {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

Error io_error(std::string message) { return make_error(ErrorCode::Io, std::move(message)); }

std::string describe_errno(int err) { return std::strerror(err); }

}  // namespace

Result<Client> Client::connect(const std::filesystem::path& socket_path) {
  const std::string& path = socket_path.native();
  auto fail = [&](int err) { return io_error("cannot connect to " + path + ": " + describe_errno(err)); };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return fail(path.empty() ? ENOENT : ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.data(), path.size());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno);
  Client client(fd, socket_path);  // closes fd on every return below
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) return fail(errno);
  return client;
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), buffer_(std::move(other.buffer_)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    close_fd();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

Client::~Client() { close_fd(); }

void Client::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<void> Client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot send to " + path_.native() + ": " + describe_errno(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> Client::read_line() {
  std::string line;
  std::array<char, kReadChunk> chunk;
  for (;;) {
    switch (buffer_.next_line(line)) {
      case LineBuffer::Status::Line:
        return line;
      case LineBuffer::Status::Overflow:
        return make_error(ErrorCode::Failed, "answer from " + path_.native() + " is longer than " +
                                                 std::to_string(kMaxAnswerBytes) + " bytes");
      case LineBuffer::Status::NeedMore:
        break;
    }
    ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("lost the connection to " + path_.native() + ": " + describe_errno(errno));
    }
    if (n == 0) return io_error("connection to " + path_.native() + " closed before an answer");
    buffer_.append(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
  }
}

Result<std::string> Client::call(const Request& request) {
  auto sent = send(encode_request(request));
  auto answer = read_line();
  // A daemon that refuses the connection (TOO_MANY_CLIENTS) may have closed it before our
  // request went out: its answer says why, which beats "broken pipe".
  if (!sent && !answer) return sent.error();
  return answer;
}

void Client::wait_for_close() {
  std::array<char, kReadChunk> chunk;
  for (;;) {
    ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;  // EOF, or ECONNRESET and the like: either way the daemon is gone
  }
}

}  // namespace konnect::ctl
