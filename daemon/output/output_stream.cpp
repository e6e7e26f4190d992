#include "daemon/output/output_stream.hpp"

#include "common/time_text.hpp"

#include <boost/asio/post.hpp>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>

namespace konnect {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;  // the paths through user space
constexpr auto kRetryAfter = std::chrono::seconds(1);

// "2026-11-28T03:40:56.123Z " (RFC 3339, UTC, milliseconds).
std::string timestamp_prefix() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return utc_text(std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000) + ' ';
}

}  // namespace

OutputPump::Source::Source(boost::asio::io_context& io, Stream& stream, SourceId id, int read_fd)
    : stream_(stream), id_(id), pipe_(io, read_fd), room_timer_(io) {
  if (stream.console()) lines_.emplace(stream.options_.label, stream.options_.timestamps);
}
void OutputPump::Source::wait() {
  pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& ec) {
                     if (ec) return;  // closed (pump stopping)
                     self->move(kBudgetPerWakeup);
                   });
}

// Moves up to `budget` bytes; then waits for more (or for the stream's retry after an error).
void OutputPump::Source::move(std::size_t budget) {
  if (!pipe_.is_open()) return;  // stopped while a retry or a posted turn was queued
  if (waiting_room_) return;     // room_came() moves it again
  Stream& stream = stream_;
  if (stream.retrying_ && pending_.empty()) return;  // the retry moves every source again
  const std::uint64_t rotations = stream.rotations();
  auto moved = transfer(budget);
  stream.moved_by(moved, rotations);
  if (!moved) return stream.fail(moved.error());
  if (waiting_room_) return;             // the console calls back, or the stall timer
  if (eof_) return stream.remove(this);  // the last of it is in the file
  if (*moved < budget) return wait();    // drained to EAGAIN: the next write wakes us
  // The budget ran out with bytes still in the pipe. Asio waits edge-triggered, so a wait
  // now would sleep until the next write; come back after the other streams had a turn.
  boost::asio::post(pipe_.get_executor(), [self = shared_from_this(), budget] { self->move(budget); });
}

// The bytes move; an error leaves what was not written in pending_, to be written first next
// time. Returns the bytes taken from the pipe; fewer than budget means it is empty now (or
// has no writer left: eof_).
Result<std::size_t> OutputPump::Source::transfer(std::size_t budget) {
  Stream& stream = stream_;
  LogFile* file = stream.file_.get();  // null: the console
  if (stream.console() && !push_console()) {
    wait_for_room();
    return std::size_t{0};
  }
  if (!pending_.empty() && file) {
    // Taken back from the staging pipe: still as in the program's pipe, so what reading does
    // to bytes (a stamp, a copy to tail -f) happens once there is a reason to.
    if (pending_unread_ && (stream.following_ || stream.options_.timestamps)) {
      pending_unread_ = false;
      if (stream.options_.timestamps) pending_ = stamp(pending_);
      stream.to_followers(pending_);
    }
    std::string_view rest(pending_);
    auto r = file->write(rest);
    pending_.erase(0, pending_.size() - rest.size());
    if (pending_.empty()) pending_unread_ = false;
    if (!r) return r.error();
  }
  std::size_t moved = 0;
  while (moved < budget) {
    if (!stream.console() && !stream.options_.timestamps && !stream.following_ && !watch_) {
      auto n = splice_to(*file, budget - moved);
      if (!n) return n.error();
      if (*n == 0) break;
      moved += *n;
      continue;
    }
    // One buffer for every stream: they all run on this one thread.
    static thread_local char buffer[kReadChunk];
    const ssize_t n = ::read(pipe_.native_handle(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      eof_ = true;
      finish_line();
      if (!pending_.empty()) wait_for_room();  // the source goes once its last line is out
    }
    if (n <= 0) break;  // EAGAIN: empty
    moved += static_cast<std::size_t>(n);
    const std::string_view chunk(buffer, static_cast<std::size_t>(n));
    if (watch_ && watch_->lines.feed(chunk)) matched();
    if (stream.console()) {
      to_console(chunk);
      if (!pending_.empty()) {
        wait_for_room();
        break;
      }
      continue;
    }
    pending_ = stream.options_.timestamps ? stamp(chunk) : std::string(chunk);
    stream.to_followers(pending_);
    std::string_view rest(pending_);
    auto r = file->write(rest);
    pending_.erase(0, pending_.size() - rest.size());
    if (!r) return r.error();
  }
  return moved;
}

// No copy in user space: the pipe's pages go to the pump's staging pipe, and the kernel copies
// them into the file from there, with the program's pipe free to be written meanwhile (see
// staging_pipe.hpp). What a failed write leaves is kept in pending_, written first next time.
Result<std::size_t> OutputPump::Source::splice_to(LogFile& file, std::size_t max) {
  StagingPipe& staging = stream_.pump_.staging_;
  if (!staging.open()) return file.splice_from(pipe_.native_handle(), max, &eof_);
  auto n = staging.fill_from(pipe_.native_handle(), max, &eof_);
  if (!n || *n == 0) return n;
  for (std::size_t left = *n; left > 0;) {
    auto w = file.splice_from(staging.read_fd(), left);
    if (w && *w == 0) w = make_error(ErrorCode::Io, "cannot write log file '" + file.path().string() + "': no progress");
    if (!w) {
      pending_ = staging.take_rest();
      pending_unread_ = true;
      return w.error();
    }
    left -= *w;
  }
  return n;
}

// The watched pattern matched a line: tell the main loop once, and splice again.
void OutputPump::Source::matched() {
  stream_.pump_.post_main([on_match = std::move(watch_->on_match)] { on_match(); });
  watch_.reset();
}

// Prefixes every line start in data with the current time; a line cut between two reads gets
// one prefix, at its start.
std::string OutputPump::Source::stamp(std::string_view data) {
  const std::string prefix = timestamp_prefix();
  std::string out;
  out.reserve(data.size() + prefix.size() * 4);
  while (!data.empty()) {
    if (at_line_start_) out += prefix;
    const auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      out.append(data);
      at_line_start_ = false;
      break;
    }
    out.append(data.substr(0, nl + 1));
    data.remove_prefix(nl + 1);
    at_line_start_ = true;
  }
  return out;
}

void OutputPump::Source::to_console(std::string_view chunk) {
  Stream& stream = stream_;
  stream.to_followers(chunk);
  lines_->set_timestamps(stream.options_.timestamps);
  lines_->feed(chunk, pending_);
  stream.console_written_ += chunk.size();
  push_console();
}

bool OutputPump::Source::push_console() {
  if (pending_.empty()) return true;
  Stream& stream = stream_;
  if (stream.draining_) {
    stream.console_->put_all(pending_, stream.options_.label);
    pending_.clear();
    return true;
  }
  pending_.erase(0, stream.console_->put(pending_, stream.options_.label));
  return pending_.empty();
}

void OutputPump::Source::wait_for_room() {
  if (waiting_room_) return;
  waiting_room_ = true;
  const std::uint64_t token = ++room_token_;
  const std::weak_ptr<Source> weak = shared_from_this();
  // From the Console's thread, maybe after the pump is gone: through the pump's gate.
  stream_.console_->when_room([weak, gate = stream_.pump_.gate_, token] {
    std::lock_guard<std::mutex> lock(gate->mutex);
    if (!gate->open) return;
    boost::asio::post(gate->executor, [weak, token] {
      if (auto self = weak.lock()) self->room_came(token);
    });
  });
  // No room by then: the console may have stalled, and put() drops rather than wait.
  room_timer_.expires_after(Console::kDefaultStallAfter + std::chrono::milliseconds(10));
  room_timer_.async_wait([weak, token](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->room_came(token);
  });
}

void OutputPump::Source::room_came(std::uint64_t token) {
  if (!waiting_room_ || token != room_token_) return;
  waiting_room_ = false;
  room_timer_.cancel();
  move(kBudgetPerWakeup);
}

void OutputPump::Source::finish_line() {
  if (!lines_) return;
  lines_->finish(pending_);
  push_console();
}

OutputPump::Stream::Stream(boost::asio::io_context& io, OutputPump& pump, StreamId id, StreamOptions options,
                           std::unique_ptr<LogFile> file)
    : io_(io), pump_(pump), id_(id), options_(std::move(options)), file_(std::move(file)), retry_(io) {
  if (!file_) console_ = &Console::of(options_.console);
}

void OutputPump::Stream::add(SourceId id, int read_fd, bool at_line_start, std::string partial_line) {
  auto source = std::make_shared<Source>(io_, *this, id, read_fd);
  source->at_line_start_ = at_line_start;
  if (source->lines_) source->lines_->set_partial(std::move(partial_line));
  sources_.push_back(source);
  source->wait();
}

OutputPump::Source* OutputPump::Stream::find(SourceId id) {
  for (auto& s : sources_) {
    if (s->id_ == id) return s.get();
  }
  return nullptr;
}

void OutputPump::Stream::to_followers(std::string_view data) {
  if (!following_) return;
  pump_.post_main([&pump = pump_, id = id_, data = std::string(data)]() mutable {
    if (pump.events_.on_data) pump.events_.on_data(id, std::move(data));
  });
}

void OutputPump::Stream::stop() {
  boost::system::error_code ec;
  for (auto& s : sources_) {
    s->pipe_.close(ec);
    s->room_timer_.cancel();
  }
  retry_.cancel();
}

void OutputPump::Stream::remove(const Source* source) {
  std::erase_if(sources_, [&](const auto& s) { return s.get() == source; });
}

void OutputPump::Stream::moved_by(const Result<std::size_t>& moved, std::uint64_t rotations_before) {
  if (rotations() != rotations_before) {
    pump_.post_main([&pump = pump_, id = id_, n = rotations() - rotations_before] {
      if (pump.events_.on_rotated) pump.events_.on_rotated(id, n);
    });
  }
  if (moved && failing_) {
    failing_ = false;
    pump_.post_main([&pump = pump_, id = id_] {
      if (pump.events_.on_recovered) pump.events_.on_recovered(id);
    });
  }
}

void OutputPump::Stream::fail(const Error& error) {
  if (!failing_) {
    failing_ = true;
    pump_.post_main([&pump = pump_, id = id_, error] {
      if (pump.events_.on_error) pump.events_.on_error(id, error);
    });
  }
  if (retrying_) return;
  retrying_ = true;
  retry_.expires_after(kRetryAfter);
  retry_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    self->retrying_ = false;
    const auto sources = self->sources_;  // a turn may remove one
    for (const auto& s : sources) s->move(kBudgetPerWakeup);
  });
}

void OutputPump::Stream::drain(bool end_lines) {
  const auto sources = sources_;
  draining_ = true;
  for (const auto& s : sources) {
    if (auto r = s->transfer(SIZE_MAX); !r) break;  // reported already or lost with the error
    if (end_lines) s->finish_line();
  }
  draining_ = false;
}

}  // namespace konnect
