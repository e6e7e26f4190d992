#pragma once
// The probes that connect: `tcp` (a connect succeeds) and `http` (GET answers 2xx or 3xx),
// on the loop with Asio and Beast. A host that is not an IP address is resolved by Asio's
// resolver (its own thread), never on the loop.

#include "daemon/health/probe.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace konnect {

std::unique_ptr<Probe> make_tcp_probe(boost::asio::any_io_executor executor, Clock& clock, ProbeTarget target);
std::unique_ptr<Probe> make_http_probe(boost::asio::any_io_executor executor, Clock& clock, ProbeTarget target);

}  // namespace konnect
