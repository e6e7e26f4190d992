#pragma once
// The children of exec probes. They are spawned like programs (daemon/spawn/spawner.hpp)
// and their exits come from the one reaper, which offers each pid here first
// (Supervisor::on_child_exit). Each probe child leads its own process group (setsid), so
// kill() and the exit take its descendants too.

#include "common/error.hpp"
#include "daemon/spawn/spawner.hpp"

#include <sys/types.h>

#include <functional>
#include <unordered_map>

namespace konnect {

class ProbeChildren {
 public:
  using OnExit = std::function<void(int wait_status)>;

  // Starts the child; on_exit runs on its exit (once; never after forget()).
  Result<pid_t> start(const SpawnSpec& spec, OnExit on_exit);
  // The reaper's event: true when pid was a probe child (its group is then killed).
  bool on_exit(pid_t pid, int wait_status);
  // SIGKILLs the child's process group, while the child is not yet reaped.
  void kill(pid_t pid);
  // No callback for this child's exit any more; the exit is still collected.
  void forget(pid_t pid);
  std::size_t running() const { return running_.size(); }

 private:
  std::unordered_map<pid_t, OnExit> running_;
};

}  // namespace konnect
