#pragma once
// konnectd's own stdout and stderr as log targets (SPEC.md "Containers": stdout_log =
// "console"), and the daemon log's stderr (log_file = "-"). One Console owns each fd: every
// line written to it goes through it, so lines are never interleaved mid-line, whoever
// writes them (the programs through the output pump, konnectd's own log).
//
// A console may be a slow pipe (docker logs, a terminal on a slow link): its writes are made
// by a thread of its own, from a bounded buffer. Program output that does not fit is dropped
// whole lines at a time and counted, never waited for: one slow console never blocks the
// pump and with it every program. The counts go to the daemon log, at most once a second
// per console while drops happen. konnectd's own log lines wait for room instead (on the
// log thread, never on the loop). The thread starts with the first line and sleeps with no
// timeout while there is nothing to write.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace konnect {

class Console {
 public:
  static constexpr std::size_t kDefaultLimit = 4 * 1024 * 1024;

  // The console of fd 1 (stdout) or 2 (stderr); made at the first use and never destroyed
  // (threads may write to it until exit).
  static Console& of(int fd);
  // End of main, after the daemon log is shut down: everything put so far is written, and
  // what was dropped and not yet reported is reported on the console itself.
  // Waits at most `within` per console; false if one could not write everything by then.
  static bool finish_all(std::chrono::milliseconds within = std::chrono::hours(24));

  explicit Console(int fd, std::size_t limit = kDefaultLimit);
  ~Console();  // writes what is buffered, then ends the thread
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Whole lines (each ending in '\n'). What does not fit in the buffer is dropped, from the
  // first line that does not fit on, and counted against `who`. Never blocks.
  void put(std::string_view lines, std::string_view who);
  // The same, but waits for room rather than drop (konnectd's own log, on its thread).
  void put_waiting(std::string_view lines);
  // Returns once everything put so far is written (or dropped after a write error); false if
  // that did not happen within `within`.
  bool flush(std::chrono::milliseconds within = std::chrono::hours(24));
  // flush(), then the drop counts not yet reported go to the console itself.
  bool finish(std::chrono::milliseconds within);
  // Bytes dropped so far, for every writer together.
  std::uint64_t dropped() const;

 private:
  void run();
  void start_locked();
  // Writes all of data to fd_, waiting while a non-blocking fd is full; false on an error.
  bool write_all(std::string_view data);
  void report_drops(std::unique_lock<std::mutex>& lock);

  const int fd_;
  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;   // the writer: lines to write, or stopping
  std::condition_variable room_;   // put_waiting and flush: the buffer was taken
  std::string buffer_;             // put, not yet taken by the writer
  std::size_t in_flight_ = 0;      // taken by the writer, not yet written
  std::map<std::string, std::uint64_t, std::less<>> drops_;  // not yet reported, by writer
  std::uint64_t dropped_total_ = 0;
  std::string broken_;             // why writing failed; everything is dropped from then on
  bool stopping_ = false;
  bool finishing_ = false;         // drops are reported on the console, not the daemon log
  std::thread thread_;
};

}  // namespace konnect
