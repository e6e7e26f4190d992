#include "daemon/supervision/program.hpp"

namespace konnect {

Program::Program(ProcessHost& host, OutputPump& pump, std::shared_ptr<const ProgramConfig> config,
                 std::string group, int group_priority, const std::filesystem::path& log_dir)
    : config_(std::move(config)), group_(std::move(group)), group_priority_(group_priority) {
  const auto names = process_names(*config_);
  copies_.reserve(names.size());
  for (const std::string& name : names) {
    ProgramCopy copy;
    copy.name = name;
    copy.output = std::make_unique<OutputSink>(pump, config_, name, log_dir);
    copy.current = std::make_unique<Process>(host, config_, group_, name, group_priority_);
    copies_.push_back(std::move(copy));
  }
}

void Program::set_config(std::shared_ptr<const ProgramConfig> config, int group_priority) {
  config_ = std::move(config);
  group_priority_ = group_priority;
  for (auto& copy : copies_) {
    for (Process* p : {copy.current.get(), copy.previous.get()}) {
      if (p) p->set_config(config_, group_priority_);
    }
    copy.output->set_config(config_);
  }
}

std::vector<Process*> Program::adopt_config(std::shared_ptr<const ProgramConfig> config, int group_priority) {
  config_ = std::move(config);
  group_priority_ = group_priority;
  std::vector<Process*> up;
  for (auto& copy : copies_) {
    copy.output->set_config(config_);
    if (is_down(copy.current->state())) {
      copy.current->take_config(config_, group_priority_);
    } else {
      up.push_back(copy.current.get());
    }
  }
  return up;
}

void Program::rebind(const std::shared_ptr<const ProgramConfig>& config) {
  config_ = config;
  for (auto& copy : copies_) {
    copy.output->rebind(config);
    for (Process* p : {copy.current.get(), copy.previous.get()}) {
      if (p) p->rebind(config);
    }
  }
}

}  // namespace konnect
