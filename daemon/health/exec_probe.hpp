#pragma once
// ready/health = { exec = [...] }: the command exits 0. It runs as the program runs (its
// user, directory and environment: `plan` makes the SpawnSpec), its output goes to the
// daemon log at debug level, and at the limit its process group is SIGKILLed.

#include "daemon/health/probe.hpp"
#include "daemon/health/probe_children.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace konnect {

// `name` is for the daemon log ("web ready check").
std::unique_ptr<Probe> make_exec_probe(boost::asio::any_io_executor executor, Clock& clock, ProbeChildren& children,
                                       std::function<Result<SpawnSpec>()> plan, std::string name);

}  // namespace konnect
