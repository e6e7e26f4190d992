#pragma once
// A blocking client for konnectd's control socket: one connection, requests out as lines,
// answers back as lines (docs/protocol.md). Owns the socket fd and closes it when destroyed.
// konnectctl is single-threaded and sends one request per run, so nothing here is async.
//
// Every failure to reach the daemon (connect, send, the connection dropping before an
// answer) is ErrorCode::Io: the caller maps it to exit 4. An answer line over
// kMaxAnswerBytes is ErrorCode::Failed.

#include "common/error.hpp"
#include "common/protocol/protocol.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace konnect::ctl {

// Answers are not capped by the daemon's 1 MiB request limit: `status` of thousands of
// processes is larger. This only stops a runaway peer from eating memory.
inline constexpr std::size_t kMaxAnswerBytes = 256 * 1024 * 1024;

class Client {
 public:
  // Errors: "cannot connect to PATH: REASON" (ErrorCode::Io).
  static Result<Client> connect(const std::filesystem::path& socket_path);

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Writes all of `bytes` (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE).
  Result<void> send(std::string_view bytes);
  // The next line from the daemon, without its '\n'. EOF before a whole line is an error.
  Result<std::string> read_line();
  // encode_request() + send() + read_line().
  Result<std::string> call(const Request& request);
  // Reads and drops everything until the daemon closes the connection (`shutdown`: the
  // daemon closes it when it exits). A reset counts as closed.
  void wait_for_close();

  const std::filesystem::path& path() const { return path_; }

 private:
  Client(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  void close_fd();

  int fd_ = -1;
  std::filesystem::path path_;
  LineBuffer buffer_{kMaxAnswerBytes};
};

}  // namespace konnect::ctl
