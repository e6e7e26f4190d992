#pragma once
// Every listening socket konnectd holds, by program name (SPEC.md "Held sockets and rolling
// restarts"). Keyed by name, not by Program object, because a reload makes a changed program
// anew: a socket whose address it still lists stays open across that, so clients queue in
// its backlog instead of being refused. The one owner of "which sockets are open".
//
// Expects: the Supervisor calls open() as it spawns each instance (the first one binds),
// and close() when a program is stopped by a client, FATAL or removed.

#include "common/config/config.hpp"
#include "common/handoff/handoff_state.hpp"
#include "common/error.hpp"
#include "daemon/sockets/listen_socket.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

class SocketHolder {
 public:
  // The fds of `program`'s sockets, in the order it lists them: those it holds already, the
  // others bound now (owner: a unix socket file's owner). Sockets held for it that it no
  // longer lists (a reload changed them) are closed first, so a changed address is free to
  // bind again. A bind error is the spawn error; what was bound before it stays held.
  Result<std::vector<int>> open(const ProgramConfig& program, std::optional<ListenSocket::Owner> owner);
  // Closes every socket held for the program (nothing to do when there is none).
  void close(const std::string& program);

  bool holds(const std::string& program) const { return held_.count(program) != 0; }
  // konnectctl reexec: every held socket (program, address, fd), and in the next image the
  // same taken back, as `config` (the program's entry for that address) describes it.
  std::vector<handoff::SocketState> snapshot() const;
  void adopt(const std::string& program, const SocketConfig& config, int fd);
  // The programs with at least one socket open.
  std::vector<std::string> programs() const;

 private:
  std::map<std::string, std::vector<ListenSocket>> held_;
};

// LISTEN_FDNAMES for the program's sockets: their names joined by ':'.
std::string listen_fdnames(const ProgramConfig& program);

}  // namespace konnect
