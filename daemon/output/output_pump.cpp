#include "daemon/output/output_pump.hpp"

#include "common/time_text.hpp"
#include "daemon/output/line_watch.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/log_tail.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace konnect {
namespace {

constexpr std::size_t kPipeSize = 1024 * 1024;          // F_SETPIPE_SZ; pipe-max-size by default
constexpr std::size_t kBudgetPerWakeup = 4 * 1024 * 1024;  // then other streams get a turn
constexpr std::size_t kReadChunk = 64 * 1024;           // timestamp path
constexpr auto kRetryAfter = std::chrono::seconds(1);

// "2026-11-28T03:40:56.123Z " (RFC 3339, UTC, milliseconds).
std::string timestamp_prefix() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return utc_text(std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000) + ' ';
}

}  // namespace

// One pipe -> one file, on the pump thread.
struct OutputPump::Stream : std::enable_shared_from_this<Stream> {
  Stream(boost::asio::io_context& io, OutputPump& pump, StreamId id, StreamOptions options, int read_fd,
         std::unique_ptr<LogFile> file)
      : pump_(pump),
        id_(id),
        options_(std::move(options)),
        pipe_(io, read_fd),
        file_(std::move(file)),
        retry_(io) {}

  void start() { wait(); }

  void stop() {
    boost::system::error_code ec;
    pipe_.close(ec);
    retry_.cancel();
  }

  void wait() {
    pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec) return;  // closed (pump stopping)
                       self->move(kBudgetPerWakeup);
                     });
  }

  // Moves up to `budget` bytes; then waits for more (or for the retry after an error).
  void move(std::size_t budget) {
    if (!pipe_.is_open()) return;  // stopped while a retry or a posted turn was queued
    const std::uint64_t rotations = file_->rotations();
    auto moved = transfer(budget);
    if (file_->rotations() != rotations) {
      pump_.post_main([&pump = pump_, id = id_, n = file_->rotations() - rotations] {
        if (pump.events_.on_rotated) pump.events_.on_rotated(id, n);
      });
    }
    if (!moved) {
      fail(moved.error());
      return;
    }
    if (failing_) {
      failing_ = false;
      pump_.post_main([&pump = pump_, id = id_] {
        if (pump.events_.on_recovered) pump.events_.on_recovered(id);
      });
    }
    if (*moved < budget) return wait();  // drained to EAGAIN: the next write wakes us
    // The budget ran out with bytes still in the pipe. Asio waits edge-triggered, so a wait
    // now would sleep until the next write; come back after the other streams had a turn.
    boost::asio::post(pipe_.get_executor(), [self = shared_from_this(), budget] { self->move(budget); });
  }

  // The bytes move; an error leaves what was not written in pending_ (timestamp path) or
  // in the pipe (splice path).
  // Returns the bytes taken from the pipe; fewer than budget means it is empty now.
  Result<std::size_t> transfer(std::size_t budget) {
    if (!pending_.empty()) {
      std::string_view rest(pending_);
      auto r = file_->write(rest);
      pending_.erase(0, pending_.size() - rest.size());
      if (!r) return r.error();
    }
    std::size_t moved = 0;
    while (moved < budget) {
      if (!options_.timestamps && !following_ && !watch_) {
        auto n = file_->splice_from(pipe_.native_handle(), budget - moved);
        if (!n) return n.error();
        if (*n == 0) break;
        moved += *n;
        continue;
      }
      // One buffer for every stream: they all run on this one thread.
      static thread_local char buffer[kReadChunk];
      const ssize_t n = ::read(pipe_.native_handle(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: empty
      moved += static_cast<std::size_t>(n);
      const std::string_view chunk(buffer, static_cast<std::size_t>(n));
      if (watch_ && watch_->lines.feed(chunk)) matched();
      pending_ = options_.timestamps ? stamp(chunk) : std::string(chunk);
      if (following_) {
        pump_.post_main([&pump = pump_, id = id_, data = pending_]() mutable {
          if (pump.events_.on_data) pump.events_.on_data(id, std::move(data));
        });
      }
      std::string_view rest(pending_);
      auto r = file_->write(rest);
      pending_.erase(0, pending_.size() - rest.size());
      if (!r) return r.error();
    }
    return moved;
  }

  // The watched pattern matched a line: tell the main loop once, and splice again.
  void matched() {
    pump_.post_main([on_match = std::move(watch_->on_match)] { on_match(); });
    watch_.reset();
  }

  // Prefixes every line start in data with the current time; a line cut between two reads
  // gets one prefix, at its start.
  std::string stamp(std::string_view data) {
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

  void fail(const Error& error) {
    if (!failing_) {
      failing_ = true;
      pump_.post_main([&pump = pump_, id = id_, error] {
        if (pump.events_.on_error) pump.events_.on_error(id, error);
      });
    }
    retry_.expires_after(kRetryAfter);
    retry_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->move(kBudgetPerWakeup);
    });
  }

  // Drain at shutdown: everything in the pipe now, whatever the budget.
  void drain() {
    if (auto r = transfer(SIZE_MAX); !r) return;  // reported already or lost with the error
  }

  OutputPump& pump_;
  StreamId id_;
  StreamOptions options_;
  boost::asio::posix::stream_descriptor pipe_;
  std::unique_ptr<LogFile> file_;
  boost::asio::steady_timer retry_;
  bool at_line_start_ = true;
  bool failing_ = false;
  bool following_ = false;
  std::string pending_;
  struct Watch {
    std::uint64_t token;
    LineWatch lines;
    std::function<void()> on_match;
  };
  std::optional<Watch> watch_;
};

OutputPump::OutputPump(boost::asio::any_io_executor main_executor, Events events)
    : main_(std::move(main_executor)),
      events_(std::move(events)),
      work_(boost::asio::make_work_guard(io_)),
      thread_([this] { io_.run(); }) {}

OutputPump::~OutputPump() {
  boost::asio::post(io_, [this] {
    for (auto& [id, stream] : streams_) {
      stream->drain();
      stream->stop();
    }
    streams_.clear();
  });
  work_.reset();
  thread_.join();
}

void OutputPump::post_main(std::function<void()> fn) { boost::asio::post(main_, std::move(fn)); }

Result<OutputPump::Added> OutputPump::add_stream(StreamOptions options) {
  // The file is opened here, on the main loop, so a path that cannot be written is the
  // spawn's error at once (one open(2); everything after it is on the pump thread).
  auto file = std::make_unique<LogFile>(options.path, options.maxbytes, options.backups);
  if (auto r = file->open(); !r) return r.error();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return make_error(ErrorCode::Io, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  ::fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(kPipeSize));  // best effort
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);                       // the child's end stays blocking
  const StreamId id = next_id_++;
  paths_[id] = options.path;
  boost::asio::post(io_, [this, id, options = std::move(options), fd = fds[0], f = file.release()]() mutable {
    auto stream = std::make_shared<Stream>(io_, *this, id, std::move(options), fd, std::unique_ptr<LogFile>(f));
    streams_.emplace(id, stream);
    stream->start();
  });
  return Added{id, fds[1]};
}

void OutputPump::reopen_all(std::function<void(std::vector<Error>)> done) {
  boost::asio::post(io_, [this, done = std::move(done)]() mutable {
    std::vector<Error> errors;
    for (auto& [id, stream] : streams_) {
      if (auto r = stream->file_->reopen(); !r) errors.push_back(r.error());
    }
    post_main([done = std::move(done), errors = std::move(errors)] { done(errors); });
  });
}

void OutputPump::clear(StreamId id, std::function<void(Result<void>)> done) {
  boost::asio::post(io_, [this, id, done = std::move(done)]() mutable {
    Result<void> result = make_error(ErrorCode::Internal, "no such log stream");
    if (auto it = streams_.find(id); it != streams_.end()) result = it->second->file_->truncate();
    post_main([done = std::move(done), result] { done(result); });
  });
}

void OutputPump::tail_file(std::filesystem::path path, std::size_t lines, std::size_t max_bytes,
                           std::function<void(Result<std::string>)> done, std::optional<StreamId> follow) {
  boost::asio::post(io_, [this, path = std::move(path), lines, max_bytes, done = std::move(done), follow]() mutable {
    auto result = read_tail(path, lines, max_bytes);
    if (follow && result) {
      if (auto it = streams_.find(*follow); it != streams_.end()) it->second->following_ = true;
    }
    post_main([done = std::move(done), result = std::move(result)] { done(result); });
  });
}

void OutputPump::set_following(StreamId id, bool following) {
  boost::asio::post(io_, [this, id, following] {
    if (auto it = streams_.find(id); it != streams_.end()) it->second->following_ = following;
  });
}

void OutputPump::watch_lines(StreamId id, std::uint64_t token, std::shared_ptr<const std::regex> pattern,
                             std::function<void()> on_match) {
  boost::asio::post(io_, [this, id, token, pattern = std::move(pattern), on_match = std::move(on_match)]() mutable {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    it->second->watch_.emplace(Stream::Watch{token, LineWatch(std::move(pattern)), std::move(on_match)});
  });
}

void OutputPump::unwatch_lines(StreamId id, std::uint64_t token) {
  boost::asio::post(io_, [this, id, token] {
    auto it = streams_.find(id);
    if (it != streams_.end() && it->second->watch_ && it->second->watch_->token == token) it->second->watch_.reset();
  });
}

void OutputPump::drain(std::function<void()> done) {
  boost::asio::post(io_, [this, done = std::move(done)]() mutable {
    for (auto& [id, stream] : streams_) stream->drain();
    post_main(std::move(done));
  });
}

void OutputPump::update_stream(StreamId id, std::uint64_t maxbytes, int backups, bool timestamps) {
  boost::asio::post(io_, [this, id, maxbytes, backups, timestamps] {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Stream& s = *it->second;
    s.file_->set_limits(maxbytes, backups);
    s.options_.maxbytes = maxbytes;
    s.options_.backups = backups;
    s.options_.timestamps = timestamps;
  });
}

void OutputPump::remove_streams(std::vector<StreamId> ids, std::function<void()> done) {
  for (const StreamId id : ids) paths_.erase(id);
  boost::asio::post(io_, [this, ids = std::move(ids), done = std::move(done)]() mutable {
    for (const StreamId id : ids) {
      auto it = streams_.find(id);
      if (it == streams_.end()) continue;
      it->second->drain();
      it->second->stop();
      streams_.erase(it);
    }
    post_main(std::move(done));
  });
}

std::filesystem::path OutputPump::path_of(StreamId id) const {
  auto it = paths_.find(id);
  return it == paths_.end() ? std::filesystem::path() : it->second;
}

}  // namespace konnect
