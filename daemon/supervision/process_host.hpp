#pragma once
// The narrow world a Process acts on (STYLE.md: ninja's CommandRunner): spawning, signals,
// time. The Supervisor implements it with clone/exec, kill(2) and the loop's clock; tests
// implement it with fakes and a clock they move by hand.

#include "common/error.hpp"
#include "common/process_state.hpp"
#include "daemon/system/clock.hpp"

#include <sys/types.h>

#include <cstdint>

namespace konnect {

class Process;

// A child that was started: its pid, and the spawn id it carries in KONNECT_SPAWN_ID so its
// descendants can be recognised after it is gone (one per spawn, never reused).
struct Started {
  pid_t pid = 0;
  std::uint64_t spawn_id = 0;
};

class ProcessHost {
 public:
  virtual ~ProcessHost() = default;
  // Starts the process's program. The child runs setsid(), so its pgid equals its pid.
  // The pid is reported back through Process::on_exit() by the reaper.
  virtual Result<Started> spawn(Process& process) = 0;
  // kill(2): pid > 0 the process, pid < 0 the process group -pid. Returns 0 or the errno;
  // ESRCH (already gone) is not an error.
  virtual int send_signal(pid_t pid, int signo) = 0;
  // Called after every state change (the new state is process.state()).
  virtual void on_state_change(Process& process, State from) = 0;
  // The time and the deadlines (startsecs, backoff, stopwaitsecs) the process keeps.
  virtual Clock& clock() = 0;
};

}  // namespace konnect
