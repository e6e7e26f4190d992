#pragma once
// The narrow world a Process acts on (STYLE.md: ninja's CommandRunner). The Supervisor
// implements it with fork/exec and kill(2); tests implement it with fakes.

#include "common/error.hpp"
#include "common/process_state.hpp"

#include <sys/types.h>

namespace konnect {

class Process;

class ProcessHost {
 public:
  virtual ~ProcessHost() = default;
  // Starts the process's program. The child runs setsid(), so its pgid equals its pid.
  // The pid is reported back through Process::on_exit() by the reaper.
  virtual Result<pid_t> spawn(Process& process) = 0;
  // kill(2): pid > 0 the process, pid < 0 the process group -pid. Returns 0 or the errno;
  // ESRCH (already gone) is not an error.
  virtual int send_signal(pid_t pid, int signo) = 0;
  // Called after every state change (the new state is process.state()).
  virtual void on_state_change(Process& process, State from) = 0;
};

}  // namespace konnect
