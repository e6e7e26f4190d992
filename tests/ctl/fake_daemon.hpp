#pragma once
// An in-test stand-in for konnectd's control socket: a listening Unix socket in a fresh
// mkdtemp directory and a thread that serves exactly one connection with a script. It
// never sleeps: every wait is a poll() with a deadline, and the destructor wakes the
// thread through a pipe, joins it and removes the directory.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace konnect::ctl::testing {

struct Script {
  std::vector<std::string> answer_chunks;  // written in order after the request line arrives
  // After answering, wait up to this long for the client to hang up before closing; records
  // whether it did (a client that waits for EOF does not).
  int linger_ms = 0;
};

class FakeDaemon {
 public:
  explicit FakeDaemon(Script script) : script_(std::move(script)) {
    char tmpl[] = "/tmp/konnectctl-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    socket_ = dir_ / "konnectd.sock";
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 4) != 0 || ::pipe(wake_) != 0) {
      cleanup();
      throw std::runtime_error("cannot set up the fake daemon socket");
    }
    thread_ = std::thread([this] { serve(); });
  }

  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  ~FakeDaemon() {
    if (thread_.joinable()) {
      char byte = 0;
      [[maybe_unused]] ssize_t n = ::write(wake_[1], &byte, 1);
      thread_.join();
    }
    cleanup();
  }

  const std::filesystem::path& socket() const { return socket_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Waits for the serving thread; then the accessors below are stable.
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // The request bytes received, up to and including the first '\n'.
  const std::string& request() const { return request_; }
  bool served() const { return served_; }
  bool client_hung_up_first() const { return client_hung_up_first_; }

 private:
  static constexpr int kDeadlineMs = 5000;  // a test fails rather than hangs

  // Waits for `fd` to be readable; false on the wake pipe or the deadline.
  bool wait_readable(int fd, int timeout_ms) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, timeout_ms);
    return n > 0 && (fds[1].revents & POLLIN) == 0 && fds[0].revents != 0;
  }

  void serve() {
    if (!wait_readable(listen_fd_, kDeadlineMs)) return;
    int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return;
    char buf[4096];
    while (request_.find('\n') == std::string::npos && wait_readable(conn, kDeadlineMs)) {
      ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    for (const std::string& chunk : script_.answer_chunks) {
      [[maybe_unused]] ssize_t n = ::send(conn, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    }
    if (script_.linger_ms > 0 && wait_readable(conn, script_.linger_ms)) {
      client_hung_up_first_ = ::recv(conn, buf, sizeof(buf), 0) <= 0;
    }
    ::close(conn);
    served_ = true;
  }

  void cleanup() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    for (int& fd : wake_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    listen_fd_ = -1;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Script script_;
  std::filesystem::path dir_;
  std::filesystem::path socket_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::string request_;
  bool served_ = false;
  bool client_hung_up_first_ = false;
};

}  // namespace konnect::ctl::testing
