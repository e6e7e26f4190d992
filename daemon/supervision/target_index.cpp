#include "daemon/supervision/target_index.hpp"

#include "daemon/supervision/process.hpp"

#include <algorithm>
#include <tuple>

namespace konnect {

void TargetIndex::rebuild(std::vector<Process*> processes) {
  ordered_ = std::move(processes);
  rank_.clear();
  by_name_.clear();
  by_group_.clear();
  auto key = [](const Process* p) { return std::make_tuple(p->group_priority(), p->config().priority, p->namespec()); };
  std::sort(ordered_.begin(), ordered_.end(), [&](const Process* a, const Process* b) { return key(a) < key(b); });
  for (std::size_t i = 0; i < ordered_.size(); ++i) {
    Process* p = ordered_[i];
    rank_[p] = i;
    by_name_[p->group()].push_back(p);
    if (p->config().name != p->group()) by_name_[p->config().name].push_back(p);
    if (p->name() != p->config().name && p->name() != p->group()) by_name_[p->name()].push_back(p);
    by_group_[p->group()].push_back(p);
  }
}

void TargetIndex::sort(std::vector<Process*>& processes) const {
  std::sort(processes.begin(), processes.end(),
            [this](const Process* a, const Process* b) { return rank_.at(a) < rank_.at(b); });
}

Result<std::vector<Process*>> TargetIndex::resolve(const std::vector<std::string>& targets) const {
  std::vector<bool> chosen(ordered_.size(), false);
  auto take = [&](const std::vector<Process*>& list) {
    for (const Process* p : list) chosen[rank_.at(p)] = true;
  };
  for (const auto& target : targets) {
    if (target == "all") {
      chosen.assign(ordered_.size(), true);
      continue;
    }
    const auto colon = target.find(':');
    if (colon == std::string::npos) {
      // NAME: a group (every member), a program (every instance) or a process.
      auto it = by_name_.find(target);
      if (it == by_name_.end()) return make_error(ErrorCode::NoSuchProcess, "no such process or group: " + target);
      take(it->second);
      continue;
    }
    auto group = by_group_.find(target.substr(0, colon));
    const std::string name = target.substr(colon + 1);
    bool matched = false;
    if (group != by_group_.end()) {
      for (Process* p : group->second) {
        if (name == "*" || p->name() == name) {
          chosen[rank_.at(p)] = true;
          matched = true;
        }
      }
    }
    if (!matched) return make_error(ErrorCode::NoSuchProcess, "no such process or group: " + target);
  }
  std::vector<Process*> out;
  for (std::size_t i = 0; i < ordered_.size(); ++i) {
    if (chosen[i]) out.push_back(ordered_[i]);
  }
  return out;
}

}  // namespace konnect
