#pragma once
// The requests about the config (docs/protocol.md): reread, reload (alias update), avail,
// add and remove. Each reads the config file again (never trusting what is loaded), plans
// with common/reload_plan and hands the plan to the daemon, which applies it. Produces
// exactly one answer per request. Owns nothing.

#include "common/config/config.hpp"
#include "common/protocol/protocol.hpp"
#include "common/config/reload_plan.hpp"

#include <functional>

namespace konnect {

class Responder;

class ConfigCommands {
 public:
  struct Hooks {
    // The config as it is on disk now, and the one running (which apply() replaces).
    std::function<Result<Config>()> read_config;
    std::function<const Config&()> running_config;
    // Applies a plan; done gets the start results of the programs it made, or an error.
    std::function<void(ReloadPlan, std::function<void(Result<Json>)>)> apply;
  };

  explicit ConfigCommands(Hooks hooks) : hooks_(std::move(hooks)) {}

  // True when cmd is one of these commands; then reply has been or will be called once.
  bool handle(const Request& request, const std::vector<std::string>& targets, const Responder& reply);

 private:
  void do_reread(const Request& request, const Responder& reply);
  void do_reload(const Request& request, const std::vector<std::string>& targets, const Responder& reply);
  void do_avail(const Request& request, const Responder& reply);
  void do_add_remove(const Request& request, const std::vector<std::string>& targets, const Responder& reply);
  void apply_and_answer(const Json& id, ReloadPlan plan, Json answer, const Responder& reply);

  Hooks hooks_;
};

// The plan as docs/protocol.md gives it: {"added": [...], "restarted": [...], "updated": [...],
// "removed": [...], "warnings": [...]}.
Json plan_to_json(const ReloadPlan& plan);

}  // namespace konnect
