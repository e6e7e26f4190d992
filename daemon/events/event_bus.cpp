#include "daemon/events/event_bus.hpp"

#include <algorithm>
#include <utility>

namespace konnect {

EventBus::Subscription::Subscription(Subscription&& other) noexcept
    : bus_(std::exchange(other.bus_, nullptr)), id_(std::exchange(other.id_, 0)) {}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    bus_ = std::exchange(other.bus_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void EventBus::Subscription::reset() {
  if (bus_ != nullptr) std::exchange(bus_, nullptr)->unsubscribe(id_);
}

EventBus::Subscription EventBus::subscribe(Handler handler) {
  const std::uint64_t id = next_id_++;
  subscribers_.push_back({id, std::move(handler), true});
  return Subscription(this, id);
}

std::size_t EventBus::subscribers() const {
  return static_cast<std::size_t>(
      std::count_if(subscribers_.begin(), subscribers_.end(), [](const Subscriber& s) { return s.active; }));
}

void EventBus::unsubscribe(std::uint64_t id) {
  for (auto& s : subscribers_) {
    if (s.id == id) s.active = false;
  }
  if (!delivering_) std::erase_if(subscribers_, [](const Subscriber& s) { return !s.active; });
}

void EventBus::publish(EventBody body) {
  pending_.push_back(Event{++last_seq_, clock_.unix_ms(), std::move(body)});
  if (!delivering_) deliver();
}

void EventBus::deliver() {
  delivering_ = true;
  while (!pending_.empty()) {
    const Event event = std::move(pending_.front());
    pending_.pop_front();
    // By index, up to those there now: one that subscribes meanwhile sees the next event.
    // Nothing is erased while this runs, so a handler may unsubscribe even itself.
    const std::size_t count = subscribers_.size();
    for (std::size_t i = 0; i < count; ++i) {
      if (subscribers_[i].active) subscribers_[i].handler(event);
    }
  }
  delivering_ = false;
  std::erase_if(subscribers_, [](const Subscriber& s) { return !s.active; });
}

}  // namespace konnect
