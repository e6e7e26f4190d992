#include "daemon/control/config_commands.hpp"

#include "common/config/config_diff.hpp"
#include "common/protocol/requests.hpp"
#include "daemon/control/request_handler.hpp"

namespace konnect {

Json plan_to_json(const ReloadPlan& plan) {
  return {{"added", plan.added},
          {"restarted", plan.restarted},
          {"updated", plan.updated},
          {"removed", plan.removed},
          {"warnings", plan.warnings}};
}

void ConfigCommands::reread(const Request& request, const Responder& reply) {
  // Reads and parses only; nothing changes (reload applies the diff).
  auto next = daemon_.read_config();
  if (!next) return reply(encode_error(request.id, next.error()));
  const ConfigDiff diff = diff_configs(daemon_.running_config(), *next);
  reply(encode_ok(request.id, {{"added", diff.added}, {"changed", diff.changed}, {"removed", diff.removed}}));
}

void ConfigCommands::reload(const Request& request, const std::vector<std::string>& targets,
                               const Responder& reply) {
  const Json id = request.id;
  auto args = decode_reload_args(request.args);
  if (!args) return reply(encode_error(id, args.error()));
  const bool dry_run = args->dry_run;
  // A broken file is refused as a whole: nothing of it is applied.
  auto next = daemon_.read_config();
  if (!next) return reply(encode_error(id, next.error()));
  auto plan = plan_reload(daemon_.running_config(), *next, targets);
  if (!plan) return reply(encode_error(id, plan.error()));
  Json answer = plan_to_json(*plan);
  answer["dry_run"] = dry_run;
  if (dry_run) return reply(encode_ok(id, answer));
  apply_and_answer(id, std::move(*plan), std::move(answer), reply);
}

void ConfigCommands::apply_and_answer(const Json& id, ReloadPlan plan, Json answer, const Responder& reply) {
  // The plan's lists, then the start results of what it made, once it is all done.
  daemon_.apply(std::move(plan), [id, reply, answer = std::move(answer)](Result<ProcessResults> started) mutable {
    if (!started) return reply(encode_error(id, started.error()));
    answer["processes"] = encode_results(*started)["processes"];
    reply(encode_ok(id, answer));
  });
}

void ConfigCommands::avail(const Request& request, const Responder& reply) {
  // supervisorctl avail: every process of the config on disk, in use (running) or not.
  auto next = daemon_.read_config();
  if (!next) return reply(encode_error(request.id, next.error()));
  const Config& running = daemon_.running_config();
  const auto groups = program_groups(*next);
  Json list = Json::array();
  for (const auto& program : next->programs) {
    const auto& [group, group_priority] = groups.at(program.name);
    for (const auto& name : process_names(program)) {
      list.push_back({{"name", group == name ? name : group + ":" + name},
                      {"in_use", running.find_program(program.name) != nullptr},
                      {"autostart", program.autostart},
                      {"group_priority", group_priority},
                      {"priority", program.priority}});
    }
  }
  reply(encode_ok(request.id, {{"processes", std::move(list)}}));
}

void ConfigCommands::add_remove(const Request& request, const std::vector<std::string>& targets,
                                   const Responder& reply) {
  const Json id = request.id;
  const bool add = request.cmd == "add";
  if (targets.empty()) {
    return reply(encode_error(id, make_error(ErrorCode::BadArguments, request.cmd + " needs \"targets\"")));
  }
  Result<ReloadPlan> plan = make_error(ErrorCode::Internal, "no plan");
  if (add) {
    auto next = daemon_.read_config();
    if (!next) return reply(encode_error(id, next.error()));
    plan = plan_add(daemon_.running_config(), *next, targets);
  } else {
    plan = plan_remove(daemon_.running_config(), targets);
  }
  if (!plan) return reply(encode_error(id, plan.error()));
  Json answer = plan_to_json(*plan);
  apply_and_answer(id, std::move(*plan), std::move(answer), reply);
}

}  // namespace konnect
