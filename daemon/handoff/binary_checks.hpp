#pragma once
// Before konnectd execs a new binary (konnectctl reexec) it asks that binary, as a child,
// whether it can take over, while the old image still runs everything (SPEC.md "Upgrade in
// place"): first `BINARY --state-versions` must list the state version this image writes;
// then `BINARY --check-state 3`, given the state itself (programs and config, as fd 3), must
// read it and load its config. A binary that cannot run, crashes, hangs, reads other versions
// or cannot take this state is refused here, with nothing changed; what could still go wrong
// after the exec is only what the two checks could not try (the fds themselves). Each child
// is one of the Supervisor's ProbeChildren (its exit comes from the one reaper); its output is
// read on the loop; nothing blocks.

#include "common/error.hpp"
#include "daemon/health/probe_children.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace konnect {

struct BinaryCheck {
  boost::asio::any_io_executor executor;
  Clock& clock;
  ProbeChildren& children;
  std::filesystem::path binary;
  std::chrono::milliseconds limit;
};

// done gets nothing when `binary --state-versions` lists `version`, else the reason:
// "/usr/sbin/konnectd --state-versions: exit status 127 (couldn't exec ...)", "... reads
// state versions '2', not 1", "... no answer within 10s".
void check_state_version(const BinaryCheck& check, int version, std::function<void(Result<void>)> done);

// done gets nothing when `binary --check-state 3`, with state_fd as its fd 3, exits 0; else
// the reason, with the first line it printed.
void check_state(const BinaryCheck& check, int state_fd, std::function<void(Result<void>)> done);

}  // namespace konnect
