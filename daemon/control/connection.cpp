#include "daemon/control/connection.hpp"

#include "daemon/control/request_handler.hpp"

#include <boost/asio/write.hpp>

#include <linux/sockios.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace konnect {

Connection::Connection(Socket socket, RequestHandler& handler, std::function<void(Connection*)> on_close,
                       std::chrono::milliseconds idle_timeout, HttpService* http)
    : socket_(std::move(socket)),
      idle_(socket_.get_executor()),
      idle_timeout_(idle_timeout),
      handler_(handler),
      on_close_(std::move(on_close)),
      http_service_(http) {}

void Connection::start(ClientPool::Slot slot, Access access) {
  slot_ = std::move(slot);
  access_ = access;
  arm_idle();
  do_read();
}

void Connection::arm_idle() {
  // Only while the client owes us a request: not while an answer is pending or streaming.
  const std::uint64_t generation = ++idle_generation_;
  update_slot();
  if (awaiting_answer_ || streaming_ || closed_) {
    idle_.cancel();
    return;
  }
  idle_.expires_after(idle_timeout_);
  idle_.async_wait([this, self = shared_from_this(), generation](const boost::system::error_code& ec) {
    if (ec || closed_ || generation != idle_generation_) return;
    if (awaiting_answer_ || streaming_) return;
    close();
  });
}

bool Connection::stop_after_flush() {
  slot_.release();  // shutting down: nobody is admitted any more
  if (http_) return false;  // its answer may be on its way (supervisorctl shutdown's)
  if (write_queue_.empty()) {
    stop();
    return true;
  }
  close_after_flush_ = true;
  return false;
}

void Connection::stop() {
  closed_ = true;
  slot_.release();
  idle_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
  if (http_) http_->stop();
  if (on_gone_) {
    auto gone = std::move(on_gone_);
    on_gone_ = nullptr;
    gone();
  }
}

void Connection::update_slot() {
  // In flight until the answer is written: evicting it then would cut the answer short.
  slot_.set_busy(awaiting_answer_ || streaming_ || !write_queue_.empty());
}

void Connection::refuse(const Error& why) { notify_and_stop(why); }

void Connection::evict(const Error& why) {
  if (closed_) return;
  notify_and_stop(why);
  if (on_close_) on_close_(this);
}

void Connection::notify_and_stop(const Error& why) {
  // Only between answers (a half-written one must not be cut by ours), only when the peer
  // has read everything before (so the line fits whole), and without waiting: a peer we are
  // closing on gets no wait.
  int unread = -1;
  if (write_queue_.empty() && ::ioctl(socket_.native_handle(), SIOCOUTQ, &unread) == 0 && unread == 0) {
    const std::string line = encode_error(nullptr, why);
    [[maybe_unused]] const ssize_t n = ::send(socket_.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  stop();
}

void Connection::do_read() {
  if (reading_ || closed_ || peer_closed_) return;
  reading_ = true;
  socket_.async_read_some(boost::asio::buffer(read_buffer_),
                          [this, self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                            reading_ = false;
                            if (ec == boost::asio::error::operation_aborted || closed_) return;
                            // Bytes of a partial line do not count as progress: the idle
                            // time runs until a whole request (a slow sender is idle too).
                            if (ec) {
                              // EOF or error: answer what was asked, then go. A stream
                              // (tail -f) has no end of its own: it ends here.
                              peer_closed_ = true;
                              if (streaming_ || (!awaiting_answer_ && write_queue_.empty())) close();
                              return;
                            }
                            if (first_read_) {
                              first_read_ = false;
                              // An HTTP request begins with its method (GET, POST...); a
                              // JSON request with '{' (docs/protocol.md "HTTP").
                              if (http_service_ && n > 0 && read_buffer_[0] >= 'A' && read_buffer_[0] <= 'Z') {
                                return become_http(std::string_view(read_buffer_.data(), n));
                              }
                            }
                            if (streaming_) {
                              do_read();  // only to see the client go; it has nothing more to ask
                              return;
                            }
                            lines_.append(std::string_view(read_buffer_.data(), n));
                            process_lines();
                          });
}

void Connection::process_lines() {
  // One request at a time, and the next only once the previous answer is written: a client
  // that never reads its answers stops being read (bounded memory), and every request
  // costs at least one trip through the loop (no client starves the others).
  for (;;) {
    if (awaiting_answer_ || closed_ || !write_queue_.empty()) return;
    std::string line;
    switch (lines_.next_line(line)) {
      case LineBuffer::Status::NeedMore:
        if (peer_closed_) {
          close();
        } else {
          do_read();
        }
        return;
      case LineBuffer::Status::Overflow:
        send(encode_error(nullptr, make_error(ErrorCode::RequestTooLarge, "request larger than 1 MiB")));
        return;
      case LineBuffer::Status::Line:
        if (line.find_first_not_of(" \t") == std::string::npos) {
          arm_idle();  // a blank line keeps the connection alive, as a request would
          continue;
        }
        awaiting_answer_ = true;
        arm_idle();  // cancels: answering is not idle
        handler_.handle_line(line, access_,
                             Responder(
                                 [weak = weak_from_this()](std::string answer, bool more) {
                                   auto self = weak.lock();
                                   if (!self || self->closed_) return false;
                                   if (!more) {
                                     self->awaiting_answer_ = false;
                                     self->on_gone_ = nullptr;
                                     // The end of a stream (wait) ends the connection: it took
                                     // no requests while streaming and does not start again.
                                     if (self->streaming_) self->close_after_flush_ = true;
                                     self->arm_idle();
                                     self->send(std::move(answer));
                                     return true;
                                   }
                                   self->send_streamed(std::move(answer));
                                   return true;
                                 },
                                 [weak = weak_from_this()](std::function<void()> gone) {
                                   auto self = weak.lock();
                                   if (!self || self->closed_) return gone();
                                   self->on_gone_ = std::move(gone);
                                 },
                                 [weak = weak_from_this()]() -> int {
                                   auto self = weak.lock();
                                   if (!self || self->closed_) return -1;
                                   return ::fcntl(self->socket_.native_handle(), F_DUPFD_CLOEXEC, 3);
                                 }));
        return;
    }
  }
}

void Connection::send_streamed(std::string line) {
  // A follower that reads slower than the log grows gets gaps, never unbounded memory.
  if (!streaming_) {
    streaming_ = true;
    do_read();
  }
  if (queued_bytes_ > kMaxStreamQueue) {
    ++skipped_;
    return;
  }
  if (skipped_ > 0) {
    nlohmann::json note = {{"ok", true}, {"result", {{"skipped", skipped_}, {"more", true}}}};
    skipped_ = 0;
    send(note.dump() + "\n");
  }
  send(std::move(line));
}

void Connection::send(std::string line) {
  queued_bytes_ += line.size();
  write_queue_.push_back(std::move(line));
  if (write_queue_.size() == 1) {
    update_slot();
    do_write();
  }
}

void Connection::do_write() {
  boost::asio::async_write(socket_, boost::asio::buffer(write_queue_.front()),
                           [this, self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                             if (ec == boost::asio::error::operation_aborted || closed_) return;
                             if (ec) {
                               close();
                               return;
                             }
                             queued_bytes_ -= write_queue_.front().size();
                             write_queue_.pop_front();
                             if (!write_queue_.empty()) {
                               do_write();
                               return;
                             }
                             update_slot();
                             if (close_after_flush_) {
                               close();
                             } else if (!streaming_) {
                               process_lines();
                             }
                           });
}

void Connection::become_http(std::string_view first_bytes) {
  ++idle_generation_;  // the session keeps its own time from now on
  idle_.cancel();
  boost::system::error_code ec;
  const int fd = socket_.release(ec);
  if (ec) return close();
  HttpSession::Socket socket(socket_.get_executor());
  socket.assign(boost::asio::generic::stream_protocol(AF_UNIX, 0), fd, ec);
  if (ec) {
    ::close(fd);
    return close();
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  HttpLimits limits;
  limits.idle_timeout = idle_timeout_;
  http_ = std::make_shared<HttpSession>(std::move(socket), *http_service_, HttpPeer{access_}, limits,
                                        HttpSession::Hooks{[weak](bool busy) {
                                                             if (auto self = weak.lock()) self->slot_.set_busy(busy);
                                                           },
                                                           [weak] {
                                                             if (auto self = weak.lock()) self->close();
                                                           }});
  http_->start(first_bytes);
}

void Connection::close() {
  if (closed_) return;
  stop();
  if (on_close_) on_close_(this);
}

}  // namespace konnect
