#include "daemon/output/stream_followers.hpp"

#include <algorithm>

namespace konnect {

void StreamFollowers::add(OutputPump::StreamId id, std::function<bool(const std::string&)> on_data,
                          std::function<void()> on_end) {
  followers_[id].push_back({std::move(on_data), std::move(on_end)});
}

void StreamFollowers::end(OutputPump::StreamId id) {
  auto it = followers_.find(id);
  if (it == followers_.end()) return;
  auto list = std::move(it->second);
  followers_.erase(it);
  for (auto& f : list) {
    if (f.on_end) f.on_end();
  }
}

void StreamFollowers::on_data(OutputPump::StreamId id, const std::string& data) {
  auto it = followers_.find(id);
  if (it == followers_.end()) {
    pump_.set_following(id, false);
    return;
  }
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& f) { return !f.on_data(data); }), list.end());
  if (list.empty()) {
    followers_.erase(it);
    pump_.set_following(id, false);
  }
}

}  // namespace konnect
