#include "daemon/system/clock.hpp"

#include <boost/asio/steady_timer.hpp>


namespace konnect {
namespace {

class AsioDeadline final : public Deadline {
 public:
  explicit AsioDeadline(const boost::asio::any_io_executor& executor) : timer_(executor) {}
  ~AsioDeadline() override { cancel(); }

  void arm(std::chrono::milliseconds after, std::function<void()> fire) override {
    const std::uint64_t generation = ++generation_;
    timer_.expires_after(after);
    // A completion already queued when the timer was cancelled still comes with success:
    // the generation tells it is stale, the token that its deadline is gone.
    timer_.async_wait([this, alive = std::weak_ptr<int>(alive_), generation, fire = std::move(fire)](
                          const boost::system::error_code& ec) {
      if (ec == boost::asio::error::operation_aborted || alive.expired()) return;
      if (generation != generation_) return;
      fire();
    });
  }

  void cancel() override {
    ++generation_;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace

std::int64_t AsioClock::unix_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::unique_ptr<Deadline> AsioClock::make_deadline() { return std::make_unique<AsioDeadline>(executor_); }

}  // namespace konnect
