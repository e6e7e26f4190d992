#pragma once
// One listening socket konnectd holds for a program (SPEC.md "Held sockets and rolling
// restarts"): bound and listening from bind() until it is destroyed, close-on-exec, so no
// child gets it unless the spawner hands it over on purpose as one of fds 3, 4, ... A unix
// socket's file is made (a stale socket file in its place removed first, missing
// directories created) with the configured mode and the program's owner, and removed again
// when the socket closes, unless something else has replaced it meanwhile. Move-only.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <sys/types.h>

#include <optional>

namespace konnect {

class ListenSocket {
 public:
  struct Owner {
    uid_t uid;
    gid_t gid;
  };

  // Errors name the address: "cannot bind tcp://127.0.0.1:9090: Address already in use".
  static Result<ListenSocket> bind(const SocketConfig& config, std::optional<Owner> owner);
  // konnectctl reexec: the socket a previous image bound (fd, still listening), as if bound
  // here; a unix socket's file is the one at its path now.
  static ListenSocket adopt(const SocketConfig& config, int fd);

  ListenSocket(ListenSocket&& other) noexcept;
  ListenSocket& operator=(ListenSocket&& other) noexcept;
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;
  ~ListenSocket();

  const SocketConfig& config() const { return config_; }
  int fd() const { return fd_; }

 private:
  explicit ListenSocket(SocketConfig config) : config_(std::move(config)) {}
  void close();

  SocketConfig config_;
  int fd_ = -1;
  dev_t dev_ = 0;  // unix: the file bind made, removed at close only if it is still there
  ino_t ino_ = 0;
};

}  // namespace konnect
