#pragma once
// The requests about the config (docs/protocol.md): reread, reload (alias update), avail,
// add and remove. Each reads the config file again (never trusting what is loaded), plans
// with common/reload_plan and hands the plan to the daemon, which applies it. Produces
// exactly one answer per request. Owns nothing; the RequestHandler's command table calls it.

#include "common/config/config.hpp"
#include "common/protocol/protocol.hpp"
#include "common/config/reload_plan.hpp"
#include "daemon/control/daemon_control.hpp"

#include <functional>

namespace konnect {

class Responder;

class ConfigCommands {
 public:
  explicit ConfigCommands(DaemonControl& daemon) : daemon_(daemon) {}

  // Each calls reply exactly once, now or when the plan is applied.
  void reread(const Request& request, const Responder& reply);
  void reload(const Request& request, const std::vector<std::string>& targets, const Responder& reply);
  void avail(const Request& request, const Responder& reply);
  void add_remove(const Request& request, const std::vector<std::string>& targets, const Responder& reply);

 private:
  void apply_and_answer(const Json& id, ReloadPlan plan, Json answer, const Responder& reply);

  DaemonControl& daemon_;
};

// The plan as docs/protocol.md gives it: {"added": [...], "restarted": [...], "updated": [...],
// "removed": [...], "warnings": [...]}.
Json plan_to_json(const ReloadPlan& plan);

}  // namespace konnect
