#pragma once
// Rate limit for a log line that a peer can make us write (a refused or a read-only control
// connection): the first one in a window is logged, the rest of that window are counted per
// key and told in one summary line when the window ends. Pure logic: the caller passes the
// time and arms one timer for the summary (no wakeups while nothing is suppressed).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace konnect {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration window = std::chrono::seconds(10)) : window_(window) {}

  enum class Verdict {
    Log,              // write the line now
    SuppressedFirst,  // counted; the first one counted in this window: arm the summary at window_end()
    Suppressed,       // counted; the summary is already due
  };
  // One more line for key (e.g. "uid 1000") at now.
  Verdict note(const std::string& key, Clock::time_point now);
  Clock::time_point window_end() const { return window_start_ + window_; }

  // What was suppressed since the last summary, "uid 1000: 967, uid 1001: 3", and the total;
  // both empty/0 when nothing was. Starts a new window: the next note() logs.
  struct Summary {
    std::uint64_t total = 0;
    std::string by_key;
  };
  Summary take_summary();

 private:
  Clock::duration window_;
  Clock::time_point window_start_{};
  bool window_open_ = false;
  std::map<std::string, std::uint64_t> suppressed_;
};

}  // namespace konnect
