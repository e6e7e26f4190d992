#include "common/config/config_diff.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace konnect {

bool auto_logs_moved(const Config& running, const Config& next, const ProgramConfig& program) {
  if (running.daemon.log_dir == next.daemon.log_dir) return false;
  const bool stderr_auto = !program.redirect_stderr && program.stderr_log.kind == LogTarget::Kind::Auto;
  return program.stdout_log.kind == LogTarget::Kind::Auto || stderr_auto;
}

std::map<std::string, std::pair<std::string, int>> program_groups(const Config& config) {
  std::map<std::string, std::pair<std::string, int>> out;
  for (const auto& p : config.programs) out[p.name] = {p.name, p.priority};
  for (const auto& g : config.groups) {
    for (const auto& name : g.programs) out[name] = {g.name, g.priority};
  }
  return out;
}

ConfigDiff diff_configs(const Config& running, const Config& next) {
  ConfigDiff diff;
  const auto old_groups = program_groups(running);
  const auto new_groups = program_groups(next);
  for (const auto& p : next.programs) {
    const ProgramConfig* old = running.find_program(p.name);
    if (old == nullptr) {
      diff.added.push_back(p.name);
    } else if (!(*old == p) || old_groups.at(p.name) != new_groups.at(p.name) ||
               auto_logs_moved(running, next, p)) {
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
