#pragma once
// [konnectd] http = "127.0.0.1:9001": konnectd's HTTP interface on TCP (SPEC.md "HTTP").
// Owns the acceptor and every session on it. Who may connect is the ClientPool's business,
// as on the control socket, with a client's IP address standing for its user: one address
// holds at most 64 connections, the longest idle goes first when all 256 are taken. Who may
// do what is basic auth's (HttpService). Shutdown is cancellation: stop() closes it all.

#include "common/error.hpp"
#include "daemon/control/client_pool.hpp"
#include "daemon/http/http_session.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <unordered_map>

namespace konnect {

class HttpServer {
 public:
  HttpServer(boost::asio::any_io_executor executor, HttpService& service, HttpLimits limits);
  ~HttpServer();

  // address: "127.0.0.1:9001", "[::1]:9001", "*:9001" or ":9001" (every address).
  Result<void> listen(const std::string& address);
  // konnectctl reexec: the old image stops accepting (new clients wait in the backlog) and
  // hands listener_fd() over; the next image adopts it.
  int listener_fd() { return acceptor_.native_handle(); }
  void pause();
  void resume() { do_accept(); }
  Result<void> adopt(int fd);
  // The port it listens on (the one chosen when listen() was given port 0).
  unsigned short port() const;
  void stop();

 private:
  void do_accept();
  void admit(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  HttpService& service_;
  HttpLimits limits_;
  struct Entry {
    std::shared_ptr<HttpSession> session;
    ClientPool::Slot slot;
  };
  ClientPool pool_{PoolLimits{256, 0, 64}};
  std::unordered_map<HttpSession*, std::shared_ptr<Entry>> sessions_;
};

// Parses "HOST:PORT" as [konnectd] http takes it; host "" or "*" is every address.
Result<boost::asio::ip::tcp::endpoint> parse_http_address(const std::string& address);

}  // namespace konnect
