#include "daemon/control/access_policy.hpp"

#include <grp.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace konnect {
namespace {

Result<gid_t> group_id(const std::string& name) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
    return make_error(ErrorCode::Config, "no such group '" + name + "'");
  }
  return found->gr_gid;
}

// The effective gid and supplementary groups of pid, from /proc/PID/status.
bool in_group(const PeerCredentials& peer, gid_t gid) {
  if (peer.gid == gid) return true;
  std::ifstream status("/proc/" + std::to_string(peer.pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream groups(line.substr(7));
    long g = 0;
    while (groups >> g) {
      if (static_cast<gid_t>(g) == gid) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

Result<AccessPolicy> AccessPolicy::create(const DaemonConfig& config) {
  AccessPolicy p;
  p.own_uid_ = ::geteuid();
  if (!config.socket_group.empty()) {
    auto gid = group_id(config.socket_group);
    if (!gid) return gid.error();
    p.full_gid_ = *gid;
  }
  if (!config.socket_readonly_group.empty()) {
    auto gid = group_id(config.socket_readonly_group);
    if (!gid) return gid.error();
    p.read_only_gid_ = *gid;
  }
  return p;
}

Access AccessPolicy::decide(const PeerCredentials& peer) const {
  if (is_privileged(peer)) return Access::Full;
  if (full_gid_ && in_group(peer, *full_gid_)) return Access::Full;
  if (read_only_gid_ && in_group(peer, *read_only_gid_)) return Access::ReadOnly;
  return Access::None;
}

std::string describe_peer(const PeerCredentials& peer) {
  return "uid " + std::to_string(peer.uid) + " (pid " + std::to_string(peer.pid) + ")";
}

}  // namespace konnect
