#pragma once
// One program copy's $NOTIFY_SOCKET (sd_notify(3)): a Unix datagram socket konnectd binds
// and reads on the loop. Every datagram carries its sender's credentials (SO_PASSCRED), so
// the owner can accept it only from the instance's own processes, as systemd's
// NotifyAccess=all does; one without credentials, or not sd_notify text, is dropped with a
// line in the daemon log (a few per socket, then at debug level only). The socket file is
// owned by the program's user with mode 0600: nobody else can even send.
// Destroying it closes and removes the socket.

#include "common/error.hpp"
#include "common/notify_message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace konnect {

class NotifySocket {
 public:
  using OnMessage = std::function<void(pid_t sender, const NotifyMessage& message)>;
  struct Owner {
    uid_t uid;
    gid_t gid;
  };

  // Binds at path (a stale file there is replaced). `name` is for the daemon log.
  static Result<std::unique_ptr<NotifySocket>> open(boost::asio::any_io_executor executor,
                                                    std::filesystem::path path, std::optional<Owner> owner,
                                                    std::string name, OnMessage on_message);
  // konnectctl reexec: the socket a previous image bound at path (fd, SO_PASSCRED set).
  static std::unique_ptr<NotifySocket> adopt(boost::asio::any_io_executor executor, int fd, std::filesystem::path path,
                                             std::string name, OnMessage on_message);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int fd() { return socket_.native_handle(); }
  // Handles every datagram already queued, now: what a process sent before it exited is
  // taken before its exit is (MAINPID= from a parent that forks and exits).
  void drain();

 private:
  NotifySocket(boost::asio::any_io_executor executor, int fd, std::filesystem::path path, std::string name,
               OnMessage on_message);
  void wait();
  void read_some();
  enum class Read { Handled, Empty, Closed };  // Closed: the handler removed this socket
  Read read_one();
  void drop(const std::string& why);

  boost::asio::posix::stream_descriptor socket_;
  std::filesystem::path path_;
  std::string name_;
  OnMessage on_message_;
  int complaints_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace konnect
