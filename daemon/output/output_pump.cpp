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

#include <algorithm>
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

// One pipe into a stream, on the pump thread: what one instance writes.
struct OutputPump::Source : std::enable_shared_from_this<Source> {
  Source(boost::asio::io_context& io, Stream& stream, SourceId id, int read_fd)
      : stream_(stream), id_(id), pipe_(io, read_fd) {}

  void wait();
  void move(std::size_t budget);
  Result<std::size_t> transfer(std::size_t budget);
  void matched();
  std::string stamp(std::string_view data);

  Stream& stream_;  // outlives its sources: stop() closes every pipe first
  SourceId id_;
  boost::asio::posix::stream_descriptor pipe_;
  bool at_line_start_ = true;
  bool eof_ = false;     // no writer left: emptied, then gone
  std::string pending_;  // read, not yet written (timestamp path, after an error)
  struct Watch {
    std::uint64_t token;
    LineWatch lines;
    std::function<void()> on_match;
  };
  std::optional<Watch> watch_;
};

// One file fed by its sources, on the pump thread.
struct OutputPump::Stream : std::enable_shared_from_this<Stream> {
  Stream(boost::asio::io_context& io, OutputPump& pump, StreamId id, StreamOptions options,
         std::unique_ptr<LogFile> file)
      : io_(io), pump_(pump), id_(id), options_(std::move(options)), file_(std::move(file)), retry_(io) {}

  void add(SourceId id, int read_fd, bool at_line_start = true) {
    auto source = std::make_shared<Source>(io_, *this, id, read_fd);
    source->at_line_start_ = at_line_start;
    sources_.push_back(source);
    source->wait();
  }

  Source* find(SourceId id) {
    for (auto& s : sources_) {
      if (s->id_ == id) return s.get();
    }
    return nullptr;
  }

  void stop() {
    boost::system::error_code ec;
    for (auto& s : sources_) s->pipe_.close(ec);
    retry_.cancel();
  }

  // A source had no writer left and is empty: it goes (after the turn that noticed).
  void remove(const Source* source) {
    std::erase_if(sources_, [&](const auto& s) { return s.get() == source; });
  }

  // The bytes one source moved in a turn: rotations and recovery are the stream's.
  void moved_by(const Result<std::size_t>& moved, std::uint64_t rotations_before) {
    if (file_->rotations() != rotations_before) {
      pump_.post_main([&pump = pump_, id = id_, n = file_->rotations() - rotations_before] {
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

  // A write failed: reported once, and every source waits for the retry (the children are
  // slowed by their full pipes, nothing is dropped).
  void fail(const Error& error) {
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

  // Drain at shutdown: everything in the pipes now, whatever the budget.
  void drain() {
    const auto sources = sources_;
    for (const auto& s : sources) {
      if (auto r = s->transfer(SIZE_MAX); !r) return;  // reported already or lost with the error
    }
  }

  boost::asio::io_context& io_;
  OutputPump& pump_;
  StreamId id_;
  StreamOptions options_;
  std::unique_ptr<LogFile> file_;
  boost::asio::steady_timer retry_;
  bool failing_ = false;
  bool retrying_ = false;
  bool following_ = false;
  std::vector<std::shared_ptr<Source>> sources_;
};

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
  Stream& stream = stream_;
  if (stream.retrying_ && pending_.empty()) return;  // the retry moves every source again
  const std::uint64_t rotations = stream.file_->rotations();
  auto moved = transfer(budget);
  stream.moved_by(moved, rotations);
  if (!moved) return stream.fail(moved.error());
  if (eof_) return stream.remove(this);  // the last of it is in the file
  if (*moved < budget) return wait();    // drained to EAGAIN: the next write wakes us
  // The budget ran out with bytes still in the pipe. Asio waits edge-triggered, so a wait
  // now would sleep until the next write; come back after the other streams had a turn.
  boost::asio::post(pipe_.get_executor(), [self = shared_from_this(), budget] { self->move(budget); });
}

// The bytes move; an error leaves what was not written in pending_ (timestamp path) or in
// the pipe (splice path). Returns the bytes taken from the pipe; fewer than budget means it
// is empty now (or has no writer left: eof_).
Result<std::size_t> OutputPump::Source::transfer(std::size_t budget) {
  Stream& stream = stream_;
  LogFile& file = *stream.file_;
  if (!pending_.empty()) {
    std::string_view rest(pending_);
    auto r = file.write(rest);
    pending_.erase(0, pending_.size() - rest.size());
    if (!r) return r.error();
  }
  std::size_t moved = 0;
  while (moved < budget) {
    if (!stream.options_.timestamps && !stream.following_ && !watch_) {
      auto n = file.splice_from(pipe_.native_handle(), budget - moved, &eof_);
      if (!n) return n.error();
      if (*n == 0) break;
      moved += *n;
      continue;
    }
    // One buffer for every stream: they all run on this one thread.
    static thread_local char buffer[kReadChunk];
    const ssize_t n = ::read(pipe_.native_handle(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) eof_ = true;
    if (n <= 0) break;  // EAGAIN: empty
    moved += static_cast<std::size_t>(n);
    const std::string_view chunk(buffer, static_cast<std::size_t>(n));
    if (watch_ && watch_->lines.feed(chunk)) matched();
    pending_ = stream.options_.timestamps ? stamp(chunk) : std::string(chunk);
    if (stream.following_) {
      stream.pump_.post_main([&pump = stream.pump_, id = stream.id_, data = pending_]() mutable {
        if (pump.events_.on_data) pump.events_.on_data(id, std::move(data));
      });
    }
    std::string_view rest(pending_);
    auto r = file.write(rest);
    pending_.erase(0, pending_.size() - rest.size());
    if (!r) return r.error();
  }
  return moved;
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

namespace {

// A pipe for a child's output: {read end (non-blocking, the pump's), write end}, both
// close-on-exec; the child's end stays blocking.
Result<std::pair<int, int>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return make_error(ErrorCode::Io, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  ::fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(kPipeSize));  // best effort
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return std::pair{fds[0], fds[1]};
}

}  // namespace

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
  auto pipe = make_pipe();
  if (!pipe) return pipe.error();
  const StreamId id = next_id_++;
  const SourceId source = next_source_++;
  paths_[id] = options.path;
  boost::asio::post(io_, [this, id, source, options = std::move(options), fd = pipe->first,
                          f = file.release()]() mutable {
    auto stream = std::make_shared<Stream>(io_, *this, id, std::move(options), std::unique_ptr<LogFile>(f));
    streams_.emplace(id, stream);
    stream->add(source, fd);
  });
  return Added{id, pipe->second, source};
}

Result<OutputPump::Added> OutputPump::add_source(StreamId id) {
  if (paths_.count(id) == 0) return make_error(ErrorCode::Internal, "no such log stream");
  auto pipe = make_pipe();
  if (!pipe) return pipe.error();
  const SourceId source = next_source_++;
  boost::asio::post(io_, [this, id, source, fd = pipe->first] {
    auto it = streams_.find(id);
    if (it == streams_.end()) {
      ::close(fd);  // removed meanwhile: its writers see EPIPE
      return;
    }
    it->second->add(source, fd);
  });
  return Added{id, pipe->second, source};
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
                           std::function<void(Result<std::string>)> done, std::optional<StreamId> follow,
                           std::shared_ptr<std::uint64_t> size) {
  boost::asio::post(io_, [this, path = std::move(path), lines, max_bytes, done = std::move(done), follow, size]() mutable {
    auto result = read_tail(path, lines, max_bytes);
    if (size) {
      std::error_code ec;
      const auto n = std::filesystem::file_size(path, ec);
      *size = ec ? 0 : n;
    }
    if (follow && result) {
      if (auto it = streams_.find(*follow); it != streams_.end()) it->second->following_ = true;
    }
    post_main([done = std::move(done), result = std::move(result)] { done(result); });
  });
}

void OutputPump::read_file_range(std::filesystem::path path, std::uint64_t offset, std::size_t max_bytes,
                                 std::function<void(Result<std::string>)> done, std::shared_ptr<std::uint64_t> size) {
  boost::asio::post(io_, [this, path = std::move(path), offset, max_bytes, done = std::move(done), size]() mutable {
    auto result = read_range(path, offset, max_bytes);
    if (size) {
      std::error_code ec;
      const auto n = std::filesystem::file_size(path, ec);
      *size = ec ? 0 : n;
    }
    post_main([done = std::move(done), result = std::move(result)] { done(result); });
  });
}

void OutputPump::bytes_written(std::function<void(std::unordered_map<StreamId, std::uint64_t>)> done) {
  boost::asio::post(io_, [this, done = std::move(done)]() mutable {
    std::unordered_map<StreamId, std::uint64_t> out;
    for (const auto& [id, stream] : streams_) out.emplace(id, stream->file_->written());
    post_main([done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
  });
}

void OutputPump::set_following(StreamId id, bool following) {
  boost::asio::post(io_, [this, id, following] {
    if (auto it = streams_.find(id); it != streams_.end()) it->second->following_ = following;
  });
}

void OutputPump::watch_lines(StreamId id, SourceId source, std::uint64_t token,
                             std::shared_ptr<const std::regex> pattern, std::function<void()> on_match) {
  boost::asio::post(io_, [this, id, source, token, pattern = std::move(pattern),
                          on_match = std::move(on_match)]() mutable {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Source* s = it->second->find(source);
    if (s == nullptr) return;
    s->watch_.emplace(Source::Watch{token, LineWatch(std::move(pattern)), std::move(on_match)});
  });
}

void OutputPump::unwatch_lines(StreamId id, std::uint64_t token) {
  boost::asio::post(io_, [this, id, token] {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    for (auto& s : it->second->sources_) {
      if (s->watch_ && s->watch_->token == token) s->watch_.reset();
    }
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

void OutputPump::export_state(std::function<void(Result<std::vector<handoff::StreamState>>)> done) {
  boost::asio::post(io_, [this, done = std::move(done)]() mutable {
    for (auto& [id, stream] : streams_) stream->drain();
    for (auto& [id, stream] : streams_) {
      const bool stuck = stream->failing_ || std::any_of(stream->sources_.begin(), stream->sources_.end(),
                                                         [](const auto& s) { return !s->pending_.empty(); });
      if (stuck) {
        auto error = make_error(ErrorCode::Failed, "the log " + stream->file_->path().string() +
                                                       " cannot be written now; its output would wait in this image");
        return post_main([done = std::move(done), error] { done(error); });
      }
    }
    std::vector<handoff::StreamState> out;
    for (auto& [id, stream] : streams_) {
      handoff::StreamState st;
      st.id = id;
      st.name = stream->options_.name;
      st.path = stream->options_.path.string();
      st.size = stream->file_->size();
      st.maxbytes = stream->options_.maxbytes;
      st.backups = stream->options_.backups;
      st.timestamps = stream->options_.timestamps;
      st.rotations = stream->file_->rotations();
      st.written = stream->file_->written();
      st.file_fd = stream->file_->release();
      for (auto& source : stream->sources_) {
        // release() cancels the pending wait without closing: its handler sees the cancel.
        st.sources.push_back({source->id_, source->pipe_.release(), source->at_line_start_});
      }
      stream->sources_.clear();
      stream->retry_.cancel();
      out.push_back(std::move(st));
    }
    streams_.clear();
    post_main([done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
  });
}

void OutputPump::adopt(const std::vector<handoff::StreamState>& streams, StreamId next_stream, SourceId next_source) {
  for (const auto& st : streams) {
    paths_[st.id] = st.path;
    auto file = std::make_unique<LogFile>(st.path, st.maxbytes, st.backups);
    file->adopt(st.file_fd, st.size, st.rotations, st.written);
    StreamOptions options{st.name, st.path, st.maxbytes, st.backups, st.timestamps};
    boost::asio::post(io_, [this, st, options = std::move(options), f = file.release()]() mutable {
      auto stream = std::make_shared<Stream>(io_, *this, st.id, std::move(options), std::unique_ptr<LogFile>(f));
      streams_.emplace(st.id, stream);
      for (const auto& source : st.sources) stream->add(source.id, source.read_fd, source.at_line_start);
    });
  }
  next_id_ = std::max(next_id_, next_stream);
  next_source_ = std::max(next_source_, next_source);
}

std::filesystem::path OutputPump::path_of(StreamId id) const {
  auto it = paths_.find(id);
  return it == paths_.end() ? std::filesystem::path() : it->second;
}

}  // namespace konnect
