#pragma once
// Plain clients of what supervised programs serve, for tests: a free loopback port, and one
// connection to a TCP port or unix socket read until the peer closes it.

#include <chrono>
#include <filesystem>
#include <string>

namespace konnect::test {

// A loopback port nobody listens on now (the kernel's pick, released at once).
int free_port();

// Connects, sends `request` (if any), and returns everything read until EOF or the deadline;
// "" when the connection fails.
std::string ask_tcp(int port, const std::string& request = "", std::chrono::milliseconds deadline = std::chrono::seconds(5));
std::string ask_unix(const std::filesystem::path& path, const std::string& request = "",
                     std::chrono::milliseconds deadline = std::chrono::seconds(5));

}  // namespace konnect::test
