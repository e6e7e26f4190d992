#include "common/config/reload_plan.hpp"

#include "common/config/config_diff.hpp"

#include <algorithm>
#include <set>

namespace konnect {
namespace {

using Names = std::set<std::string>;

// The programs a program-or-group name stands for in `config`; empty when it names nothing.
Names programs_named(const Config& config, const std::string& name) {
  Names out;
  if (config.find_program(name) != nullptr) out.insert(name);
  for (const auto& g : config.groups) {
    if (g.name == name) out.insert(g.programs.begin(), g.programs.end());
  }
  return out;
}

Error no_such(const std::string& name) {
  return make_error(ErrorCode::NoSuchProcess, "no such process/group: " + name);
}

struct Actions {
  Names added, restarted, updated, removed;
};

// Takes `program` out of every group of `config`, then puts it where `source` has it.
void place(Config& config, const Config& source, const std::string& program) {
  for (auto& g : config.groups) std::erase(g.programs, program);
  if (source.find_program(program) == nullptr) return;
  for (const auto& sg : source.groups) {
    if (std::find(sg.programs.begin(), sg.programs.end(), program) == sg.programs.end()) continue;
    auto it = std::find_if(config.groups.begin(), config.groups.end(), [&](const GroupConfig& g) { return g.name == sg.name; });
    if (it == config.groups.end()) {
      GroupConfig g = sg;
      g.programs.clear();
      config.groups.push_back(std::move(g));
      it = std::prev(config.groups.end());
    }
    // An existing group keeps the priority it runs with: a new one applies to all its
    // members, with a reload of the whole group (or of everything).
    it->programs.push_back(program);
  }
}

// `running` with the actions' programs taken from `next` (or dropped).
Config partial_result(const Config& running, const Config& next, const Actions& a) {
  Config out = running;
  for (const auto& name : a.removed) std::erase_if(out.programs, [&](const ProgramConfig& p) { return p.name == name; });
  for (const Names* set : {&a.added, &a.restarted, &a.updated}) {
    for (const auto& name : *set) {
      const ProgramConfig& p = *next.find_program(name);
      auto it = std::find_if(out.programs.begin(), out.programs.end(), [&](const ProgramConfig& q) { return q.name == name; });
      if (it == out.programs.end()) {
        out.programs.push_back(p);
      } else {
        *it = p;
      }
    }
  }
  for (const Names* set : {&a.added, &a.restarted, &a.updated, &a.removed}) {
    for (const auto& name : *set) place(out, a.removed.count(name) ? out : next, name);
  }
  std::erase_if(out.groups, [](const GroupConfig& g) { return g.programs.empty(); });
  // A group's new priority applies once every member is part of this plan.
  for (auto& g : out.groups) {
    auto sg = std::find_if(next.groups.begin(), next.groups.end(), [&](const GroupConfig& n) { return n.name == g.name; });
    if (sg == next.groups.end()) continue;
    const bool all = std::all_of(g.programs.begin(), g.programs.end(), [&](const std::string& m) {
      return a.added.count(m) || a.restarted.count(m) || a.updated.count(m);
    });
    if (all) g.priority = sg->priority;
  }
  return out;
}

ReloadPlan make_plan(Config result, const Actions& a) {
  ReloadPlan plan;
  plan.added.assign(a.added.begin(), a.added.end());
  plan.restarted.assign(a.restarted.begin(), a.restarted.end());
  plan.updated.assign(a.updated.begin(), a.updated.end());
  plan.removed.assign(a.removed.begin(), a.removed.end());
  plan.result = std::move(result);
  return plan;
}

}  // namespace

Result<ReloadPlan> plan_reload(const Config& running, const Config& next, const std::vector<std::string>& only) {
  const bool all = only.empty() || std::find(only.begin(), only.end(), "all") != only.end();
  Names wanted;
  if (!all) {
    for (const auto& name : only) {
      Names here = programs_named(running, name);
      Names there = programs_named(next, name);
      if (here.empty() && there.empty()) return no_such(name);
      wanted.insert(here.begin(), here.end());
      wanted.insert(there.begin(), there.end());
    }
  }
  auto in_scope = [&](const std::string& name) { return all || wanted.count(name) != 0; };
  const auto old_groups = program_groups(running);
  const auto new_groups = program_groups(next);
  Actions a;
  for (const auto& p : next.programs) {
    if (!in_scope(p.name)) continue;
    const ProgramConfig* old = running.find_program(p.name);
    if (old == nullptr) {
      a.added.insert(p.name);
    } else if (needs_restart(*old, p) || old_groups.at(p.name).first != new_groups.at(p.name).first ||
               (all && auto_logs_moved(running, next, p))) {
      a.restarted.insert(p.name);
    } else if (!(*old == p) || old_groups.at(p.name) != new_groups.at(p.name)) {
      a.updated.insert(p.name);
    }
  }
  for (const auto& p : running.programs) {
    if (in_scope(p.name) && next.find_program(p.name) == nullptr) a.removed.insert(p.name);
  }
  if (!all) return make_plan(partial_result(running, next, a), a);
  Config result = next;
  const DaemonConfig& now = running.daemon;
  std::vector<std::string> warnings;
  auto keep = [&](const char* key, bool same) {
    if (!same) warnings.push_back(std::string("[konnectd] ") + key + " changed: it takes effect when konnectd starts again");
  };
  keep("socket", now.socket == next.daemon.socket);
  keep("pid_file", now.pid_file == next.daemon.pid_file);
  keep("log_file", now.log_file == next.daemon.log_file);
  keep("log_file_maxbytes", now.log_file_maxbytes == next.daemon.log_file_maxbytes);
  keep("log_file_backups", now.log_file_backups == next.daemon.log_file_backups);
  keep("socket_group", now.socket_group == next.daemon.socket_group);
  keep("socket_readonly_group", now.socket_readonly_group == next.daemon.socket_readonly_group);
  keep("client_idle_timeout", now.client_idle_timeout == next.daemon.client_idle_timeout);
  keep("client_max_per_user", now.client_max_per_user == next.daemon.client_max_per_user);
  keep("cgroups", now.cgroups == next.daemon.cgroups);
  keep("http", now.http == next.daemon.http && now.http_username == next.daemon.http_username &&
                   now.http_password == next.daemon.http_password && now.metrics_auth == next.daemon.metrics_auth);
  keep("supervisor_socket", now.supervisor_socket == next.daemon.supervisor_socket);
  result.daemon.socket = running.daemon.socket;
  result.daemon.pid_file = running.daemon.pid_file;
  result.daemon.log_file = running.daemon.log_file;
  result.daemon.log_file_maxbytes = running.daemon.log_file_maxbytes;
  result.daemon.log_file_backups = running.daemon.log_file_backups;
  result.daemon.socket_group = running.daemon.socket_group;
  result.daemon.socket_readonly_group = running.daemon.socket_readonly_group;
  result.daemon.client_idle_timeout = running.daemon.client_idle_timeout;
  result.daemon.client_max_per_user = running.daemon.client_max_per_user;
  result.daemon.cgroups = running.daemon.cgroups;
  result.daemon.http = running.daemon.http;
  result.daemon.http_username = running.daemon.http_username;
  result.daemon.http_password = running.daemon.http_password;
  result.daemon.metrics_auth = running.daemon.metrics_auth;
  result.daemon.supervisor_socket = running.daemon.supervisor_socket;
  ReloadPlan plan = make_plan(std::move(result), a);
  plan.warnings = std::move(warnings);
  return plan;
}

Result<ReloadPlan> plan_add(const Config& running, const Config& next, const std::vector<std::string>& names) {
  Actions a;
  for (const auto& name : names) {
    const Names there = programs_named(next, name);
    if (there.empty()) return no_such(name);
    bool any = false;
    for (const auto& program : there) {
      if (running.find_program(program) != nullptr) continue;
      a.added.insert(program);
      any = true;
    }
    if (!any) return make_error(ErrorCode::Failed, "process group already active: " + name);
  }
  return make_plan(partial_result(running, next, a), a);
}

Result<ReloadPlan> plan_remove(const Config& running, const std::vector<std::string>& names) {
  Actions a;
  for (const auto& name : names) {
    const Names here = programs_named(running, name);
    if (here.empty()) return no_such(name);
    a.removed.insert(here.begin(), here.end());
  }
  return make_plan(partial_result(running, running, a), a);
}

}  // namespace konnect
