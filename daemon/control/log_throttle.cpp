#include "daemon/control/log_throttle.hpp"

namespace konnect {

LogThrottle::Verdict LogThrottle::note(const std::string& key, Clock::time_point now) {
  if (!window_open_ || (suppressed_.empty() && now >= window_end())) {
    window_open_ = true;
    window_start_ = now;
    return Verdict::Log;
  }
  const bool first = suppressed_.empty();
  ++suppressed_[key];
  return first ? Verdict::SuppressedFirst : Verdict::Suppressed;
}

LogThrottle::Summary LogThrottle::take_summary() {
  Summary s;
  for (const auto& [key, count] : suppressed_) {
    s.total += count;
    if (!s.by_key.empty()) s.by_key += ", ";
    s.by_key += key + ": " + std::to_string(count);
  }
  suppressed_.clear();
  window_open_ = false;
  return s;
}

}  // namespace konnect
