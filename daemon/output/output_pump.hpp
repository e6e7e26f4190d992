#pragma once
// Moves every program's output from its pipes into its log files, on a thread of its own
// (or, for stdout_log = "console", as whole prefixed lines to konnectd's Console).
//
// Why a thread: a disk write can block (slow disk, full filesystem, NFS); it must never stall
// supervision or control (STYLE.md, issue "never stall"). The pump has its own io_context;
// the main loop talks to it only by posting, and it answers by posting back.
//
// Each stream is one LogFile fed by one pipe (owned by a program, not by one instance of it,
// so nothing written around a restart is lost: konnectd keeps the write end and hands it to
// every new child), or by more: a rolling restart runs a second instance beside the first,
// and it writes into a pipe of its own (add_source), so what each instance writes is told
// apart (a `log` readiness watches the new instance's pipe only). A source whose write ends
// are all closed is emptied into the file and goes. Without timestamps bytes move by splice(2), never through user space; with
// them they are read, prefixed per line and written. A write error is reported (on_error),
// the stream stops reading (the child is slowed by its full pipe, nothing is dropped) and
// retries every second; the first success is reported as a recovery. Rotations are reported
// once per turn of a stream (on_rotated, with how many).
// Memory per stream is bounded: one pending chunk at most, kept only while retrying.

#include "common/error.hpp"
#include "common/handoff/handoff_state.hpp"
#include "daemon/output/staging_pipe.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace konnect {

class OutputPump {
 public:
  using StreamId = std::uint64_t;

  struct StreamOptions {
    std::string name;  // for messages: "web stdout"
    std::filesystem::path path;
    std::uint64_t maxbytes = 0;
    int backups = 0;
    bool timestamps = false;
    int console = 0;    // 1 or 2: konnectd's stdout or stderr instead of a file (path empty)
    std::string label;  // console: the process name, for the "NAME | " prefix
  };

  // Callbacks run on the main loop (main_executor).
  struct Events {
    std::function<void(StreamId, const Error&)> on_error;   // a write or open failed; retrying
    std::function<void(StreamId)> on_recovered;              // writing again after an error
    std::function<void(StreamId, std::string)> on_data;      // what was read, while followed
    std::function<void(StreamId, std::uint64_t)> on_rotated;  // the file rotated N times
  };

  OutputPump(boost::asio::any_io_executor main_executor, Events events);
  ~OutputPump();  // stops the thread; data still in pipes is drained first
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  using SourceId = std::uint64_t;  // one pipe into a stream, unique in the pump

  // Creates the stream's pipe and opens its file. Returns the pipe's write end (owned by
  // the caller, close-on-exec) for children's stdout/stderr; the read end is the pump's.
  struct Added {
    StreamId id;
    int write_fd;
    SourceId source;
  };
  Result<Added> add_stream(StreamOptions options);
  // Another pipe into stream `id`'s file (a second instance writing beside the first). Its
  // write end is the caller's, as add_stream's; once it and every copy a child holds are
  // closed, what the pipe still has goes to the file and the source is gone.
  Result<Added> add_source(StreamId id);

  // Reopens every file (SIGUSR2, logreopen); done gets the failures, on the main loop.
  void reopen_all(std::function<void(std::vector<Error>)> done);
  // Empties a stream's file (clear).
  void clear(StreamId id, std::function<void(Result<void>)> done);
  // The last `lines` lines of a file (FILE.1 too when FILE has fewer), at most max_bytes,
  // read on the pump thread (any file: program logs and the daemon's own).
  // With `follow`, that stream is followed from the same instant on (tail -f): no byte is
  // both in the tail and in on_data, none is in neither, and done runs before the first
  // on_data of it.
  // size, when given, gets the file's size as it was read (the pump is its one writer, so
  // no byte comes between the read and the size: XML-RPC's tailProcessLog offsets).
  void tail_file(std::filesystem::path path, std::size_t lines, std::size_t max_bytes,
                 std::function<void(Result<std::string>)> done, std::optional<StreamId> follow = std::nullopt,
                 std::shared_ptr<std::uint64_t> size = nullptr);
  // At most max_bytes of a file from byte `offset` on ("" past its end), read on the pump
  // thread (XML-RPC's reads from an offset); size as above.
  void read_file_range(std::filesystem::path path, std::uint64_t offset, std::size_t max_bytes,
                       std::function<void(Result<std::string>)> done, std::shared_ptr<std::uint64_t> size = nullptr);
  // Each stream's bytes written so far, across rotations (LogFile::written), read on the
  // pump thread; done gets them on the main loop (/metrics).
  void bytes_written(std::function<void(std::unordered_map<StreamId, std::uint64_t>)> done);
  // While a stream is followed (tail -f), its bytes pass through user space and on_data gets
  // a copy of each chunk (as written, timestamps included); otherwise they are spliced.
  void set_following(StreamId id, bool following);
  // ready = { log = ... }: while watched, a source's bytes pass through user space and
  // on_match runs once, on the main loop, when a line read from it from now on matches.
  // `token` names the watch: unwatch_lines ends only that one (a newer watch stays).
  void watch_lines(StreamId id, SourceId source, std::uint64_t token, std::shared_ptr<const std::regex> pattern,
                   std::function<void()> on_match);
  void unwatch_lines(StreamId id, std::uint64_t token);
  // Moves what is in the pipes now, then calls done (on the main loop). For shutdown.
  void drain(std::function<void()> done);
  // New rotation and timestamp settings for a stream (reload in place); path stays.
  void update_stream(StreamId id, std::uint64_t maxbytes, int backups, bool timestamps);
  // Drops streams whose write ends are closed (reload removed their program): what is in
  // their pipes still goes to the files, then they are closed; done runs on the main loop
  // after that, so a new stream may open the same file without two writers on it.
  void remove_streams(std::vector<StreamId> ids, std::function<void()> done);

  // The file path of a stream (fixed at creation).
  std::filesystem::path path_of(StreamId id) const;

  // konnectctl reexec, the old image: on the pump thread, moves what the pipes hold into the
  // files, then lets go of every stream (its file's and its pipes' fds stay open and are
  // described in the result) and reads nothing more; done runs on the main loop. Refused,
  // with everything kept, while a log cannot be written (bytes would wait in this image).
  void export_state(std::function<void(Result<std::vector<handoff::StreamState>>)> done);
  // The new image: the streams a previous one exported, with their ids; ids given out from
  // now on start at next_stream and next_source.
  void adopt(const std::vector<handoff::StreamState>& streams, StreamId next_stream, SourceId next_source);
  StreamId next_stream_id() const { return next_id_; }
  SourceId next_source_id() const { return next_source_; }

  struct Stream;  // output_stream.hpp
  struct Source;
  // What another thread (a Console's) posts to the pump through: closed before the pump's
  // io_context goes.
  struct Gate {
    explicit Gate(boost::asio::io_context::executor_type e) : executor(std::move(e)) {}
    std::mutex mutex;
    bool open = true;
    boost::asio::io_context::executor_type executor;
  };

 private:
  void post_main(std::function<void()> fn);

  boost::asio::any_io_executor main_;
  Events events_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>(io_.get_executor());
  std::unordered_map<StreamId, std::shared_ptr<Stream>> streams_;  // touched only on the pump thread
  StagingPipe staging_;                                             // the pump thread's, for every stream
  std::unordered_map<StreamId, std::filesystem::path> paths_;     // touched only on the main thread
  StreamId next_id_ = 1;
  SourceId next_source_ = 1;
  std::thread thread_;
};

}  // namespace konnect
