#include "daemon/output/output_pump.hpp"

#include "daemon/output/log_tail.hpp"
#include "daemon/output/output_stream.hpp"

#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

constexpr std::size_t kPipeSize = 1024 * 1024;  // F_SETPIPE_SZ; pipe-max-size by default
constexpr auto kConsoleFlushWait = std::chrono::seconds(2);  // reexec: then the console is stuck

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
  {
    std::lock_guard<std::mutex> lock(gate_->mutex);
    gate_->open = false;  // no Console posts here any more: io_ is about to go
  }
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
  std::unique_ptr<LogFile> file;
  if (options.console == 0) {
    file = std::make_unique<LogFile>(options.path, options.maxbytes, options.backups);
    if (auto r = file->open(); !r) return r.error();
  }
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
      if (!stream->file_) continue;  // the console
      if (auto r = stream->file_->reopen(); !r) errors.push_back(r.error());
    }
    post_main([done = std::move(done), errors = std::move(errors)] { done(errors); });
  });
}

void OutputPump::clear(StreamId id, std::function<void(Result<void>)> done) {
  boost::asio::post(io_, [this, id, done = std::move(done)]() mutable {
    Result<void> result = make_error(ErrorCode::Internal, "no such log stream");
    if (auto it = streams_.find(id); it != streams_.end()) {
      result = it->second->file_ ? it->second->file_->truncate()
                                 : make_error(ErrorCode::Failed, "it goes to the console, not to a file");
    }
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
    for (const auto& [id, stream] : streams_) out.emplace(id, stream->written());
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
    if (s.file_) s.file_->set_limits(maxbytes, backups);
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
    for (auto& [id, stream] : streams_) stream->drain(false);  // a console line goes on in the next image
    for (auto& [id, stream] : streams_) {
      const bool stuck = stream->failing_ || std::any_of(stream->sources_.begin(), stream->sources_.end(),
                                                         [](const auto& s) { return !s->pending_.empty(); });
      // What waits for the console must be written by this image: its buffer dies with it.
      const bool console_stuck = stream->console() && !stream->console_->flush(kConsoleFlushWait);
      if (stuck || console_stuck) {
        const std::string what = stream->console() ? "the console" : "the log " + stream->file_->path().string();
        auto error = make_error(ErrorCode::Failed, what + " cannot be written now; its output would wait in this image");
        return post_main([done = std::move(done), error] { done(error); });
      }
    }
    std::vector<handoff::StreamState> out;
    for (auto& [id, stream] : streams_) {
      handoff::StreamState st;
      st.id = id;
      st.name = stream->options_.name;
      st.timestamps = stream->options_.timestamps;
      st.written = stream->written();
      if (stream->console()) {
        st.console = stream->options_.console;
        st.label = stream->options_.label;
        for (auto& source : stream->sources_) {
          st.sources.push_back({source->id_, source->pipe_.release(), true, source->lines_->partial()});
        }
        stream->sources_.clear();
        out.push_back(std::move(st));
        continue;
      }
      st.path = stream->options_.path.string();
      st.size = stream->file_->size();
      st.maxbytes = stream->options_.maxbytes;
      st.backups = stream->options_.backups;
      st.rotations = stream->file_->rotations();
      st.file_fd = stream->file_->release();
      for (auto& source : stream->sources_) {
        // release() cancels the pending wait without closing: its handler sees the cancel.
        st.sources.push_back({source->id_, source->pipe_.release(), source->at_line_start_, {}});
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
    std::unique_ptr<LogFile> file;
    if (st.console == 0) {
      file = std::make_unique<LogFile>(st.path, st.maxbytes, st.backups);
      file->adopt(st.file_fd, st.size, st.rotations, st.written);
    }
    StreamOptions options{st.name, st.path, st.maxbytes, st.backups, st.timestamps, st.console, st.label};
    boost::asio::post(io_, [this, st, options = std::move(options), f = file.release()]() mutable {
      auto stream = std::make_shared<Stream>(io_, *this, st.id, std::move(options), std::unique_ptr<LogFile>(f));
      if (stream->console()) stream->console_written_ = st.written;
      streams_.emplace(st.id, stream);
      for (const auto& source : st.sources) {
        stream->add(source.id, source.read_fd, source.at_line_start, source.partial);
      }
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
