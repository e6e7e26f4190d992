#pragma once
// One start's dependency waits (SPEC.md depends_on): which processes may be started now,
// which still wait, and which cannot be started because a dependency failed.
//
// The requested processes and, transitively, what they depend on are the nodes. A node is
// started once each of its dependencies meets its condition ("running": RUNNING; "completed":
// exited with one of its exitcodes). A dependency that is down is started first, unless it is
// already completed and only wanted completed. Once the gate has started a dependency (or found
// it up), its going down without meeting the condition (FATAL, an unexpected exit, a stop) is
// the failure of every node that waits for it, named in the reason. Nothing polls: the
// Operation calls advance() after each batch of state changes. A gate with no dependencies
// starts everything at the first advance().

#include "common/config/config.hpp"

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace konnect {

class Process;

struct ProcessDependency {
  Process* process;
  DependsOn condition;
};

// How the Supervisor answers the gate: a process's dependencies (its program's depends_on,
// groups resolved to their processes), and priority order. `pending` (may be empty): another
// command will start this process again (a restart still stopping it), so its state says
// nothing yet and the gate waits for it.
struct DependencyLookup {
  std::function<std::vector<ProcessDependency>(const Process&)> of;
  std::function<void(std::vector<Process*>&)> sort;
  std::function<bool(const Process&)> pending;
};

class StartGate {
 public:
  // requested: in priority order; lookup may be empty (no dependencies anywhere). With
  // start_requested false the gate only waits for the requested ones: they are no longer
  // waiting() once their dependencies are met, and the caller starts what it wants (a rolling
  // restart starts a new instance of a process that is running).
  StartGate(const std::vector<Process*>& requested, const DependencyLookup& lookup, bool start_requested = true);

  // Starts every node whose dependencies are met, in priority order; marks failed the nodes
  // whose dependency failed.
  void advance();
  // Not started yet: its dependencies are not all met.
  bool waiting(const Process* process) const;
  // Why it will not be started, or nullptr.
  const std::string* failure(const Process* process) const;
  // The process goes away (a reload removes it): what waits for it fails with `why`.
  void drop(const Process* process, const std::string& why);
  // A rolling restart ended: `by`, the copy's instance now, stands for `gone` from here on.
  void replace(const Process* gone, Process* by);

 private:
  enum class Status { Waiting, Started, Failed };
  enum class Met { Yes, Wait, Failed };
  struct Node {
    Process* process = nullptr;
    std::string name;  // its namespec, for reasons (also once it is dropped)
    bool requested = false;
    std::vector<ProcessDependency> dependencies;
    bool only_completed = true;  // every node that waits for it wants it "completed"
    Status status = Status::Waiting;
    std::string failure;
  };

  Node* node_of(const Process* process);
  const Node* node_of(const Process* process) const;
  Met check(const ProcessDependency& dependency, std::string& why);
  void start(Node& node);

  std::vector<Node> nodes_;  // in priority order
  std::unordered_map<const Process*, std::size_t> index_;
  std::function<bool(const Process&)> pending_;
  bool start_requested_ = true;
};

}  // namespace konnect
