#pragma once
// A Clock for unit tests: time stands still until the test moves it with advance(), which
// fires every deadline that falls due on the way, in order, each at its own time. Nothing
// waits real time.

#include "daemon/system/clock.hpp"

#include <map>

namespace konnect::test {

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  std::int64_t unix_ms() const override {
    return kUnixStart * 1000 + std::chrono::duration_cast<std::chrono::milliseconds>(now_ - TimePoint{}).count();
  }
  std::unique_ptr<Deadline> make_deadline() override { return std::make_unique<FakeDeadline>(*this); }

  // Moves time on by d, firing what falls due meanwhile (also deadlines armed by a firing).
  void advance(std::chrono::milliseconds d) {
    const TimePoint target = now_ + d;
    for (;;) {
      auto next = armed_.end();
      for (auto it = armed_.begin(); it != armed_.end(); ++it) {
        if (it->second.due <= target && (next == armed_.end() || std::pair(it->second.due, it->second.seq) <
                                                                     std::pair(next->second.due, next->second.seq))) {
          next = it;
        }
      }
      if (next == armed_.end()) break;
      now_ = next->second.due;
      auto fire = std::move(next->second.fire);
      armed_.erase(next);
      fire();
    }
    now_ = target;
  }
  std::size_t armed() const { return armed_.size(); }

  static constexpr std::int64_t kUnixStart = 1'800'000'000;

 private:
  class FakeDeadline final : public Deadline {
   public:
    explicit FakeDeadline(FakeClock& clock) : clock_(clock) {}
    ~FakeDeadline() override { cancel(); }
    void arm(std::chrono::milliseconds after, std::function<void()> fire) override {
      clock_.armed_[this] = Armed{clock_.now_ + after, clock_.next_seq_++, std::move(fire)};
    }
    void cancel() override { clock_.armed_.erase(this); }

   private:
    FakeClock& clock_;
  };

  struct Armed {
    TimePoint due;
    std::uint64_t seq;
    std::function<void()> fire;
  };

  TimePoint now_{std::chrono::hours(1)};
  std::uint64_t next_seq_ = 0;
  std::map<const Deadline*, Armed> armed_;
};

}  // namespace konnect::test
