// EventBus: sequence numbers and time, every subscriber in order, publishing and
// (un)subscribing from inside a delivery.

#include "daemon/events/event_bus.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace konnect;
using namespace std::chrono_literals;

namespace {

StateChange change(const std::string& name, State to) {
  StateChange c;
  c.name = name;
  c.to = to;
  return c;
}
const StateChange& body(const Event& e) { return std::get<StateChange>(e.body); }

}  // namespace

TEST(EventBus, StampsSequenceAndTimeAndReachesEverySubscriber) {
  test::FakeClock clock;
  EventBus bus(clock);
  std::vector<std::string> a, b;
  auto sa = bus.subscribe([&](const Event& e) { a.push_back(std::to_string(e.seq) + " " + body(e).name); });
  auto sb = bus.subscribe([&](const Event& e) { b.push_back(std::to_string(e.seq) + " " + body(e).name); });
  std::int64_t at = 0;
  auto sc = bus.subscribe([&](const Event& e) { at = e.unix_ms; });
  bus.publish(change("web", State::Starting));
  clock.advance(1500ms);
  bus.publish(change("worker", State::Running));
  EXPECT_EQ(a, (std::vector<std::string>{"1 web", "2 worker"}));
  EXPECT_EQ(b, a);
  EXPECT_EQ(at, clock.unix_ms());
  EXPECT_EQ(bus.last_seq(), 2u);
}

// A subscriber that publishes: its event comes after the current one, to everyone, so each
// subscriber sees the sequence in order.
TEST(EventBus, PublishingFromASubscriberKeepsTheOrder) {
  test::FakeClock clock;
  EventBus bus(clock);
  std::vector<std::uint64_t> first, second;
  auto s1 = bus.subscribe([&](const Event& e) {
    first.push_back(e.seq);
    if (body(e).name == "web") bus.publish(change("reaction", State::Running));
  });
  auto s2 = bus.subscribe([&](const Event& e) { second.push_back(e.seq); });
  bus.publish(change("web", State::Starting));
  EXPECT_EQ(first, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(second, (std::vector<std::uint64_t>{1, 2}));
}

TEST(EventBus, UnsubscribingAndSubscribingDuringADelivery) {
  test::FakeClock clock;
  EventBus bus(clock);
  std::vector<std::string> seen;
  EventBus::Subscription late, second;
  EventBus::Subscription first = bus.subscribe([&](const Event& e) {
    seen.push_back("first " + std::to_string(e.seq));
    first.reset();   // itself
    second.reset();  // one later in the list: it sees nothing more
    late = bus.subscribe([&](const Event& e2) { seen.push_back("late " + std::to_string(e2.seq)); });
  });
  second = bus.subscribe([&](const Event& e) { seen.push_back("second " + std::to_string(e.seq)); });
  bus.publish(change("web", State::Starting));
  bus.publish(change("web", State::Running));
  EXPECT_EQ(seen, (std::vector<std::string>{"first 1", "late 2"}));
  EXPECT_EQ(bus.subscribers(), 1u);
  late.reset();
  EXPECT_EQ(bus.subscribers(), 0u);
}

TEST(EventBus, SubscriptionMovesAndEndsWithItsOwner) {
  test::FakeClock clock;
  EventBus bus(clock);
  int count = 0;
  {
    EventBus::Subscription outer;
    {
      auto inner = bus.subscribe([&](const Event&) { ++count; });
      outer = std::move(inner);
      EXPECT_FALSE(inner.active());
    }
    bus.publish(change("web", State::Running));
    EXPECT_TRUE(outer.active());
  }
  bus.publish(change("web", State::Stopping));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(bus.subscribers(), 0u);
}
