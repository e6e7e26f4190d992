// supervisord's process methods (rpcinterface.py) on the control protocol: getProcessInfo,
// start*, stop*, signal*, the log reads and clears. supervisord's own rules where konnect's
// protocol is more lenient: starting a running process is ALREADY_STARTED, stopping a
// stopped one NOT_RUNNING, and group or all actions act on the processes that need it only.

#include "daemon/http/rpc_interface.hpp"

#include "daemon/supervision/supervisor.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace konnect {

using xmlrpc::Array;
using xmlrpc::Struct;
using xmlrpc::Value;

namespace {

// supervisord's ProcessStates.
int state_code(const std::string& state) {
  static const std::map<std::string, int> codes = {{"STOPPED", 0},   {"STARTING", 10}, {"RUNNING", 20}, {"BACKOFF", 30},
                                                   {"STOPPING", 40}, {"EXITED", 100},  {"FATAL", 200}};
  const auto it = codes.find(state);
  return it == codes.end() ? 1000 : it->second;
}

// RUNNING_STATES of supervisord: what a start finds already started, a stop running.
bool running_state(const std::string& state) { return state == "RUNNING" || state == "STARTING" || state == "BACKOFF"; }

std::int64_t integer(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<std::int64_t>() : 0;
}
std::string text(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

const Json& processes_of(const Json& answer) {
  static const Json empty = Json::array();
  if (!answer.is_object() || !answer.value("ok", false)) return empty;
  const Json& result = answer["result"];
  return result.contains("processes") && result["processes"].is_array() ? result["processes"] : empty;
}

// A "wait" parameter at i: true when absent.
bool wait_param(const RpcInterface::Call& call, std::size_t i) {
  if (i >= call.params.size()) return true;
  const bool* b = call.params[i].get<bool>();
  return b ? *b : true;
}

// The processes a namespec names, in the status answer's order: "group:*" and "all" as
// given, else the name itself.
Json targets_for(const std::string& name) { return Json::array({name}); }

}  // namespace

namespace {

// getProcessInfo's struct from a status process object and the log paths.
Value process_info(const Json& p, const std::string& stdout_log, const std::string& stderr_log) {
  const std::string state = text(p, "state");
  return Value(Struct{{"name", Value(text(p, "process"))},
                      {"group", Value(text(p, "group"))},
                      {"description", Value(text(p, "description"))},
                      {"start", Value(integer(p, "start"))},
                      {"stop", Value(integer(p, "stop"))},
                      {"now", Value(integer(p, "now"))},
                      {"state", Value(state_code(state))},
                      {"statename", Value(state)},
                      {"spawnerr", Value(text(p, "spawnerr"))},
                      {"exitstatus", Value(integer(p, "exitstatus"))},
                      {"logfile", Value(stdout_log)},
                      {"stdout_logfile", Value(stdout_log)},
                      {"stderr_logfile", Value(stderr_log)},
                      {"pid", Value(integer(p, "pid"))}});
}

// A per-process result of startProcessGroup and friends: SUCCESS or the fault.
Value group_result(const Json& p, const Json& result) {
  Struct r{{"name", Value(text(p, "process"))}, {"group", Value(text(p, "group"))}};
  if (result.value("ok", false)) {
    r.emplace_back("status", Value(fault::kSuccess));
    r.emplace_back("description", Value("OK"));
    return Value(std::move(r));
  }
  const Json& error = result.contains("error") ? result["error"] : Json::object();
  const std::string code = text(error, "code");
  const std::string message = text(error, "message");
  int f = fault::kFailed;
  if (code == "SPAWN_ERROR") f = fault::kSpawnError;
  if (message == "not running") f = fault::kNotRunning;
  std::string description(fault::name(f));
  if (f == fault::kSpawnError) {
    description += ": " + text(p, "name");
  } else if (!message.empty()) {
    description += ": " + message;
  }
  r.emplace_back("status", Value(f));
  r.emplace_back("description", Value(std::move(description)));
  return Value(std::move(r));
}

// The result structs of a group action's answer, for the processes it was asked for (by
// namespec, with their status): in `order` when given (namespecs), else as answered.
Value group_results(const Json& done, const std::map<std::string, Json>& asked,
                    const std::vector<std::string>* order = nullptr) {
  Array results;
  std::map<std::string, const Json*> answered;
  for (const Json& r : processes_of(done)) answered[text(r, "name")] = &r;
  if (order) {
    for (const std::string& name : *order) {
      const auto a = asked.find(name);
      const auto r = answered.find(name);
      if (a != asked.end() && r != answered.end()) results.push_back(group_result(a->second, *r->second));
    }
    return Value(std::move(results));
  }
  for (const Json& r : processes_of(done)) {
    const auto it = asked.find(text(r, "name"));
    if (it != asked.end()) results.push_back(group_result(it->second, r));
  }
  return Value(std::move(results));
}

}  // namespace

void RpcInterface::get_process_info(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  if (!name) return;
  request(call, "status", {{"targets", targets_for(*name)}}, [this, call, name = *name](const Json& answer) {
    const Json& ps = processes_of(answer);
    if (!answer.value("ok", false)) return fault_from(call, answer, name);
    if (ps.size() != 1) return call.fault(fault::kBadName, name);
    const auto logs = log_paths(text(ps[0], "name"));
    call.reply(process_info(ps[0], logs.first, logs.second));
  });
}

void RpcInterface::get_all_process_info(const Call& call) {
  request(call, "status", Json::object(), [this, call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    // supervisord's order: by group, then by name (konnectctl's is by priority).
    std::vector<const Json*> sorted;
    for (const Json& p : processes_of(answer)) sorted.push_back(&p);
    std::sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
      return std::make_pair(text(*a, "group"), text(*a, "process")) < std::make_pair(text(*b, "group"), text(*b, "process"));
    });
    // Each process's log files, by namespec (one resolve per name would be O(n^2)).
    std::unordered_map<std::string, const Process*> by_name;
    for (const Process* p : supervisor_.processes()) by_name.emplace(p->namespec(), p);
    Array infos;
    infos.reserve(sorted.size());
    for (const Json* p : sorted) {
      const auto it = by_name.find(text(*p, "name"));
      const std::string out = it == by_name.end() ? "" : supervisor_.log_path(*it->second, false).string();
      const std::string err = it == by_name.end() ? "" : supervisor_.log_path(*it->second, true).string();
      infos.push_back(process_info(*p, out, err));
    }
    call.reply(Value(std::move(infos)));
  });
}

std::pair<std::string, std::string> RpcInterface::log_paths(const std::string& namespec) const {
  std::pair<std::string, std::string> paths;
  auto processes = supervisor_.resolve({namespec});
  if (!processes || processes->size() != 1) return paths;
  paths.first = supervisor_.log_path(*processes->front(), false).string();
  paths.second = supervisor_.log_path(*processes->front(), true).string();
  return paths;
}

// startProcess, stopProcess: one process (a "group:*" name acts as the group method does).
void RpcInterface::act_on_one(const Call& call, std::string cmd, bool starting) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  if (!name) return;
  if (name->size() > 2 && name->substr(name->size() - 2) == ":*") {
    return act_on_many(call, cmd, targets_for(*name), starting);
  }
  const bool wait = wait_param(call, 1);
  request(call, "status", {{"targets", targets_for(*name)}}, [this, call, cmd, starting, wait, name = *name](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer, name);
    const Json& ps = processes_of(answer);
    bool any_running = false;
    for (const Json& p : ps) any_running = any_running || running_state(text(p, "state"));
    if (starting && any_running) return call.fault(fault::kAlreadyStarted, name);
    if (!starting && !any_running) return call.fault(fault::kNotRunning, name);
    if (!wait) call.reply(Value(true));  // supervisord's wait=False: answered once begun
    request(call, cmd, {{"targets", targets_for(name)}}, [call, wait, name](const Json& done) {
      if (!wait) return;
      if (!done.value("ok", false)) return fault_from(call, done, name);
      for (const Json& r : processes_of(done)) {
        if (r.value("ok", false)) continue;
        const Json& error = r.contains("error") ? r["error"] : Json::object();
        if (text(error, "code") == "SPAWN_ERROR") return call.fault(fault::kSpawnError, name);
        return call.fault(fault::kFailed, text(error, "message"));
      }
      call.reply(Value(true));
    });
  });
}

// startProcessGroup, startAllProcesses, stopProcessGroup, stopAllProcesses: the processes
// that need it (not running for a start, running for a stop), one result struct each.
void RpcInterface::act_on_many(const Call& call, std::string cmd, Json targets, bool starting) {
  const bool wait = wait_param(call, targets == Json::array({"all"}) ? 0 : 1);
  const std::string what = targets[0].get<std::string>();
  const std::string group = what.size() > 2 && what.substr(what.size() - 2) == ":*" ? what.substr(0, what.size() - 2) : what;
  request(call, "status", {{"targets", targets}}, [this, call, cmd, starting, wait, group](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer, group);
    auto chosen = std::make_shared<std::map<std::string, Json>>();  // namespec -> its status
    Json names = Json::array();
    for (const Json& p : processes_of(answer)) {
      if (running_state(text(p, "state")) == starting) continue;
      names.push_back(text(p, "name"));
      (*chosen)[text(p, "name")] = p;
    }
    if (names.empty()) return call.reply(Value(Array{}));
    if (!wait) {
      Array results;
      for (const auto& [n, p] : *chosen) results.push_back(group_result(p, Json{{"ok", true}}));
      call.reply(Value(std::move(results)));
    }
    // In priority order (status's), whichever finished first. (supervisord answers in the
    // order its processes finished, which for a stop varies from run to run.)
    auto order = std::make_shared<std::vector<std::string>>();
    for (const Json& n : names) order->push_back(n.get<std::string>());
    request(call, cmd, {{"targets", names}}, [call, wait, chosen, order](const Json& done) {
      if (!wait) return;
      if (!done.value("ok", false)) return fault_from(call, done);
      call.reply(group_results(done, *chosen, order.get()));
    });
  });
}

void RpcInterface::start_process(const Call& call) { act_on_one(call, "start", true); }
void RpcInterface::stop_process(const Call& call) { act_on_one(call, "stop", false); }

void RpcInterface::start_process_group(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the group's name");
  if (name) act_on_many(call, "start", targets_for(*name + ":*"), true);
}
void RpcInterface::stop_process_group(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the group's name");
  if (name) act_on_many(call, "stop", targets_for(*name + ":*"), false);
}
void RpcInterface::start_all_processes(const Call& call) { act_on_many(call, "start", targets_for("all"), true); }
void RpcInterface::stop_all_processes(const Call& call) { act_on_many(call, "stop", targets_for("all"), false); }

namespace {

// A signal parameter: a name ("HUP", "SIGHUP") or a number, as supervisord takes it.
Json signal_of(const RpcInterface::Call& call, std::size_t i) {
  if (i < call.params.size()) {
    if (const auto* s = call.params[i].get<std::string>()) return *s;
    if (const auto* n = call.params[i].get<std::int64_t>()) return *n;
  }
  return nullptr;
}

}  // namespace

void RpcInterface::signal_process(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  if (!name) return;
  const Json sig = signal_of(call, 1);
  if (sig.is_null()) return call.fault(fault::kBadSignal);
  if (name->size() > 2 && name->substr(name->size() - 2) == ":*") {
    xmlrpc::Array params{Value(name->substr(0, name->size() - 2)), call.params[1]};
    Call group = call;
    group.params = std::move(params);
    return signal_process_group(group);
  }
  request(call, "signal", {{"signal", sig}, {"targets", targets_for(*name)}}, [call, name = *name, sig](const Json& done) {
    if (!done.value("ok", false)) {
      const Json& error = done.contains("error") ? done["error"] : Json::object();
      if (text(error, "code") == "BAD_ARGUMENTS") return call.fault(fault::kBadSignal, sig.is_string() ? sig.get<std::string>() : sig.dump());
      return fault_from(call, done, name);
    }
    for (const Json& r : processes_of(done)) {
      if (r.value("ok", false)) continue;
      const Json& error = r.contains("error") ? r["error"] : Json::object();
      if (text(error, "message") == "not running") return call.fault(fault::kNotRunning, name);
      return call.fault(fault::kFailed, text(error, "message"));
    }
    call.reply(Value(true));
  });
}

void RpcInterface::signal_many(const Call& call, Json targets, const Json& sig) {
  if (sig.is_null()) return call.fault(fault::kBadSignal);
  request(call, "status", {{"targets", targets}}, [this, call, targets, sig](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer, targets[0].get<std::string>());
    auto chosen = std::make_shared<std::map<std::string, Json>>();
    Json names = Json::array();
    for (const Json& p : processes_of(answer)) {
      if (!running_state(text(p, "state")) && text(p, "state") != "STOPPING") continue;
      names.push_back(text(p, "name"));
      (*chosen)[text(p, "name")] = p;
    }
    if (names.empty()) return call.reply(Value(Array{}));
    request(call, "signal", {{"signal", sig}, {"targets", names}}, [call, chosen, sig](const Json& done) {
      if (!done.value("ok", false)) {
        const Json& error = done.contains("error") ? done["error"] : Json::object();
        if (text(error, "code") == "BAD_ARGUMENTS") return call.fault(fault::kBadSignal, sig.is_string() ? sig.get<std::string>() : sig.dump());
        return fault_from(call, done);
      }
      call.reply(group_results(done, *chosen));
    });
  });
}

void RpcInterface::signal_process_group(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the group's name");
  if (name) signal_many(call, targets_for(*name + ":*"), signal_of(call, 1));
}
void RpcInterface::signal_all_processes(const Call& call) { signal_many(call, targets_for("all"), signal_of(call, 0)); }

// readProcessStdoutLog(name, offset, length): supervisorctl's `tail` reads the last N bytes
// (offset -N, length 0); other clients page through a log from an offset.
void RpcInterface::read_process_log(const Call& call, bool stderr_stream) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  const auto* offset = name ? param<std::int64_t>(call, 1, "the offset") : nullptr;
  const auto* length = offset ? param<std::int64_t>(call, 2, "the length") : nullptr;
  if (!length) return;
  auto range = byte_range(call, *offset, *length);
  if (!range) return;
  Json args = std::move(*range);
  args["name"] = *name;
  args["stream"] = stderr_stream ? "stderr" : "stdout";
  request(call, "tail", std::move(args), [call, name = *name](const Json& done) {
    if (!done.value("ok", false)) {
      const std::string message = done.contains("error") ? text(done["error"], "message") : std::string();
      if (message.find("discarded") != std::string::npos || message.find("no log") != std::string::npos) {
        return call.fault(fault::kNoFile, name);
      }
      return fault_from(call, done, name);
    }
    call.reply(Value(text(done["result"], "data")));
  });
}

void RpcInterface::read_process_stdout_log(const Call& call) { read_process_log(call, false); }
void RpcInterface::read_process_stderr_log(const Call& call) { read_process_log(call, true); }

// tailProcessStdoutLog(name, offset, length) -> [bytes, offset, overflow]: the last length
// bytes; the offset returned is where the next call continues (the file's size).
void RpcInterface::tail_process_log(const Call& call, bool stderr_stream) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  const auto* offset = name ? param<std::int64_t>(call, 1, "the offset") : nullptr;
  const auto* length = offset ? param<std::int64_t>(call, 2, "the length") : nullptr;
  if (!length) return;
  if (*length <= 0) return call.fault(fault::kBadArguments, "the length must be more than 0");
  const std::int64_t bytes = std::min<std::int64_t>(*length, 1 << 20);
  Json args = {{"name", *name}, {"stream", stderr_stream ? "stderr" : "stdout"}, {"bytes", bytes}};
  request(call, "tail", std::move(args), [call, name = *name, from = *offset, bytes](const Json& done) {
    if (!done.value("ok", false)) return fault_from(call, done, name);
    const std::string data = text(done["result"], "data");
    const std::int64_t size = integer(done["result"], "size");
    // What the client has not seen: from its offset on, at most the last `bytes`.
    const std::int64_t unseen = std::max<std::int64_t>(size - std::max<std::int64_t>(from, 0), 0);
    const bool overflow = unseen > bytes;
    const auto keep = static_cast<std::size_t>(std::min<std::int64_t>(unseen, static_cast<std::int64_t>(data.size())));
    call.reply(Value(Array{Value(data.substr(data.size() - keep)), Value(size), Value(overflow)}));
  });
}

void RpcInterface::tail_process_stdout_log(const Call& call) { tail_process_log(call, false); }
void RpcInterface::tail_process_stderr_log(const Call& call) { tail_process_log(call, true); }

void RpcInterface::clear_process_logs(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  if (!name) return;
  request(call, "clear", {{"targets", targets_for(*name)}}, [call, name = *name](const Json& done) {
    if (!done.value("ok", false)) return fault_from(call, done, name);
    for (const Json& r : processes_of(done)) {
      if (!r.value("ok", false)) return call.fault(fault::kFailed, name);
    }
    call.reply(Value(true));
  });
}

void RpcInterface::clear_all_process_logs(const Call& call) {
  request(call, "status", Json::object(), [this, call](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer);
    auto by_name = std::make_shared<std::map<std::string, Json>>();
    for (const Json& p : processes_of(answer)) (*by_name)[text(p, "name")] = p;
    request(call, "clear", {{"targets", {"all"}}}, [call, by_name](const Json& done) {
      if (!done.value("ok", false)) return fault_from(call, done);
      call.reply(group_results(done, *by_name));
    });
  });
}

// konnectd gives its programs no stdin (it is /dev/null), as supervisord does for a process
// whose stdin is closed.
void RpcInterface::send_process_stdin(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the process's name");
  if (!name || !param<std::string>(call, 1, "the characters to send")) return;
  request(call, "status", {{"targets", targets_for(*name)}}, [call, name = *name](const Json& answer) {
    if (!answer.value("ok", false)) return fault_from(call, answer, name);
    for (const Json& p : processes_of(answer)) {
      if (!running_state(text(p, "state"))) return call.fault(fault::kNotRunning, name);
    }
    call.fault(fault::kNoFile, name + ": konnectd gives its programs no stdin");
  });
}

}  // namespace konnect
