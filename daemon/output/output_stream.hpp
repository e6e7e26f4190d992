#pragma once
// The OutputPump's insides, on its thread only: a Stream is one destination (a LogFile, or
// konnectd's console) fed by its Sources, one pipe per instance writing into it.

#include "daemon/output/console_lines.hpp"
#include "daemon/output/line_watch.hpp"
#include "daemon/output/log_file.hpp"
#include "daemon/output/output_pump.hpp"
#include "daemon/system/console.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

// Moved per wakeup of one source, then other streams get a turn.
inline constexpr std::size_t kBudgetPerWakeup = 4 * 1024 * 1024;

// One pipe into a stream, on the pump thread: what one instance writes.
struct OutputPump::Source : std::enable_shared_from_this<Source> {
  Source(boost::asio::io_context& io, Stream& stream, SourceId id, int read_fd);

  void wait();
  void move(std::size_t budget);
  Result<std::size_t> transfer(std::size_t budget);
  // The file path with nothing to add to the bytes: up to max bytes by splice(2).
  Result<std::size_t> splice_to(LogFile& file, std::size_t max);
  // The console path: whole prefixed lines to the stream's Console, through pending_ (never
  // an error: a stalled console drops and counts). What a moving but full console cannot
  // take yet waits in pending_, and the source reads no more until there is room.
  void to_console(std::string_view chunk);
  // pending_ to the console; false if some of it must wait for room.
  bool push_console();
  // Stops reading until the console has room (when_room) or could have stalled (a timer).
  void wait_for_room();
  void room_came(std::uint64_t token);
  void matched();
  std::string stamp(std::string_view data);
  // No writer left, or the stream ends: a console line still being written is ended.
  void finish_line();

  Stream& stream_;  // outlives its sources: stop() closes every pipe first
  SourceId id_;
  boost::asio::posix::stream_descriptor pipe_;
  bool at_line_start_ = true;
  bool eof_ = false;     // no writer left: emptied, then gone
  std::string pending_;  // read, not yet written (after an error; the console: no room yet)
  bool pending_unread_ = false;  // pending_ came back from the staging pipe: not stamped, not followed
  std::optional<ConsoleLines> lines_;  // console streams only
  bool waiting_room_ = false;          // the console is full: reading waits
  std::uint64_t room_token_ = 0;       // which wait a room_came() answers
  boost::asio::steady_timer room_timer_;
  struct Watch {
    std::uint64_t token;
    LineWatch lines;
    std::function<void()> on_match;
  };
  std::optional<Watch> watch_;
};

// One destination fed by its sources, on the pump thread: a file (file_), or the console.
struct OutputPump::Stream : std::enable_shared_from_this<Stream> {
  Stream(boost::asio::io_context& io, OutputPump& pump, StreamId id, StreamOptions options,
         std::unique_ptr<LogFile> file);

  void add(SourceId id, int read_fd, bool at_line_start = true, std::string partial_line = {});
  Source* find(SourceId id);
  void stop();
  // A source had no writer left and is empty: it goes (after the turn that noticed).
  void remove(const Source* source);
  // The bytes one source moved in a turn: rotations and recovery are the stream's.
  void moved_by(const Result<std::size_t>& moved, std::uint64_t rotations_before);
  // A write failed: reported once, and every source waits for the retry (the children are
  // slowed by their full pipes, nothing is dropped).
  void fail(const Error& error);
  // Drain at shutdown: everything in the pipes now, whatever the budget, into the file or
  // the console (waiting while it moves); a console line still being written is ended when
  // `end_lines`.
  void drain(bool end_lines = true);

  // tail -f: a copy of what was read goes to the main loop's on_data, while followed.
  void to_followers(std::string_view data);

  bool console() const { return console_ != nullptr; }
  std::uint64_t rotations() const { return file_ ? file_->rotations() : 0; }
  // Bytes taken from the programs (a file: written to it, across rotations).
  std::uint64_t written() const { return file_ ? file_->written() : console_written_; }

  boost::asio::io_context& io_;
  OutputPump& pump_;
  StreamId id_;
  StreamOptions options_;
  std::unique_ptr<LogFile> file_;  // null for the console
  Console* console_ = nullptr;
  std::uint64_t console_written_ = 0;
  boost::asio::steady_timer retry_;
  bool failing_ = false;
  bool retrying_ = false;
  bool following_ = false;
  bool draining_ = false;  // shutdown, reexec: console lines wait for room here
  std::vector<std::shared_ptr<Source>> sources_;
};

}  // namespace konnect
