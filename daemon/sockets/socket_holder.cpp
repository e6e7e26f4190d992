#include "daemon/sockets/socket_holder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace konnect {

Result<std::vector<int>> SocketHolder::open(const ProgramConfig& program, std::optional<ListenSocket::Owner> owner) {
  std::vector<ListenSocket>& held = held_[program.name];
  const auto listed = [&](const SocketConfig& config) {
    return std::find(program.sockets.begin(), program.sockets.end(), config) != program.sockets.end();
  };
  for (const auto& socket : held) {
    if (!listed(socket.config())) spdlog::info("{}: closed {} (no longer configured)", program.name, socket.config().address);
  }
  std::erase_if(held, [&](const ListenSocket& socket) { return !listed(socket.config()); });
  std::vector<int> fds;
  for (const SocketConfig& config : program.sockets) {
    auto it = std::find_if(held.begin(), held.end(), [&](const ListenSocket& s) { return s.config() == config; });
    if (it == held.end()) {
      auto socket = ListenSocket::bind(config, owner);
      if (!socket) {
        if (held.empty()) held_.erase(program.name);
        return socket.error();
      }
      spdlog::info("{}: listening on {} (held by konnectd, fd {} in each instance)", program.name, config.address,
                   3 + fds.size());
      held.push_back(std::move(*socket));
      it = held.end() - 1;
    }
    fds.push_back(it->fd());
  }
  if (held.empty()) held_.erase(program.name);
  return fds;
}

void SocketHolder::close(const std::string& program) {
  auto it = held_.find(program);
  if (it == held_.end()) return;
  for (const auto& socket : it->second) spdlog::info("{}: closed {}", program, socket.config().address);
  held_.erase(it);
}

std::vector<handoff::SocketState> SocketHolder::snapshot() const {
  std::vector<handoff::SocketState> out;
  for (const auto& [name, sockets] : held_) {
    for (const auto& socket : sockets) out.push_back({name, socket.config().address, socket.fd()});
  }
  return out;
}

void SocketHolder::adopt(const std::string& program, const SocketConfig& config, int fd) {
  held_[program].push_back(ListenSocket::adopt(config, fd));
}

std::vector<std::string> SocketHolder::programs() const {
  std::vector<std::string> out;
  for (const auto& [name, sockets] : held_) out.push_back(name);
  return out;
}

std::string listen_fdnames(const ProgramConfig& program) {
  std::string out;
  for (const auto& socket : program.sockets) out += (out.empty() ? "" : ":") + socket.name;
  return out;
}

}  // namespace konnect
