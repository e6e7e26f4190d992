#pragma once
// What may take part in a spawn besides the Supervisor: today the event listener pools,
// which give a listener's process its stdin and stdout pipes (daemon/events/listener_pools).

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
};

}  // namespace konnect
