#pragma once
// Who gets one of the control plane's connection slots (issue 22, docs/protocol.md "Limits").
// One pool and one set of rules for every listener: a listener asks admit() for each
// accepted peer, and its connection holds the Slot it gets and says when it is busy.
//
//  - A peer that is not privileged (root or konnectd's own user) may hold at most
//    max_per_user slots; one more is refused.
//  - When all max_clients slots are taken, the newcomer evicts the connection that has been
//    idle the longest (nothing sent, or a partial line, or an answer it does not read: no
//    request being handled). A privileged peer's idle connection is evicted only for another
//    privileged peer. A connection with a request in flight is never evicted.
//  - A privileged peer finding no idle connection to evict takes one of privileged_reserve
//    slots beyond max_clients. Only when those are taken too, or for an unprivileged peer
//    when nothing can be evicted, is the newcomer refused.
// Pure bookkeeping, no sockets and no clock: "oldest idle" is the order connections became
// idle in.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>

namespace konnect {

struct PeerKey {
  std::uint64_t user = 0;   // uid for Unix sockets
  bool privileged = false;  // root or konnectd's own user
};

struct PoolLimits {
  std::size_t max_clients = 256;
  std::size_t privileged_reserve = 16;
  std::size_t max_per_user = 32;
};

class ClientPool {
 public:
  using Limits = PoolLimits;

  enum class Refusal {
    UserLimit,  // the peer's user holds max_per_user slots already
    Full,       // every slot is busy (or, for the privileged, the reserve is taken too)
  };

  // One taken slot; move-only, released by release() or its destructor. The pool must
  // outlive every Slot that has not been released.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }

    // Busy: a request is being handled (such a connection is never evicted). A slot starts
    // idle; only a change moves it in the idle order.
    void set_busy(bool busy);
    void release();
    bool held() const { return pool_ != nullptr; }

   private:
    friend class ClientPool;
    Slot(ClientPool* pool, std::uint64_t id) : pool_(pool), id_(id) {}
    ClientPool* pool_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // The slot, or why there is none.
  using Admission = std::variant<Slot, Refusal>;

  explicit ClientPool(Limits limits = {}) : limits_(limits) {}
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // Admits peer or says why not. evict is what the pool calls, at most once, to close this
  // connection when a later newcomer needs its slot; by then the slot is already free. An
  // eviction happens inside admit(), before it returns.
  Admission admit(const PeerKey& peer, std::function<void()> evict);

  const Limits& limits() const { return limits_; }
  void set_max_per_user(std::size_t n) { limits_.max_per_user = n; }
  std::size_t size() const { return slots_.size(); }
  std::size_t held_by(std::uint64_t user) const;
  std::uint64_t evictions() const { return evictions_; }

 private:
  using IdleList = std::list<std::uint64_t>;  // oldest idle first
  struct Entry {
    PeerKey peer;
    std::function<void()> evict;
    bool busy = false;
    IdleList::iterator idle_at;  // valid while !busy
  };

  IdleList& idle_list(const PeerKey& peer) { return peer.privileged ? idle_privileged_ : idle_unprivileged_; }
  void set_busy(std::uint64_t id, bool busy);
  void release(std::uint64_t id);
  bool evict_oldest(IdleList& list);

  Limits limits_;
  std::uint64_t next_id_ = 1;
  std::uint64_t evictions_ = 0;
  std::unordered_map<std::uint64_t, Entry> slots_;
  std::unordered_map<std::uint64_t, std::size_t> per_user_;  // unprivileged users only
  IdleList idle_unprivileged_;
  IdleList idle_privileged_;
};

}  // namespace konnect
