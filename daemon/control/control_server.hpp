#pragma once
// The control socket (SPEC.md: Unix stream socket, mode 0660, JSON lines). Owns the
// acceptor and every open Connection (it alone erases them). Every accepted peer goes
// through the ClientPool (per-user limit, eviction of the longest idle, root's reserve) and
// is refused with an answer when it gets no slot. Shutdown is cancellation: stop() closes
// the acceptor and every connection.

#include "common/error.hpp"
#include "daemon/control/client_pool.hpp"
#include "daemon/control/connection.hpp"
#include "daemon/control/log_throttle.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/common.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <unordered_map>

namespace konnect {

class RequestHandler;

// How control clients are served ([konnectd] client_idle_timeout, client_max_per_user).
struct ClientLimits {
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t max_per_user = 32;
};

class ControlServer {
 public:
  ControlServer(boost::asio::any_io_executor executor, RequestHandler& handler);
  ~ControlServer();

  // Binds the socket at path (creating its directory; replacing a stale socket file, but
  // refusing if another daemon answers there) and starts accepting. The directory must be
  // writable by no one but root (or konnectd's own user): anyone who can write it could put
  // their own socket in its place. The socket is mode 0660, group socket_group when set
  // (0666 with a socket_readonly_group: then the peer check alone decides).
  Result<void> listen(const std::filesystem::path& path, AccessPolicy policy, ClientLimits limits);
  // Stops accepting new clients; open connections stay.
  void stop_accepting();

  // konnectctl reexec. The old image: stops taking new clients (they wait in the backlog for
  // the next image) and returns the listening fd, still open; resume_accepting() if the
  // reexec is called off. The next image: adopt() serves on the socket a previous image
  // listened on (path and access as listen() would have set them).
  int pause_for_handover();
  int listener_fd() { return acceptor_.native_handle(); }
  void resume_accepting();
  void adopt(int fd, const std::filesystem::path& path, AccessPolicy policy, ClientLimits limits);
  // Closes every connection and the acceptor, and removes the socket file.
  void stop();

  const ClientPool& pool() const { return pool_; }
  // Where clients that speak HTTP go (SPEC.md "HTTP"): from then on, for every new client.
  void set_http(HttpService* http) { http_ = http; }

 private:
  // A log line a peer can cause, at most one per 10 s; the rest summed up in one line.
  struct ThrottledLog {
    ThrottledLog(const boost::asio::any_io_executor& executor, spdlog::level::level_enum level, const char* summary)
        : timer(executor), level(level), summary(summary) {}
    void flush();  // logs what is held back
    LogThrottle throttle;
    boost::asio::steady_timer timer;
    spdlog::level::level_enum level;
    const char* summary;  // "Refused more control connections"
  };

  void do_accept();
  void admit(boost::asio::local::stream_protocol::socket socket);
  void log_throttled(ThrottledLog& log, const PeerCredentials& peer, const std::string& line);

  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // armed only after EMFILE/ENFILE
  bool accepting_ = false;
  bool paused_ = false;  // a reexec is handing the socket over
  RequestHandler& handler_;
  HttpService* http_ = nullptr;
  std::filesystem::path path_;
  AccessPolicy policy_;
  std::chrono::milliseconds idle_timeout_{60000};
  ClientPool pool_;
  ThrottledLog refusals_;
  ThrottledLog reduced_access_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
};

}  // namespace konnect
