#pragma once
// konnectd's own stdout and stderr as log targets (SPEC.md "Containers": stdout_log =
// "console"), and the daemon log's stderr (log_file = "-"). One Console owns each fd: every
// line written to it goes through it, so lines are never interleaved mid-line, whoever
// writes them (the programs through the output pump, konnectd's own log).
//
// A console may be a slow pipe (docker logs, a terminal on a slow link): its writes are made
// by a thread of its own, from a bounded buffer. When the buffer is full:
// - while the console is moving (its last write made progress less than stall_after ago),
//   program output waits: put() takes the whole lines that fit and the pump holds the rest
//   (when_room() calls it back), so a burst is slowed, never cut;
// - once it is stalled (nothing written for stall_after), what does not fit is dropped,
//   whole lines at a time, and counted: a stuck console never holds the programs up for
//   longer than that. The counts go to the daemon log, at most once a second per console
//   while drops happen, once the console moves again (or at exit, on the console itself).
// konnectd's own log lines wait for room while the console moves (on the log thread, never
// on the loop). Every wait here ends once the console has stalled: nothing hangs on a
// console nobody reads, not even konnectd's exit. The thread starts with the first line and
// sleeps with no timeout while there is nothing to write.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace konnect {

class Console {
 public:
  static constexpr std::size_t kDefaultLimit = 4 * 1024 * 1024;
  static constexpr std::chrono::milliseconds kDefaultStallAfter{1000};

  // The console of fd 1 (stdout) or 2 (stderr); made at the first use and never destroyed
  // (threads may write to it until exit).
  static Console& of(int fd);
  // End of main: everything put so far is written and the drops not yet reported are, on
  // the console itself. Waits while the consoles move, at most `within` each; false if one
  // stalled or ran out of time first.
  static bool finish_all(std::chrono::milliseconds within = std::chrono::minutes(1));
  // Whether drop reports may go to the daemon log (spdlog). The daemon log turns it off
  // before it shuts down; from then on they go to the console itself.
  static void set_daemon_log_open(bool open);

  explicit Console(int fd, std::size_t limit = kDefaultLimit, std::chrono::milliseconds stall_after = kDefaultStallAfter);
  // Writes what is buffered, then ends the thread: the fd must take it (konnectd never
  // destroys its two; a test reads its pipe first).
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Whole lines (each ending in '\n'). Never blocks. Returns how many bytes from the start of
  // `lines` it dealt with: taken, or dropped and counted against `who` (stalled or broken).
  // Fewer than lines.size(): the console is moving but full; call again after when_room().
  // A line longer than the whole buffer is taken alone once the buffer is empty.
  std::size_t put(std::string_view lines, std::string_view who);
  // Calls fn once, from the writer thread, when the writer has taken the buffer (at once,
  // here, when the buffer is empty or the console broken). fn must only hand over.
  void when_room(std::function<void()> fn);
  // put() until all of `lines` is dealt with, waiting while the console moves: the pump at
  // shutdown and at a reexec, and konnectd's own log lines (counted as "konnectd").
  void put_all(std::string_view lines, std::string_view who);
  void put_waiting(std::string_view lines) { put_all(lines, "konnectd"); }
  // Returns true once everything put so far is written (or dropped after a write error);
  // false if the console stalls first, or `within` passes.
  bool flush(std::chrono::milliseconds within = std::chrono::minutes(1));
  // flush(), and the drop counts not yet reported go to the console itself, now and later.
  bool finish(std::chrono::milliseconds within);
  // Bytes dropped so far, for every writer together.
  std::uint64_t dropped() const;

 private:
  void run();
  void start_locked();
  // Writes all of data to fd_, waiting while a non-blocking fd is full; false on an error.
  bool write_all(std::string_view data);
  void report_drops(std::unique_lock<std::mutex>& lock);
  // Writing has made no progress for stall_after: a batch is stuck in write().
  bool stalled_locked() const;
  std::size_t put_locked(std::string_view lines, std::string_view who);
  // Waits (with the lock) until `done` holds; false if the console stalls or `within` passes.
  bool wait_while_moving(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds within,
                         const std::function<bool()>& done);

  const int fd_;
  const std::size_t limit_;
  const std::chrono::milliseconds stall_after_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;   // the writer: lines to write, or stopping
  std::condition_variable room_;   // put_all, flush, finish: the writer took or wrote something
  std::string buffer_;             // put, not yet taken by the writer
  std::size_t in_flight_ = 0;      // taken by the writer, not yet written
  std::uint64_t taken_ = 0;        // batches the writer took: put_all waits for the next
  std::chrono::steady_clock::time_point last_progress_;  // the writer's last write that took bytes
  std::map<std::string, std::uint64_t, std::less<>> drops_;  // not yet reported, by writer
  std::uint64_t dropped_total_ = 0;
  std::string broken_;             // why writing failed; everything is dropped from then on
  std::vector<std::function<void()>> room_waiters_;  // when_room()
  bool stopping_ = false;
  bool finishing_ = false;         // drops are reported on the console, not the daemon log
  std::thread thread_;
};

}  // namespace konnect
