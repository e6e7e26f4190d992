#pragma once
// Before konnectd execs a new binary (konnectctl reexec), it runs it once as a child with
// --state-versions and execs only if the answer lists the state version this image writes
// (SPEC.md "Upgrade in place"): a binary that cannot run, crashes, hangs or reads other
// versions is refused here, while the old image still runs everything. The child is one of
// the Supervisor's ProbeChildren (its exit comes from the one reaper); its output is read on
// the loop; nothing blocks.

#include "common/error.hpp"
#include "daemon/health/probe_children.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

namespace konnect {

// done gets nothing when `binary --state-versions` lists `version`, else the reason:
// "/usr/sbin/konnectd --state-versions: exit status 127 (couldn't exec ...)", "... reads
// state versions 2, not 1", "... did not answer within 10s".
void check_state_version(boost::asio::any_io_executor executor, Clock& clock, ProbeChildren& children,
                         const std::filesystem::path& binary, int version, std::chrono::milliseconds limit,
                         std::function<void(Result<void>)> done);

}  // namespace konnect
