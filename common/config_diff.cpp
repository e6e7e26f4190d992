#include "common/config_diff.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace konnect {
namespace {

// program name -> (group name, group priority); a program in no [group] is its own.
std::map<std::string, std::pair<std::string, int>> group_of(const Config& config) {
  std::map<std::string, std::pair<std::string, int>> out;
  for (const auto& p : config.programs) out[p.name] = {p.name, p.priority};
  for (const auto& g : config.groups) {
    for (const auto& name : g.programs) out[name] = {g.name, g.priority};
  }
  return out;
}

}  // namespace

ConfigDiff diff_configs(const Config& running, const Config& next) {
  ConfigDiff diff;
  const auto old_groups = group_of(running);
  const auto new_groups = group_of(next);
  for (const auto& p : next.programs) {
    const ProgramConfig* old = running.find_program(p.name);
    if (old == nullptr) {
      diff.added.push_back(p.name);
    } else if (!(*old == p) || old_groups.at(p.name) != new_groups.at(p.name)) {
      diff.changed.push_back(p.name);
    }
  }
  for (const auto& p : running.programs) {
    if (next.find_program(p.name) == nullptr) diff.removed.push_back(p.name);
  }
  for (auto* list : {&diff.added, &diff.changed, &diff.removed}) std::sort(list->begin(), list->end());
  return diff;
}

}  // namespace konnect
