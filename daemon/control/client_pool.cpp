#include "daemon/control/client_pool.hpp"

#include <utility>

namespace konnect {

ClientPool::Slot::Slot(Slot&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), id_(std::exchange(other.id_, 0)) {}

ClientPool::Slot& ClientPool::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::exchange(other.pool_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void ClientPool::Slot::set_busy(bool busy) {
  if (pool_ != nullptr) pool_->set_busy(id_, busy);
}

void ClientPool::Slot::release() {
  if (pool_ != nullptr) std::exchange(pool_, nullptr)->release(id_);
}

ClientPool::Admission ClientPool::admit(const PeerKey& peer, std::function<void()> evict) {
  if (!peer.privileged && held_by(peer.user) >= limits_.max_per_user) return Refusal::UserLimit;
  if (slots_.size() >= limits_.max_clients) {
    // Full: the longest idle unprivileged connection goes first; the privileged may also
    // use the reserve, and only then evict one of their own.
    const bool made_room = evict_oldest(idle_unprivileged_) ||
                           (peer.privileged && slots_.size() < limits_.max_clients + limits_.privileged_reserve) ||
                           (peer.privileged && evict_oldest(idle_privileged_));
    if (!made_room) return Refusal::Full;
  }
  const std::uint64_t id = next_id_++;
  IdleList& idle = idle_list(peer);
  idle.push_back(id);
  slots_.emplace(id, Entry{peer, std::move(evict), false, std::prev(idle.end())});
  if (!peer.privileged) ++per_user_[peer.user];
  return Slot(this, id);
}

std::size_t ClientPool::held_by(std::uint64_t user) const {
  const auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

bool ClientPool::evict_oldest(IdleList& list) {
  if (list.empty()) return false;
  const std::uint64_t id = list.front();
  auto it = slots_.find(id);
  std::function<void()> evict = std::move(it->second.evict);
  release(id);  // free first: the connection's own release during evict() is a no-op
  ++evictions_;
  if (evict) evict();
  return true;
}

void ClientPool::set_busy(std::uint64_t id, bool busy) {
  auto it = slots_.find(id);
  if (it == slots_.end() || it->second.busy == busy) return;
  Entry& e = it->second;
  IdleList& idle = idle_list(e.peer);
  if (busy) {
    idle.erase(e.idle_at);
  } else {
    idle.push_back(id);
    e.idle_at = std::prev(idle.end());
  }
  e.busy = busy;
}

void ClientPool::release(std::uint64_t id) {
  auto it = slots_.find(id);
  if (it == slots_.end()) return;
  Entry& e = it->second;
  if (!e.busy) idle_list(e.peer).erase(e.idle_at);
  if (!e.peer.privileged) {
    auto user = per_user_.find(e.peer.user);
    if (--user->second == 0) per_user_.erase(user);
  }
  slots_.erase(it);
}

}  // namespace konnect
