#include "common/config/config_dependencies.hpp"

#include "common/config/units.hpp"

#include <functional>
#include <unordered_map>

namespace konnect::config_detail {
namespace {

constexpr std::string_view kWhat =
    "an array of program or group names, or a table of NAME = \"running\" | \"completed\"";

Error error_at(const ProgramConfig& p, std::string message) {
  Error e = make_error(ErrorCode::Config, std::move(message));
  e.file = p.source_file;
  e.line = p.depends_on_line;
  e.key = "program." + p.name + ".depends_on";
  return e;
}

// One edge of the program graph: `to`, and the group it was named through (or empty).
struct Edge {
  const ProgramConfig* to;
  std::string via_group;
  DependsOn condition;
};

class Graph {
 public:
  explicit Graph(const Config& config) : config_(config) {
    for (const auto& g : config.groups) groups_[g.name] = &g;
    for (const auto& p : config.programs) programs_[p.name] = &p;
  }

  Result<void> build(std::vector<Error>& warnings) {
    for (const auto& p : config_.programs) {
      auto& edges = edges_[&p];
      for (const auto& d : p.depends_on) {
        std::vector<std::string> members;
        std::string via;
        if (auto g = groups_.find(d.name); g != groups_.end()) {
          members = g->second->programs;
          via = d.name;
        } else if (programs_.count(d.name)) {
          members = {d.name};
        } else {
          return error_at(p, "names unknown program or group '" + d.name +
                                 "'; expected the name of a [program.NAME] or [group.NAME] table");
        }
        for (const auto& m : members) {
          const ProgramConfig* to = programs_.at(m);
          if (d.condition == DependsOn::Completed) {
            if (auto r = check_completable(p, *to, warnings); !r) return r;
          }
          edges.push_back({to, via == m ? std::string() : via, d.condition});
        }
      }
    }
    return {};
  }

  // Depth first from each program in config order; the first back edge is the cycle.
  Result<void> find_cycle() {
    for (const auto& p : config_.programs) {
      if (auto r = visit(&p); !r) return r;
    }
    return {};
  }

 private:
  enum class Mark { New, OnPath, Done };

  Result<void> check_completable(const ProgramConfig& from, const ProgramConfig& to, std::vector<Error>& warnings) {
    if (to.autorestart == AutoRestart::Always) {
      return error_at(from, "waits for '" + to.name +
                                "' to be \"completed\", but it has autorestart = true: it is started again after "
                                "each exit and never stays completed; give it autorestart = \"unexpected\" or false");
    }
    if (to.startsecs.count() > 0 && !to.ready && warned_.emplace(to.name, true).second) {
      warnings.push_back(error_at(from, "waits for '" + to.name + "' to be \"completed\", but an exit of '" + to.name +
                                            "' within its startsecs (" + format_duration(to.startsecs) +
                                            ") is a failed start, not a completion; a one-shot program wants "
                                            "startsecs = 0"));
    }
    return {};
  }

  Result<void> visit(const ProgramConfig* p) {
    Mark& mark = marks_[p];
    if (mark == Mark::Done) return {};
    mark = Mark::OnPath;
    path_.push_back(p);
    for (const Edge& e : edges_[p]) {
      via_[p] = &e;
      const Mark to = marks_[e.to];
      if (to == Mark::OnPath) return cycle_error(e.to);
      if (to == Mark::New) {
        if (auto r = visit(e.to); !r) return r;
      }
    }
    path_.pop_back();
    marks_[p] = Mark::Done;
    return {};
  }

  // path_ ends in the program whose edge leads back to `start`.
  Error cycle_error(const ProgramConfig* start) const {
    std::size_t i = 0;
    while (path_[i] != start) ++i;
    std::string text = start->name;
    for (; i < path_.size(); ++i) {
      const Edge& e = *via_.at(path_[i]);
      text += " -> " + e.to->name;
      if (!e.via_group.empty()) text += " (in group " + e.via_group + ")";
    }
    return error_at(*start, "dependency cycle: " + text + "; a program cannot wait for itself");
  }

  const Config& config_;
  std::unordered_map<std::string, const GroupConfig*> groups_;
  std::unordered_map<std::string, const ProgramConfig*> programs_;
  std::unordered_map<const ProgramConfig*, std::vector<Edge>> edges_;
  std::unordered_map<const ProgramConfig*, Mark> marks_;
  std::unordered_map<const ProgramConfig*, const Edge*> via_;  // the edge followed out of each on the path
  std::vector<const ProgramConfig*> path_;
  std::unordered_map<std::string, bool> warned_;
};

}  // namespace

Result<std::vector<Dependency>> read_depends_on(const Field& f) {
  std::vector<Dependency> out;
  auto add = [&](const Field& at, const std::string& name, DependsOn condition) -> Result<void> {
    if (!is_valid_name(name)) {
      return at.error("invalid program or group name '" + name + "'; names may contain only " +
                      std::string(kNameChars));
    }
    for (const auto& d : out) {
      if (d.name == name) return at.error("'" + name + "' is named twice");
    }
    out.push_back({name, condition});
    return {};
  };
  if (const auto* array = f.node->as_array()) {
    for (const auto& member : *array) {
      const Field m = f.child(member, "");
      const auto* s = member.as_string();
      if (!s) return m.expected(kWhat);
      if (auto r = add(m, s->get(), DependsOn::Running); !r) return r.error();
    }
  } else if (const auto* table = f.node->as_table()) {
    for (const auto& [k, v] : *table) {
      const Field m = f.child(v, k.str());
      const auto* s = v.as_string();
      if (!s || (s->get() != "running" && s->get() != "completed")) return m.expected("\"running\" or \"completed\"");
      if (auto r = add(m, std::string(k.str()), s->get() == "completed" ? DependsOn::Completed : DependsOn::Running);
          !r) {
        return r.error();
      }
    }
  } else {
    return f.expected(kWhat);
  }
  return out;
}

Result<void> check_dependencies(const Config& config, std::vector<Error>& warnings) {
  Graph graph(config);
  if (auto r = graph.build(warnings); !r) return r;
  return graph.find_cycle();
}

}  // namespace konnect::config_detail
