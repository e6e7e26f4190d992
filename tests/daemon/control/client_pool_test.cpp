// ClientPool (issue 22): per-user limit, eviction of the longest idle, root's reserve.

#include "daemon/control/client_pool.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

using konnect::ClientPool;
using konnect::PeerKey;

namespace {

const PeerKey kRoot{0, true};
PeerKey user(std::uint64_t uid) { return PeerKey{uid, false}; }

// Holds the slots a test takes and records which connections the pool evicted.
struct Clients {
  explicit Clients(ClientPool::Limits limits) : pool(limits) {}

  // Admits a client named name; false when refused (refusal says why).
  bool connect(const std::string& name, const PeerKey& peer) {
    auto a = pool.admit(peer, [this, name] { evicted.push_back(name); });
    if (const auto* why = std::get_if<ClientPool::Refusal>(&a)) {
      refusal = *why;
      return false;
    }
    slots.emplace(name, std::move(std::get<ClientPool::Slot>(a)));
    return true;
  }

  ClientPool pool;
  std::map<std::string, ClientPool::Slot> slots;
  std::vector<std::string> evicted;
  ClientPool::Refusal refusal{};
};

}  // namespace

TEST(ClientPool, OneUserGetsNoMoreThanItsLimitAndFreedSlotsCountAgain) {
  Clients c({.max_clients = 100, .privileged_reserve = 4, .max_per_user = 3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.connect("a" + std::to_string(i), user(1000)));
  EXPECT_FALSE(c.connect("a3", user(1000)));
  EXPECT_EQ(c.refusal, ClientPool::Refusal::UserLimit);
  EXPECT_TRUE(c.connect("b0", user(1001))) << "another user has a limit of its own";
  EXPECT_TRUE(c.connect("r0", kRoot));
  EXPECT_EQ(c.pool.held_by(1000), 3u);
  c.slots.at("a1").release();
  EXPECT_EQ(c.pool.held_by(1000), 2u);
  EXPECT_TRUE(c.connect("a4", user(1000)));
  EXPECT_TRUE(c.evicted.empty());
}

TEST(ClientPool, RootHasNoPerUserLimit) {
  Clients c({.max_clients = 10, .privileged_reserve = 2, .max_per_user = 1});
  for (int i = 0; i < 12; ++i) EXPECT_TRUE(c.connect("r" + std::to_string(i), kRoot)) << i;
}

TEST(ClientPool, FullPoolEvictsTheLongestIdleUnprivilegedFirst) {
  Clients c({.max_clients = 4, .privileged_reserve = 0, .max_per_user = 10});
  ASSERT_TRUE(c.connect("r0", kRoot));
  ASSERT_TRUE(c.connect("a0", user(1000)));
  ASSERT_TRUE(c.connect("a1", user(1000)));
  ASSERT_TRUE(c.connect("a2", user(1000)));
  // a0 sends a request and is answered: idle again, now the newest idle one.
  c.slots.at("a0").set_busy(true);
  c.slots.at("a0").set_busy(false);
  ASSERT_TRUE(c.connect("b0", user(1001)));
  ASSERT_TRUE(c.connect("b1", user(1001)));
  ASSERT_TRUE(c.connect("b2", user(1001)));
  EXPECT_EQ(c.evicted, (std::vector<std::string>{"a1", "a2", "a0"}));
  EXPECT_EQ(c.pool.size(), 4u);
  EXPECT_EQ(c.pool.held_by(1000), 0u);
  EXPECT_EQ(c.pool.evictions(), 3u);
  // The evicted connections' own release is harmless.
  c.slots.at("a1").release();
  EXPECT_EQ(c.pool.size(), 4u);
}

TEST(ClientPool, BusyConnectionsAreNeverEvicted) {
  Clients c({.max_clients = 3, .privileged_reserve = 1, .max_per_user = 10});
  for (const char* n : {"a0", "a1", "a2"}) {
    ASSERT_TRUE(c.connect(n, user(1000)));
    c.slots.at(n).set_busy(true);
  }
  EXPECT_FALSE(c.connect("b0", user(1001)));
  EXPECT_EQ(c.refusal, ClientPool::Refusal::Full);
  EXPECT_TRUE(c.connect("r0", kRoot)) << "root takes the reserve";
  c.slots.at("r0").set_busy(true);
  EXPECT_FALSE(c.connect("r1", kRoot)) << "the reserve is taken and nothing is idle";
  EXPECT_EQ(c.refusal, ClientPool::Refusal::Full);
  EXPECT_TRUE(c.evicted.empty());
  c.slots.at("a1").set_busy(false);  // answered: idle, and so evictable
  EXPECT_TRUE(c.connect("b1", user(1001)));
  EXPECT_EQ(c.evicted, (std::vector<std::string>{"a1"}));
}

TEST(ClientPool, RootEvictsItsOwnIdleOnlyWhenNothingElseIsLeft) {
  Clients c({.max_clients = 2, .privileged_reserve = 1, .max_per_user = 10});
  ASSERT_TRUE(c.connect("r0", kRoot));
  ASSERT_TRUE(c.connect("a0", user(1000)));
  c.slots.at("a0").set_busy(true);
  EXPECT_FALSE(c.connect("b0", user(1001))) << "root's idle connection is not evicted for another user";
  EXPECT_TRUE(c.connect("r1", kRoot));  // the reserve
  EXPECT_TRUE(c.connect("r2", kRoot));  // evicts r0, the longest idle of root's
  EXPECT_EQ(c.evicted, (std::vector<std::string>{"r0"}));
}

TEST(ClientPool, HalfSentIsIdleAndSendingMoreDoesNotMakeItYounger) {
  Clients c({.max_clients = 2, .privileged_reserve = 0, .max_per_user = 10});
  ASSERT_TRUE(c.connect("slow", user(1000)));
  ASSERT_TRUE(c.connect("idle", user(1000)));
  c.slots.at("slow").set_busy(false);  // more bytes of a partial line: no change
  ASSERT_TRUE(c.connect("root", kRoot));
  EXPECT_EQ(c.evicted, (std::vector<std::string>{"slow"}));
}

TEST(ClientPool, SlotsMoveAndReleaseOnce) {
  Clients c({.max_clients = 5, .privileged_reserve = 0, .max_per_user = 5});
  ASSERT_TRUE(c.connect("a", user(7)));
  ClientPool::Slot moved = std::move(c.slots.at("a"));
  EXPECT_FALSE(c.slots.at("a").held());
  EXPECT_TRUE(moved.held());
  c.slots.erase("a");
  EXPECT_EQ(c.pool.size(), 1u);
  { ClientPool::Slot gone = std::move(moved); }
  EXPECT_EQ(c.pool.size(), 0u);
  EXPECT_EQ(c.pool.held_by(7), 0u);
}
