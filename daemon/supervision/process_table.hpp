#pragma once
// Every instance konnectd supervises and every main process it started, indexed once
// (docs/design.md "One owner per fact"). An instance is one Process (the state machine of one
// process name: web, worker_00); it lives in a Program copy (daemon/supervision/program.hpp)
// as that copy's current instance or, during a rolling restart, as the previous one. It has
// its own number within the copy, hence its own cgroup (NAMESPEC/N), and while its main
// process runs, a pid, the pidfd every signal goes through and a spawn id.
//
// Owns: the pid -> instance, spawn id -> instance and instance -> place maps, and the
// pidfds. Expects: started() after each spawn, exited() once the reaper's on_exit returned.

#include "common/error.hpp"
#include "daemon/spawn/exit_watch.hpp"
#include "daemon/spawn/pidfd.hpp"

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

namespace konnect {

class Process;
struct ProgramCopy;

class ProcessTable {
 public:
  // Where an instance lives.
  struct Place {
    ProgramCopy* copy = nullptr;
    unsigned instance = 0;  // 1, 2, ... within the copy: its cgroup's name
  };

  void add(const Process& process, Place place);
  // Forgets the instance (a reload removed it), its main process too if it still had one.
  void remove(const Process& process);
  const Place& place_of(const Process& process) const { return places_.at(&process); }

  // The instance's main process was spawned; opens its pidfd (the child is still ours and
  // unreaped, so the pidfd names exactly it).
  void started(Process& process, pid_t pid, std::uint64_t spawn_id);
  // MAINPID=: the instance's main process is now new_pid, one of its own processes (the
  // caller checked) that is alive. The old main is then a descendant like any other: its
  // exit kills nothing. Signals to the group go to new_pid's process group. An error if
  // new_pid is gone (no pidfd names it).
  Result<void> follow(Process& process, pid_t new_pid);
  // Calls on_exit when the main process pid exits (it is not our child: its exit goes to its
  // parent), until it is reaped here or forgotten.
  void watch_exit(boost::asio::any_io_executor executor, pid_t pid, std::function<void()> on_exit);
  // The instance whose main process this pid is, or null (a descendant's pid).
  Process* find(pid_t pid) const;
  // The reaper's on_exit for pid returned: forgets it and closes its pidfd.
  void exited(pid_t pid);

  // konnectctl reexec. What the table holds of an instance's main process (its pidfd's fd,
  // the group its signals go to, whether it is an adopted MAINPID= watched through the
  // pidfd), or nothing when it has none.
  struct MainState {
    int pidfd = -1;
    pid_t pgid = 0;
    bool watched = false;
  };
  std::optional<MainState> main_of(const Process& process) const;
  // In the next image: the instance's number (its cgroup), and its main process as the
  // previous image had it, pidfd included (-1: open one now).
  void renumber(const Process& process, unsigned instance) { places_.at(&process).instance = instance; }
  void adopt(Process& process, pid_t pid, std::uint64_t spawn_id, int pidfd, pid_t pgid);
  std::uint64_t peek_next_spawn_id() const { return next_spawn_id_; }
  void set_next_spawn_id(std::uint64_t id) { next_spawn_id_ = std::max(next_spawn_id_, id); }

  bool is_main(pid_t pid) const { return by_pid_.count(pid) != 0; }
  bool is_live(std::uint64_t spawn_id) const { return by_spawn_id_.count(spawn_id) != 0; }
  std::uint64_t next_spawn_id() { return next_spawn_id_++; }

  // kill(2) semantics (pid > 0 the process, pid < 0 its group) for main processes only,
  // through the main's pidfd when there is one. Returns 0 or the errno; ESRCH is not one.
  int signal(pid_t pid, int signo) const;

 private:
  struct Main {
    Process* process = nullptr;
    std::uint64_t spawn_id = 0;
    Pidfd pidfd;
    pid_t pgid = 0;                      // its process group: the pid itself after setsid()
    std::unique_ptr<ExitWatch> watch;    // for a main that is not our child (MAINPID=)
  };
  std::unordered_map<const Process*, Place> places_;
  std::unordered_map<pid_t, Main> by_pid_;
  std::unordered_map<std::uint64_t, pid_t> by_spawn_id_;
  std::uint64_t next_spawn_id_ = 1;
};

}  // namespace konnect
