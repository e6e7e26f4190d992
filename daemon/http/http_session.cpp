#include "daemon/http/http_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <boost/asio/write.hpp>

#include <cstdio>
#include <cstring>
#include <sstream>

namespace konnect {

namespace http = boost::beast::http;

HttpSession::HttpSession(Socket socket, HttpService& service, HttpPeer peer, HttpLimits limits, Hooks hooks)
    : socket_(std::move(socket)),
      service_(service),
      peer_(peer),
      limits_(limits),
      hooks_(std::move(hooks)),
      deadline_(socket_.get_executor()) {}

void HttpSession::start(std::string_view already_read) {
  if (!already_read.empty()) {
    auto space = buffer_.prepare(already_read.size());
    std::memcpy(space.data(), already_read.data(), already_read.size());
    buffer_.commit(already_read.size());
  }
  do_read();
}

void HttpSession::arm_deadline() {
  // The whole request, headers and body, must come within the idle timeout: a client that
  // trickles bytes is not kept for ever.
  // A generation, not cancel(): a firing already queued when the request completed must not
  // close the session that is answering it.
  const std::uint64_t generation = ++deadline_generation_;
  deadline_.expires_after(limits_.idle_timeout);
  deadline_.async_wait([self = shared_from_this(), generation](const boost::system::error_code& ec) {
    if (!ec && generation == self->deadline_generation_) self->close();
  });
}

void HttpSession::do_read() {
  if (closed_) return;
  if (hooks_.set_busy) hooks_.set_busy(false);
  parser_.emplace();
  apply_limits(*parser_, limits_);
  arm_deadline();
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                     if (self->closed_) return;
                     self->disarm_deadline();
                     if (!ec) return self->on_request();
                     if (ec == http::error::header_limit) {
                       return self->refuse(HttpStatus::request_header_fields_too_large,
                                           "request headers over " + std::to_string(self->limits_.header_bytes) + " bytes\n");
                     }
                     if (ec == http::error::body_limit) {
                       return self->refuse(HttpStatus::payload_too_large,
                                           "request body over " + std::to_string(self->limits_.body_bytes) + " bytes\n");
                     }
                     if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
                         ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset) {
                       return self->close();
                     }
                     self->refuse(HttpStatus::bad_request, "not an HTTP/1.1 request: " + ec.message() + "\n");
                   });
}

void HttpSession::on_request() {
  if (hooks_.set_busy) hooks_.set_busy(true);
  HttpRequest req = parser_->release();
  // HEAD gets the head alone, and then the connection closes (nothing here is for HEAD).
  const bool head = req.method() == boost::beast::http::verb::head;
  const bool keep_alive = req.keep_alive() && !head;
  const unsigned version = req.version();
  std::weak_ptr<HttpSession> weak = shared_from_this();
  HttpReply reply;
  reply.respond = [weak, keep_alive, head](HttpResponse response) {
    if (head) {
      response.prepare_payload();
      const auto length = response.body().size();
      response.body().clear();
      response.content_length(length);
      if (auto self = weak.lock()) self->respond(std::move(response), true, false);
      return;
    }
    if (auto self = weak.lock()) self->respond(std::move(response), !keep_alive);
  };
  reply.begin_stream = [weak, version](HttpResponse head) {
    if (auto self = weak.lock()) self->begin_stream(std::move(head), version);
  };
  reply.chunk = [weak](std::string data) {
    auto self = weak.lock();
    return self && self->queue_chunk(std::move(data));
  };
  reply.on_gone = [weak](std::function<void()> gone) {
    auto self = weak.lock();
    if (!self || self->closed_) return gone();
    self->on_gone_ = std::move(gone);
  };
  service_.handle(req, peer_, std::move(reply));
}

void HttpSession::begin_stream(HttpResponse head, unsigned version) {
  if (closed_) return;
  streaming_ = true;
  disarm_deadline();  // a tail -f is not idle (only a write it does not take is)
  stream_chunked_ = version >= 11;
  head.keep_alive(false);
  if (stream_chunked_) head.chunked(true);
  std::ostringstream text;
  text << head.base();
  stream_queue_.push_back(text.str());
  stream_queued_ += stream_queue_.back().size();
  do_write_stream();
  watch_peer();
}

bool HttpSession::queue_chunk(std::string data) {
  if (closed_ || !streaming_ || stream_ending_) return false;
  if (data.empty()) {
    stream_ending_ = true;
    if (stream_chunked_) stream_queue_.push_back("0\r\n\r\n");
  } else {
    if (stream_queued_ > kMaxStreamQueue) return true;  // skipped: the client reads too slowly
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    if (stream_chunked_) data = size + data + "\r\n";
    stream_queued_ += data.size();
    stream_queue_.push_back(std::move(data));
  }
  do_write_stream();
  return true;
}

void HttpSession::do_write_stream() {
  if (stream_writing_ || closed_) return;
  if (stream_queue_.empty()) {
    if (stream_ending_) close();
    return;
  }
  stream_writing_ = true;
  arm_deadline();  // a client that stops reading is closed, not kept with its slot busy
  boost::asio::async_write(socket_, boost::asio::buffer(stream_queue_.front()),
                           [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                             self->stream_writing_ = false;
                             self->disarm_deadline();
                             if (ec) return self->close();
                             self->stream_queued_ -= self->stream_queue_.front().size();
                             self->stream_queue_.pop_front();
                             self->do_write_stream();
                           });
}

// A streaming client has nothing more to say: a read ends only when it goes.
void HttpSession::watch_peer() {
  socket_.async_read_some(boost::asio::buffer(peer_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                            if (ec) return self->close();
                            self->watch_peer();
                          });
}

void HttpSession::refuse(HttpStatus status, std::string why) {
  if (hooks_.set_busy) hooks_.set_busy(true);
  respond(HttpService::text_response(status, 11, std::move(why)), true);
}

void HttpSession::respond(HttpResponse response, bool close_after, bool prepare) {
  if (closed_) return;
  response.keep_alive(!close_after);
  if (prepare) response.prepare_payload();
  auto message = std::make_shared<HttpResponse>(std::move(response));
  // The answer must go out within the idle timeout too: a client that does not read is closed.
  arm_deadline();
  http::async_write(socket_, *message,
                    [self = shared_from_this(), message, close_after](const boost::system::error_code& ec, std::size_t) {
                      self->disarm_deadline();
                      if (ec || close_after) return self->close();
                      self->do_read();
                    });
}

void HttpSession::disarm_deadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

void HttpSession::refuse_now(HttpResponse response) { respond(std::move(response), true); }

void HttpSession::stop() {
  if (closed_) return;
  closed_ = true;
  deadline_.cancel();
  boost::system::error_code ec;
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
  if (on_gone_) {
    auto gone = std::move(on_gone_);
    on_gone_ = nullptr;
    gone();
  }
}

void HttpSession::close() {
  if (closed_) return;
  stop();
  if (hooks_.on_close) {
    auto on_close = std::move(hooks_.on_close);
    hooks_.on_close = nullptr;
    on_close();
  }
}

}  // namespace konnect
