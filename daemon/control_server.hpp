#pragma once
// The control socket (SPEC.md: Unix stream socket, mode 0660, JSON lines). Owns the
// acceptor and every open Connection (it alone erases them). Shutdown is cancellation:
// stop() closes the acceptor and every connection.

#include "common/error.hpp"
#include "daemon/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <unordered_map>

namespace konnect {

class RequestHandler;

class ControlServer {
 public:
  ControlServer(boost::asio::any_io_executor executor, RequestHandler& handler);
  ~ControlServer();

  // Binds the socket at path (creating its directory; replacing a stale socket file, but
  // refusing if another daemon answers there) and starts accepting. The directory must be
  // writable by no one but root (or konnectd's own user): anyone who can write it could put
  // their own socket in its place. The socket is mode 0660, group socket_group when set
  // (0666 with a socket_readonly_group: then the peer check alone decides).
  Result<void> listen(const std::filesystem::path& path, AccessPolicy policy,
                      std::chrono::milliseconds idle_timeout);
  // Stops accepting new clients; open connections stay.
  void stop_accepting();
  // Closes every connection and the acceptor, and removes the socket file.
  void stop();

  // Clients beyond this wait in the listen backlog until one leaves.
  static constexpr std::size_t kMaxConnections = 256;

 private:
  void do_accept();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // armed only after EMFILE/ENFILE
  bool accepting_ = false;
  RequestHandler& handler_;
  std::filesystem::path path_;
  AccessPolicy policy_;
  std::chrono::milliseconds idle_timeout_{60000};
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
};

}  // namespace konnect
