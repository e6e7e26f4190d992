#pragma once
// One cgroup v2 per program, so that the end of an instance ends with cgroup.kill: every
// process it left behind dies with it, whatever it did to its session, process group or
// environment (the spawn-id sweep, daemon/spawn/orphan_sweeper.hpp, cannot recognise a process
// that dropped its environment). Used when konnectd's own cgroup was delegated to it:
// systemd's Delegate=yes marks it with the trusted.delegate (or user.delegate) xattr.
// Layout, under konnectd's cgroup B:
//   B/supervisor       konnectd itself: processes live in leaves only (cgroup v2 refuses
//                      controllers on an inner node that holds processes)
//   B/programs/NAME    one per process name; NAME is its namespec (GROUP:PROCESS)
//   B/programs/NAME/N  the processes of its instance N (daemon/supervision/process_table.hpp):
//                      a rolling restart's new instance is not killed with the old one
// A spawned child moves itself in (writes "0" to the fd from open_procs()) before anything
// else, so even its first fork lands inside. Every call is a few small file operations on
// cgroupfs, done on the loop; only wait_empty() waits for processes to die, and only at
// konnectd's start, before the loop serves anyone.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace konnect {

// How long processes killed with cgroup.kill at konnectd's start may take to be gone before
// konnectd goes on without them. SIGKILL ends any process that is not stuck in the kernel
// (on a hung NFS mount, say) within milliseconds, or within a second for one that frees
// gigabytes of memory.
inline constexpr std::chrono::milliseconds kKilledExitWait{5000};

class CgroupTree {
 public:
  CgroupTree() = default;  // disabled: every call does nothing
  // Finds konnectd's cgroup and moves konnectd into B/supervisor. Disabled, with the reason
  // in why_not, for Off, or for Auto when the cgroup is not delegated or cannot be used; an
  // error for On when it cannot be used.
  static Result<CgroupTree> open(CgroupMode mode, std::string& why_not);

  bool enabled() const { return !base_.empty(); }
  const std::filesystem::path& base() const { return base_; }
  std::filesystem::path path_of(const std::string& namespec, unsigned instance) const;

  // Creates the instance's cgroup if needed and opens its cgroup.procs for writing
  // (close-on-exec; the caller closes it). -1 when disabled.
  Result<int> open_procs(const std::string& namespec, unsigned instance);
  // cgroup.kill: SIGKILL to every process in the instance's cgroup, now and for any fork
  // racing with it. The dying processes come back to konnectd (subreaper) to be reaped.
  void kill(const std::string& namespec, unsigned instance);
  // Kills what an earlier konnectd left in program cgroups (it died without stopping its
  // programs) and returns those programs' namespecs.
  std::vector<std::string> kill_leftovers();
  // Waits up to `limit` until the cgroups of `namespecs` hold no process (blocking: for
  // konnectd's start, before anything is served). Returns those still populated.
  std::vector<std::string> wait_empty(const std::vector<std::string>& namespecs, std::chrono::milliseconds limit) const;
  // Removes every program and instance cgroup that is empty (a busy one stays for next time).
  void remove_empty();

 private:
  // The program cgroup's cgroup.events, open for reading (close-on-exec; the caller closes
  // it), or -1 (disabled, or no such cgroup). When its "populated" line changes, poll(2)
  // reports POLLPRI on the fd.
  int open_events(const std::string& namespec) const;
  std::filesystem::path program_path(const std::string& namespec) const;
  // Whether the cgroup.events behind `events_fd` says a process is still inside (a process
  // counts until it has exited: its memory freed and its files closed). Reads from the start.
  static bool populated(int events_fd);

  explicit CgroupTree(std::filesystem::path base) : base_(std::move(base)) {}
  std::filesystem::path base_;
};

}  // namespace konnect
