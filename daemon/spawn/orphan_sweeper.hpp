#pragma once
// Kills what an old instance left behind (SPEC.md "Process states": no orphan of an old
// instance outlives it). konnectd is a child subreaper, so a descendant whose parent dies
// becomes konnectd's child, wherever it escaped to (own session, double fork). After every
// reap the sweeper reads konnectd's children from /proc and SIGKILLs each one that is not a
// main process and whose KONNECT_SPAWN_ID names an instance that is gone. Its own children
// then come back to konnectd in turn and are swept on the next reap, so the tree unwinds
// without polling. Each is signalled through a pidfd opened before its marker is read, so
// a pid that was reused is never hit.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace konnect {

class OrphanSweeper {
 public:
  // is_main(pid): pid is a live main process. is_live(spawn_id): that instance still runs.
  OrphanSweeper(std::function<bool(pid_t)> is_main, std::function<bool(std::uint64_t)> is_live);

  // Makes this process a child subreaper; false if the kernel refuses.
  static bool become_subreaper();

  // Returns how many processes were signalled.
  int sweep();

 private:
  std::function<bool(pid_t)> is_main_;
  std::function<bool(std::uint64_t)> is_live_;
};

// konnectd's direct children, from /proc/self/task/*/children.
std::vector<pid_t> list_children();
// The KONNECT_SPAWN_ID in /proc/PID/environ, if any.
std::optional<std::uint64_t> read_spawn_id(pid_t pid);

}  // namespace konnect
