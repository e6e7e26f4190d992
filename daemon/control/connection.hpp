#pragma once
// One control client. Only moves bytes: reads lines (1 MiB cap, common/protocol's
// LineBuffer), hands each to the RequestHandler, writes answers in order. One request at a
// time per connection: the next line is taken once the previous answer is written, so a
// start that waits for RUNNING delays only its own client, and a client that does not read
// its answers is not read either.
// Lifetime: shared_ptr; every async op holds `self`. The ControlServer owns the set. Each
// holds a ClientPool slot, busy while a request is being handled or its answer written.
// A client whose first byte is an uppercase letter (an HTTP method) speaks HTTP (SPEC.md:
// Debian's supervisorctl on the control socket): the socket goes to an HttpSession this
// Connection owns from then on.

#include "common/protocol/protocol.hpp"
#include "daemon/control/access_policy.hpp"
#include "daemon/control/client_pool.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/http/http_session.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace konnect {

class RequestHandler;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  // idle_timeout: how long it may stay without sending a complete request while nothing is
  // being answered.
  // http: where a client that speaks HTTP goes (none: every client speaks JSON lines).
  Connection(Socket socket, RequestHandler& handler, std::function<void(Connection*)> on_close,
             std::chrono::milliseconds idle_timeout, HttpService* http = nullptr);

  // access: what the peer may do (AccessPolicy).
  void start(ClientPool::Slot slot, Access access);
  // Closes the socket; pending handlers see operation_aborted.
  void stop();
  // Refused at accept (never started): tells the peer why, if it can be told without
  // waiting, and closes.
  void refuse(const Error& why);
  // Its slot went to a newcomer (ClientPool): the same, then on_close.
  void evict(const Error& why);
  // Closes once every queued answer is written (daemon shutdown). True if closed now.
  bool stop_after_flush();

 private:
  void do_read();
  void process_lines();
  void send(std::string line);
  void send_streamed(std::string line);
  void do_write();
  void close();
  void arm_idle();
  void update_slot();
  void notify_and_stop(const Error& why);
  void become_http(std::string_view first_bytes);

  Socket socket_;
  ClientPool::Slot slot_;
  boost::asio::steady_timer idle_;
  std::uint64_t idle_generation_ = 0;
  std::chrono::milliseconds idle_timeout_;
  Access access_ = Access::None;
  RequestHandler& handler_;
  std::function<void(Connection*)> on_close_;
  std::function<void()> on_gone_;  // the streamed answer's (Responder::on_gone)
  HttpService* http_service_ = nullptr;
  std::shared_ptr<HttpSession> http_;  // once the client turned out to speak HTTP
  bool first_read_ = true;
  std::array<char, 16384> read_buffer_{};
  LineBuffer lines_;
  std::deque<std::string> write_queue_;
  bool reading_ = false;
  bool awaiting_answer_ = false;  // a request is being handled
  bool peer_closed_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool streaming_ = false;        // answering tail -f: no further requests on this connection
  std::size_t queued_bytes_ = 0;  // in write_queue_
  std::size_t skipped_ = 0;       // stream answers dropped because the client is slow
  static constexpr std::size_t kMaxStreamQueue = 4 * 1024 * 1024;
};

}  // namespace konnect
