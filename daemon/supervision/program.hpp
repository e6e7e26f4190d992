#pragma once
// One [program.NAME] as konnectd runs it: its settings (shared by every copy), its group, and
// one ProgramCopy per process name (numprocs = 3: worker_00, worker_01, worker_02). A copy
// is one row of `status`: its output (the pipes and log files, kept across its instances, so
// output written around a restart lands in order) and its instances. An instance is one
// Process: the current one, which status shows and commands act on, and during a rolling
// restart (SPEC.md "Held sockets and rolling restarts") the previous one until it stopped.
//
// Owns: the copies, their OutputSinks and Processes. Expects: whoever makes an instance
// registers it in the ProcessTable (instance numbers come from the copy), and unregisters it
// before destroying it. Built once, never resized: copies have stable addresses.

#include "common/config/config.hpp"
#include "daemon/output/output_sink.hpp"
#include "daemon/supervision/process.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace konnect {

struct ProgramCopy {
  std::string name;
  std::unique_ptr<OutputSink> output;
  std::unique_ptr<Process> current;
  std::unique_ptr<Process> previous;  // only during a rolling restart
  unsigned next_instance = 1;         // the number the next instance gets (its cgroup)
};

class Program {
 public:
  // group_priority: the [group]'s priority, or the program's own when it is its own group.
  Program(ProcessHost& host, OutputPump& pump, std::shared_ptr<const ProgramConfig> config, std::string group,
          int group_priority, const std::filesystem::path& log_dir);
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  const std::string& name() const { return config_->name; }
  const std::string& group() const { return group_; }
  int group_priority() const { return group_priority_; }
  const ProgramConfig& config() const { return *config_; }
  std::shared_ptr<const ProgramConfig> config_ptr() const { return config_; }

  std::vector<ProgramCopy>& copies() { return copies_; }
  const std::vector<ProgramCopy>& copies() const { return copies_; }

  // Reload in place (config::needs_restart is false): every copy's instances and output
  // take the new settings and the group's priority.
  void set_config(std::shared_ptr<const ProgramConfig> config, int group_priority);
  // Reload of a rolling program (same copies, same output): the program and the copies' output
  // take the new settings, and so do the instances that are down; the ones that are up keep
  // what they were started with (a roll replaces them) and are returned.
  std::vector<Process*> adopt_config(std::shared_ptr<const ProgramConfig> config, int group_priority);
  // Equal settings from a newer Config: every pointer to the old one is let go.
  void rebind(const std::shared_ptr<const ProgramConfig>& config);

 private:
  std::shared_ptr<const ProgramConfig> config_;
  std::string group_;
  int group_priority_;
  std::vector<ProgramCopy> copies_;
};

}  // namespace konnect
