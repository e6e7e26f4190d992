// supervisord's methods about the daemon, its config and its own log (rpcinterface.py), on
// the control protocol. Where konnect differs, the difference is the better behaviour of
// the same request: supervisor.restart (supervisorctl reload) applies the config on disk
// and restarts only what changed, as konnectctl reload does (docs/xmlrpc.md).

#include "daemon/http/rpc_interface.hpp"

#include "common/config/config.hpp"
#include "common/signal_names.hpp"
#include "daemon/control/daemon_control.hpp"
#include "version.hpp"

#include <algorithm>

namespace konnect {

using xmlrpc::Array;
using xmlrpc::Struct;
using xmlrpc::Value;

namespace {

std::string text(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// supervisord's process groups are konnect's [group.NAME]s, and each program in none.
std::string group_of(const Config& config, const std::string& program) {
  for (const GroupConfig& g : config.groups) {
    for (const std::string& p : g.programs) {
      if (p == program) return g.name;
    }
  }
  return program;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

void RpcInterface::get_api_version(const Call& call) { call.reply(Value("3.0")); }  // supervisord 3.x and 4.x
void RpcInterface::get_supervisor_version(const Call& call) { call.reply(Value(kVersion)); }
// supervisord's default identifier ([supervisord] identifier), which clients may compare.
void RpcInterface::get_identification(const Call& call) { call.reply(Value("supervisor")); }

void RpcInterface::get_state(const Call& call) {
  // A konnectd that answers is RUNNING (a request it refuses is a fault).
  request(call, "version", Json::object(), [call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    call.reply(Value(Struct{{"statecode", Value(1)}, {"statename", Value("RUNNING")}}));
  });
}

void RpcInterface::get_pid(const Call& call) {
  request(call, "pid", Json::object(), [call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    call.reply(Value(answer["result"].value("pid", std::int64_t{0})));
  });
}

void RpcInterface::shutdown(const Call& call) {
  request(call, "shutdown", Json::object(), [call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    call.reply(Value(true));
  });
}

void RpcInterface::restart(const Call& call) {
  request(call, "reload", Json::object(), [call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    call.reply(Value(true));
  });
}

// [[added, changed, removed]], group names as supervisord's are.
void RpcInterface::reload_config(const Call& call) {
  request(call, "reread", Json::object(), [this, call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    const Json& r = answer["result"];
    const Config& running = daemon_.running_config();
    auto on_disk = daemon_.read_config();
    auto groups = [&](const char* key, const Config& config) {
      Array names;
      for (const Json& p : r.value(key, Json::array())) {
        Value name(group_of(config, p.get<std::string>()));
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
      }
      return Value(std::move(names));
    };
    const Config& next = on_disk ? *on_disk : running;
    call.reply(Value(Array{Value(Array{groups("added", next), groups("changed", next), groups("removed", running)})}));
  });
}

void RpcInterface::add_process_group(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the group's name");
  if (!name) return;
  request(call, "add", {{"targets", {*name}}}, [call, name = *name](const Json& answer) {
    if (!answer.value("ok", false)) {
      const std::string message = answer.contains("error") ? text(answer["error"], "message") : std::string();
      if (message.find("already active") != std::string::npos) return call.fault(fault::kAlreadyAdded, name);
      return fault_from(call, answer, name);
    }
    call.reply(Value(true));
  });
}

// supervisord removes only a group whose processes are all stopped (supervisorctl update
// stops it first).
void RpcInterface::remove_process_group(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the group's name");
  if (!name) return;
  request(call, "status", {{"targets", {*name + ":*"}}}, [this, call, name = *name](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer, name);
    for (const Json& p : answer["result"].value("processes", Json::array())) {
      const std::string state = text(p, "state");
      if (state == "RUNNING" || state == "STARTING" || state == "BACKOFF" || state == "STOPPING") {
        return call.fault(fault::kStillRunning, name);
      }
    }
    request(call, "remove", {{"targets", {name}}}, [call, name](const Json& done) {
      if (!done.value("ok", false)) return fault_from(call, done, name);
      call.reply(Value(true));
    });
  });
}

// Every process of the config on disk, as supervisorctl avail shows them, with the settings
// supervisord reports where konnect has them.
void RpcInterface::get_all_config_info(const Call& call) {
  request(call, "avail", Json::object(), [this, call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    auto on_disk = daemon_.read_config();
    const Config& config = on_disk ? *on_disk : daemon_.running_config();
    Array infos;
    for (const Json& p : answer["result"].value("processes", Json::array())) {
      const std::string namespec = text(p, "name");
      const auto colon = namespec.find(':');
      const std::string group = colon == std::string::npos ? namespec : namespec.substr(0, colon);
      const std::string process = colon == std::string::npos ? namespec : namespec.substr(colon + 1);
      Struct info{{"name", Value(process)},
                  {"group", Value(group)},
                  {"inuse", Value(p.value("in_use", false))},
                  {"autostart", Value(p.value("autostart", false))},
                  {"group_prio", Value(p.value("group_priority", std::int64_t{999}))},
                  {"process_prio", Value(p.value("priority", std::int64_t{999}))}};
      // The program: the process itself, or the one whose numprocs made it (NAME_00).
      const ProgramConfig* program = nullptr;
      for (const ProgramConfig& c : config.programs) {
        if (group_of(config, c.name) != group) continue;
        if (c.name == process || (process.rfind(c.name + "_", 0) == 0 && c.numprocs > 1)) program = &c;
      }
      if (program) {
        Array exitcodes;
        for (int code : program->exitcodes) exitcodes.emplace_back(code);
        info.emplace_back("command", Value(joined(program->command)));
        info.emplace_back("directory", Value(program->directory.string()));
        info.emplace_back("exitcodes", Value(std::move(exitcodes)));
        info.emplace_back("killasgroup", Value(program->killasgroup));
        info.emplace_back("stopasgroup", Value(program->stopasgroup));
        info.emplace_back("redirect_stderr", Value(program->redirect_stderr));
        info.emplace_back("startretries", Value(program->startretries));
        info.emplace_back("startsecs", Value(static_cast<std::int64_t>(
                                           std::chrono::duration_cast<std::chrono::seconds>(program->startsecs).count())));
        info.emplace_back("stopsignal", Value(signal_name(program->stopsignal)));
        info.emplace_back("stopwaitsecs", Value(static_cast<std::int64_t>(
                                              std::chrono::duration_cast<std::chrono::seconds>(program->stopwaitsecs).count())));
        info.emplace_back("uid", Value(program->user));
      }
      infos.push_back(Value(std::move(info)));
    }
    // supervisord's order: by process name.
    std::stable_sort(infos.begin(), infos.end(), [](const Value& a, const Value& b) {
      return *a.member("name")->get<std::string>() < *b.member("name")->get<std::string>();
    });
    call.reply(Value(std::move(infos)));
  });
}

// readLog(offset, length): supervisorctl's maintail reads the last N bytes (-N, 0).
void RpcInterface::read_log(const Call& call) {
  const auto* offset = param<std::int64_t>(call, 0, "the offset");
  const auto* length = offset ? param<std::int64_t>(call, 1, "the length") : nullptr;
  if (!length) return;
  auto range = byte_range(call, *offset, *length);
  if (!range) return;
  request(call, "maintail", std::move(*range), [call](const Json& answer) {
    if (!answer.value("ok", false)) {
      const std::string message = answer.contains("error") ? text(answer["error"], "message") : std::string();
      return call.fault(fault::kNoFile, message);
    }
    call.reply(Value(text(answer["result"], "data")));
  });
}

// clearLog: konnectd's log file is removed and opened again; NO_FILE when there is none.
void RpcInterface::clear_log(const Call& call) {
  request(call, "mainclear", Json::object(), [call](const Json& answer) {
    if (answer.value("ok", false)) return call.reply(Value(true));
    const Json& error = answer.contains("error") ? answer["error"] : Json::object();
    if (text(error, "code") == "FAILED") return call.fault(fault::kNoFile, text(error, "message"));
    fault_from(call, answer);
  });
}

}  // namespace konnect
