#include "daemon/supervision/start_gate.hpp"

#include "daemon/supervision/process.hpp"

namespace konnect {

StartGate::StartGate(const std::vector<Process*>& requested, const DependencyLookup& lookup, bool start_requested)
    : pending_(lookup.pending), start_requested_(start_requested) {
  auto add = [this](Process* p, bool is_requested) {
    index_.emplace(p, nodes_.size());
    Node node;
    node.process = p;
    node.name = p->namespec();
    node.requested = is_requested;
    nodes_.push_back(std::move(node));
  };
  for (Process* p : requested) add(p, true);
  if (!lookup.of) return;
  // The closure: what the requested ones need, and what that needs (nodes_ grows).
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    auto dependencies = lookup.of(*nodes_[i].process);
    for (const auto& d : dependencies) {
      if (!index_.count(d.process)) add(d.process, false);
      if (d.condition == DependsOn::Running) nodes_[index_.at(d.process)].only_completed = false;
    }
    nodes_[i].dependencies = std::move(dependencies);
  }
  if (nodes_.size() == requested.size() || !lookup.sort) return;
  std::vector<Process*> order;
  for (const auto& n : nodes_) order.push_back(n.process);
  lookup.sort(order);
  std::vector<Node> sorted;
  for (Process* p : order) sorted.push_back(std::move(nodes_[index_.at(p)]));
  nodes_ = std::move(sorted);
  for (std::size_t i = 0; i < nodes_.size(); ++i) index_[nodes_[i].process] = i;
}

StartGate::Node* StartGate::node_of(const Process* process) {
  auto it = index_.find(process);
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

const StartGate::Node* StartGate::node_of(const Process* process) const {
  auto it = index_.find(process);
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

bool StartGate::waiting(const Process* process) const {
  const Node* n = node_of(process);
  return n != nullptr && n->status == Status::Waiting;
}

const std::string* StartGate::failure(const Process* process) const {
  const Node* n = node_of(process);
  return n != nullptr && n->status == Status::Failed ? &n->failure : nullptr;
}

void StartGate::drop(const Process* process, const std::string& why) {
  Node* n = node_of(process);
  if (n == nullptr) return;
  // Never looked at again: what waits for it fails at the next advance().
  n->status = Status::Failed;
  n->failure = why;
  index_.erase(process);
}

void StartGate::replace(const Process* gone, Process* by) {
  for (Node& n : nodes_) {
    for (auto& d : n.dependencies) {
      if (d.process == gone) d.process = by;
    }
  }
  auto it = index_.find(gone);
  if (it == index_.end()) return;
  const std::size_t i = it->second;
  index_.erase(it);
  if (index_.count(by) != 0) {
    nodes_[i].status = Status::Started;  // `by` has a node of its own: this one is done with
    return;
  }
  nodes_[i].process = by;
  index_.emplace(by, i);
}

void StartGate::advance() {
  // A start may meet another node's dependencies at once (one already running): repeat.
  for (bool progress = true; progress;) {
    progress = false;
    for (Node& n : nodes_) {
      if (n.status != Status::Waiting) continue;
      bool met = true;
      for (const auto& d : n.dependencies) {
        std::string why;
        const Met m = check(d, why);
        if (m == Met::Failed) {
          n.status = Status::Failed;
          n.failure = std::move(why);
          break;
        }
        met = met && m == Met::Yes;
      }
      if (n.status == Status::Waiting && met) start(n);
      progress = progress || n.status != Status::Waiting;
    }
  }
}

StartGate::Met StartGate::check(const ProcessDependency& dependency, std::string& why) {
  // Every dependency is a node, unless a reload dropped it.
  auto it = index_.find(dependency.process);
  const Node* n = it == index_.end() ? nullptr : &nodes_[it->second];
  if (n == nullptr) {
    why = "a dependency was removed from the config by a reload";
    return Met::Failed;
  }
  const std::string what = "its dependency " + n->name;
  if (n->status == Status::Failed) {
    why = what + " was not started: " + n->failure;
    return Met::Failed;
  }
  if (n->status == Status::Waiting) return Met::Wait;
  const Process& p = *dependency.process;
  if (pending_ && pending_(p)) return Met::Wait;
  const bool completed = dependency.condition == DependsOn::Completed;
  switch (p.state()) {
    case State::Running:
      return completed ? Met::Wait : Met::Yes;
    case State::Starting:
    case State::Backoff:
    case State::Stopping:
      return Met::Wait;
    case State::Exited:
      if (completed && p.last_exit_expected()) return Met::Yes;
      why = what + " exited (" + p.last_exit() + ")" +
            (completed ? ", not one of its exitcodes" : " instead of staying running");
      return Met::Failed;
    case State::Fatal:
      why = what + " is FATAL: " + p.info().spawnerr;
      return Met::Failed;
    case State::Stopped:
      why = what + " was stopped";
      return Met::Failed;
  }
  return Met::Wait;
}

void StartGate::start(Node& node) {
  node.status = Status::Started;
  Process& p = *node.process;
  if (node.requested && !start_requested_) return;
  if (!node.requested) {
    // A dependency: started only when it is down and its condition cannot already hold.
    if (!is_down(p.state())) return;
    if (p.state() == State::Exited && p.last_exit_expected() && node.only_completed) return;
  }
  p.start();
}

}  // namespace konnect
