#pragma once
// One HTTP/1.1 client (Boost.Beast), on the control socket, [konnectd] supervisor_socket or
// [konnectd] http: reads one request at a time within limits (8 KiB of headers, 4 MiB of
// body), hands it to the HttpService and writes its answer, keeping the connection alive as
// long as the client asks. A client that sends no complete request within the idle timeout
// is closed; so is one that breaks the protocol, after a 400 (431, 413 for the limits).
// Only moves bytes, as the control protocol's Connection does; lifetime by shared_ptr, each
// async operation holds `self`.

#include "daemon/http/http_request.hpp"
#include "daemon/http/http_service.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace konnect {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  // What the listener learns of the session: busy (a request is being answered: not to be
  // evicted for a newcomer) and closed (once, whatever closed it).
  struct Hooks {
    std::function<void(bool busy)> set_busy;
    std::function<void()> on_close;
  };

  HttpSession(Socket socket, HttpService& service, HttpPeer peer, HttpLimits limits, Hooks hooks);

  // already_read: the bytes a listener read before it knew this was HTTP (the control
  // socket's first read).
  void start(std::string_view already_read = {});
  void stop();
  // Answers at once with response and closes (a client the listener cannot take).
  void refuse_now(HttpResponse response);

 private:
  void do_read();
  void on_request();
  // prepare: set Content-Length from the body (not for HEAD's empty one).
  void respond(HttpResponse response, bool close_after, bool prepare = true);
  void refuse(HttpStatus status, std::string why);
  void arm_deadline();
  void disarm_deadline();
  void close();
  // A streamed answer (HttpReply::begin_stream, chunk): chunked transfer encoding (raw for
  // an HTTP/1.0 client), at most kMaxStreamQueue bytes queued for a client that reads
  // slower than the log grows (the rest is skipped), and the end of the connection after.
  void begin_stream(HttpResponse head, unsigned version);
  bool queue_chunk(std::string data);
  void do_write_stream();
  void watch_peer();

  Socket socket_;
  HttpService& service_;
  HttpPeer peer_;
  HttpLimits limits_;
  Hooks hooks_;
  boost::asio::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  std::optional<HttpRequestParser> parser_;
  bool closed_ = false;
  std::uint64_t deadline_generation_ = 0;
  bool streaming_ = false;
  bool stream_chunked_ = true;
  bool stream_ending_ = false;
  bool stream_writing_ = false;
  std::deque<std::string> stream_queue_;
  std::size_t stream_queued_ = 0;
  std::function<void()> on_gone_;
  std::array<char, 512> peer_buffer_{};
  static constexpr std::size_t kMaxStreamQueue = 4 * 1024 * 1024;
};

}  // namespace konnect
