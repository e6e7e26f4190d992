#pragma once
// Internal to the config loader: sockets = [...] (SPEC.md "Held sockets and rolling
// restarts"). Reading one program's list, and checking every program's once all files are
// read: no address may be held twice.

#include "common/config/config.hpp"
#include "common/config/config_values.hpp"
#include "common/error.hpp"

#include <vector>

namespace konnect::config_detail {

// The most sockets one program may hold (its fds 3 to 66).
inline constexpr std::size_t kMaxSockets = 64;

// `f` is the value of program.NAME.sockets: an array of "tcp://HOST:PORT" / "unix:PATH"
// strings and { address = "...", name = "...", backlog = N, mode = "0660" } tables. A name
// left out is the program's.
Result<std::vector<SocketConfig>> read_sockets(const Field& f, const std::string& program);

// Whether binding both would collide: the same unix path, or the same TCP port where the
// hosts are equal or one of them is every address ("*").
bool sockets_collide(const SocketConfig& a, const SocketConfig& b);

// The held socket an http or tcp probe connects to, or null (other probes, other addresses).
// "localhost" is 127.0.0.1 and ::1; a socket on every address ("*") takes any host.
const SocketConfig* probed_socket(const ProbeTarget& probe, const std::vector<SocketConfig>& sockets);

// The first address two programs both hold, naming file, line and program.NAME.sockets of
// the later one and where the earlier one is.
Result<void> check_sockets(const Config& config);

}  // namespace konnect::config_detail
