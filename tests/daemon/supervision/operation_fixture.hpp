#pragma once
// Operations driven on real Process state machines through the fake host: the test delivers
// exits and moves the clock, and calls check() where the Supervisor would after each batch of
// state changes. Dependencies (depends_on) are set per process with depend().

#include "daemon/supervision/operation.hpp"
#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/fake_host.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace konnect::test {

struct OperationFixture : ::testing::Test {
  FakeHost host;
  std::vector<std::unique_ptr<Process>> processes;
  std::map<const Process*, std::vector<ProcessDependency>> dependencies;
  std::set<const Process*> pending;  // another command will start these again
  std::optional<std::vector<ProcessResult>> result;

  OperationFixture() { spdlog::set_level(spdlog::level::off); }

  // A process named `name` whose group is its own, at `priority`.
  Process* add(const std::string& name, int priority, std::chrono::milliseconds startsecs = std::chrono::milliseconds(0),
               std::vector<int> exitcodes = {0}) {
    auto config = std::make_shared<ProgramConfig>();
    config->name = name;
    config->command = {"/bin/true"};
    config->priority = priority;
    config->startsecs = startsecs;
    config->startretries = 0;
    config->exitcodes = std::move(exitcodes);
    processes.push_back(std::make_unique<Process>(host, config, name, name, priority));
    return processes.back().get();
  }
  void never_restart(Process* p) {
    auto config = std::make_shared<ProgramConfig>(p->config());
    config->autorestart = AutoRestart::Never;
    p->set_config(config, p->group_priority());
  }
  void depend(const Process* dependent, Process* on, DependsOn condition = DependsOn::Running) {
    dependencies[dependent].push_back({on, condition});
  }
  DependencyLookup lookup() {
    return {[this](const Process& p) {
              auto it = dependencies.find(&p);
              return it == dependencies.end() ? std::vector<ProcessDependency>{} : it->second;
            },
            [](std::vector<Process*>& list) {
              std::stable_sort(list.begin(), list.end(), [](const Process* a, const Process* b) {
                return a->config().priority < b->config().priority;
              });
            },
            [this](const Process& p) { return pending.count(&p) != 0; }};
  }
  std::unique_ptr<Operation> make(Operation::Kind kind, std::vector<Process*> list) {
    return std::make_unique<Operation>(
        kind, std::move(list), [this](std::vector<ProcessResult> r) { result = std::move(r); }, lookup());
  }
  std::vector<pid_t> signalled(int signo) const {
    std::vector<pid_t> out;
    for (const auto& [pid, sig] : host.signals) {
      if (sig == signo) out.push_back(pid < 0 ? -pid : pid);
    }
    return out;
  }
  const ProcessResult* result_of(const std::string& name) const {
    if (!result) return nullptr;
    for (const auto& r : *result) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }
};

}  // namespace konnect::test
