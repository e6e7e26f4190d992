#pragma once
// What may take part in a spawn besides the Supervisor, and hear a process's output: today
// the event listener pools, which give a listener's process its stdin and stdout pipes and
// turn output of programs with *_events_enabled into PROCESS_LOG_* events
// (daemon/events/listener_pools).

#include "common/config/config.hpp"
#include "common/error.hpp"
#include "daemon/spawn/spawner.hpp"

#include <string>

namespace konnect {

class SpawnHook {
 public:
  virtual ~SpawnHook() = default;
  // Before `namespec`, a process of `program`, is spawned: may set spec's stdin_fd and
  // stdout_fd (ends it owns until after_spawn). An error is the spawn's.
  virtual Result<void> before_spawn(const ProgramConfig& program, const std::string& namespec, SpawnSpec& spec) = 0;
  // After it, whether it started or not.
  virtual void after_spawn(const std::string& namespec, bool started) = 0;
  // A chunk of output of a process whose program has stdout_events_enabled
  // (stderr_events_enabled), as written to its log.
  virtual void log_output(const std::string& process, const std::string& group, pid_t pid, bool stderr_channel,
                          const std::string& data) = 0;
};

}  // namespace konnect
