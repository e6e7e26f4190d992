#pragma once
// One publisher-to-many bus on the event loop. publish() stamps each event with the next
// sequence number and the time and hands it to every subscriber, in subscription order;
// every subscriber sees every event in sequence order, also when a subscriber publishes
// (that event waits until the current one has reached everyone). A subscriber may
// unsubscribe (itself or another) at any time; one that unsubscribes sees nothing more.
//
// Subscribers run on the loop and must be quick: one that forwards to a client queues what
// it forwards, bounded, and drops what a slow client cannot take (as tail -f does), so a
// slow subscriber never blocks the loop.

#include "daemon/events/event.hpp"
#include "daemon/system/clock.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>

namespace konnect {

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;

  // Move-only; unsubscribes when destroyed or reset(). The bus must outlive it.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }
    void reset();
    bool active() const { return bus_ != nullptr; }

   private:
    friend class EventBus;
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    EventBus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  explicit EventBus(const Clock& clock) : clock_(clock) {}
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  [[nodiscard]] Subscription subscribe(Handler handler);
  void publish(EventBody body);
  // The sequence number of the last event published (0: none yet).
  std::uint64_t last_seq() const { return last_seq_; }
  // konnectctl reexec: the next image numbers on from where the previous one was.
  void continue_from(std::uint64_t seq) { last_seq_ = std::max(last_seq_, seq); }
  std::size_t subscribers() const;

 private:
  struct Subscriber {
    std::uint64_t id;
    Handler handler;
    bool active = true;  // false once unsubscribed; removed when no delivery is running
  };
  void unsubscribe(std::uint64_t id);
  void deliver();

  const Clock& clock_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t next_id_ = 1;
  std::deque<Subscriber> subscribers_;  // a deque: subscribing during a delivery moves no handler
  std::deque<Event> pending_;
  bool delivering_ = false;
};

}  // namespace konnect
