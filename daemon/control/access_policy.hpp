#pragma once
// Who may do what on the control socket (issue 5, docs/protocol.md "Access"): decided once
// per connection from the peer's credentials (SO_PEERCRED). root and konnectd's own user
// may do everything; so may members of [konnectd] socket_group; members of
// socket_readonly_group may ask status, pid and version; anyone else gets PERMISSION_DENIED
// for every request. Group membership is read from /proc/PID/status of the client
// (its effective gid and supplementary groups): no NSS lookup on the event loop.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace konnect {

enum class Access { None, ReadOnly, Full };

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class AccessPolicy {
 public:
  AccessPolicy() = default;  // root and our own user only
  // Resolves the group names (at start-up: they must exist, the loader checked).
  static Result<AccessPolicy> create(const DaemonConfig& config);

  // Which commands ReadOnly allows is the command table's to say (RequestHandler).
  Access decide(const PeerCredentials& peer) const;
  // root or konnectd's own user: full access, and no per-user connection limit (ClientPool).
  bool is_privileged(const PeerCredentials& peer) const { return peer.uid == 0 || peer.uid == own_uid_; }

  std::optional<gid_t> socket_gid() const { return full_gid_; }
  bool has_read_only_group() const { return read_only_gid_.has_value(); }

 private:
  uid_t own_uid_ = 0;
  std::optional<gid_t> full_gid_;
  std::optional<gid_t> read_only_gid_;
};

// "uid 1000 (pid 4242)" for messages.
std::string describe_peer(const PeerCredentials& peer);

}  // namespace konnect
