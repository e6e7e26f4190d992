#include "ctl/commands.hpp"

#include "common/config/config_loader.hpp"
#include "common/config/config_writer.hpp"
#include "common/process_state.hpp"
#include "common/protocol/requests.hpp"
#include "ctl/output.hpp"
#include "ctl/status_answer.hpp"
#include "ctl/stream_commands.hpp"
#include "version.hpp"  // generated from common/version.hpp.in

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <span>
#include <utility>

namespace konnect::ctl {
namespace {

// None of this slice's commands takes options; a word starting with '-' is a typo, not a
// process name, and must not reach the daemon as one.
std::optional<Error> reject_options(const Command& self, const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (is_option(arg)) return usage_error("konnectctl: " + std::string(self.name) + ": unknown option '" + arg + "'");
  }
  return std::nullopt;
}

// status, pid: targets optional; none means all (status) or the daemon itself (pid).
Result<Json> build_optional_targets(const Command& self, const std::vector<std::string>& args) {
  if (auto error = reject_options(self, args)) return args_error(*error);
  return args_value(encode_args(TargetsArgs{args}));
}

// start, stop, restart: at least one target.
Result<Json> build_required_targets(const Command& self, const std::vector<std::string>& args) {
  if (auto error = reject_options(self, args)) return args_error(*error);
  if (args.empty()) return args_error(usage_error("Error: " + std::string(self.name) + " requires a process name"));
  return args_value(encode_args(TargetsArgs{args}));
}

// signal SIG TARGET...: a number goes as a JSON number, a name as written ("HUP", "SIGHUP").
Result<Json> build_signal(const Command& self, const std::vector<std::string>& args) {
  if (auto error = reject_options(self, args)) return args_error(*error);
  if (args.size() < 2) return args_error(usage_error("Error: signal requires a signal name and a process name"));
  return args_value(encode_args(SignalArgs{args.front(), {args.begin() + 1, args.end()}}));
}

Result<Json> build_no_args(const Command& self, const std::vector<std::string>& args) {
  if (auto error = reject_options(self, args)) return args_error(*error);
  if (!args.empty()) return args_error(usage_error("Error: " + std::string(self.name) + " accepts no arguments"));
  return args_value(Json::object());
}

// reload / update [--dry-run] [NAME...]: names limit it to those programs or groups.
Result<Json> build_reload(const Command& self, const std::vector<std::string>& args) {
  ReloadArgs out;
  for (const std::string& arg : args) {
    if (arg == "--dry-run") {
      out.dry_run = true;
    } else if (is_option(arg)) {
      return args_error(usage_error("konnectctl: " + std::string(self.name) + ": unknown option '" + arg + "'"));
    } else {
      out.targets.push_back(arg);
    }
  }
  return args_value(encode_args(out));
}

// convert FILE.conf
Result<Json> build_convert(const Command& self, const std::vector<std::string>& args) {
  if (auto error = reject_options(self, args)) return args_error(*error);
  if (args.size() != 1) return args_error(usage_error("Error: convert requires one supervisord config file"));
  return args_value(Json{{"file", args[0]}});
}

// Reads the file (and its includes) as konnectd would, and prints it as one TOML file.
// User names are not checked: the config may be for another host.
Outcome run_convert(const std::vector<std::string>& args) {
  Result<Config> config = make_error(ErrorCode::Config, "not read");
  try {
    config = load_config_with(args.at(0), LoadOptions{});
  } catch (const std::exception& e) {
    return {{}, "konnectctl: cannot read " + args.at(0) + ": " + e.what() + "\n", kExitFailed};
  }
  if (!config) return {{}, "konnectctl: " + config.error().to_string() + "\n", kExitFailed};
  std::string header = "konnect config converted by `konnectctl convert` from " + config->file.string() + "\n";
  if (config->files_read.size() > 1) header += "(includes flattened: " + std::to_string(config->files_read.size()) + " files read)\n";
  Outcome o;
  for (const auto& w : config->warnings) {
    header += "warning: " + w.to_string() + "\n";
    o.err += "konnectctl: warning: " + w.to_string() + "\n";
  }
  o.out = write_toml_config(*config, header);
  return o;
}

bool any_failed(const Json& processes) {
  return std::any_of(processes.begin(), processes.end(), [](const Json& p) { return !json_bool(p, "ok"); });
}

// SPEC.md: STOPPED, EXITED and FATAL make status exit 3; STARTING, BACKOFF and STOPPING are
// on their way. An unknown state string (a newer daemon) does not count as down.
bool is_down_state(std::string_view name) {
  std::optional<State> state = state_from_string(name);
  return state && is_down(*state);
}

Outcome status_outcome(const std::vector<StatusRow>& rows) {
  Outcome o{format_status(rows), {}, kExitOk};
  bool down = std::any_of(rows.begin(), rows.end(), [](const StatusRow& row) { return is_down_state(row.state); });
  if (down) o.exit_code = kExitNotRunning;
  return o;
}

Outcome render_status(const Json& result) { return status_outcome(status_rows(json_array(result, "processes"))); }

std::optional<Outcome> render_status_line(std::string_view line) {
  auto rows = read_status_answer(line);
  if (!rows) return std::nullopt;
  return status_outcome(*rows);
}

Outcome render_action(const Json& result, std::initializer_list<std::string_view> verbs) {
  const Json& processes = json_array(result, "processes");
  return {format_action_lines(processes, verbs), {}, any_failed(processes) ? kExitFailed : kExitOk};
}

Outcome render_start(const Json& result) { return render_action(result, {"started"}); }
Outcome render_stop(const Json& result) { return render_action(result, {"stopped"}); }
Outcome render_restart(const Json& result) { return render_action(result, {"stopped", "started"}); }
Outcome render_signal(const Json& result) { return render_action(result, {"signalled"}); }

// {"pid": N} for the daemon, {"processes": [{"name","pid"}]} for targets.
Outcome render_pid(const Json& result) {
  Outcome o;
  if (result.is_object() && result.contains("processes")) {
    for (const Json& p : json_array(result, "processes")) o.out += std::to_string(json_integer(p, "pid")) + '\n';
  } else {
    o.out = std::to_string(json_integer(result, "pid")) + '\n';
  }
  return o;
}

Outcome render_shutdown(const Json&) { return {"Shut down\n", {}, kExitOk}; }

// The new image answers: "konnectd 0.2.0 took over from 0.1.0 (pid 42, 5 process(es) kept,
// 23 ms, 9 ms without serving)" (an image before 0.1.0's paused_ms leaves that out).
Outcome render_reexec(const Json& result) {
  const auto text = [&](const char* key) { return result.contains(key) ? result[key].dump() : std::string("?"); };
  std::string message = result.value("message", std::string("konnectd took over"));
  message += " (pid " + text("pid") + ", " + text("processes") + " process(es) kept, " + text("took_ms") + " ms";
  if (result.contains("paused_ms")) message += ", " + text("paused_ms") + " ms without serving";
  message += ")\n";
  return {message, {}, kExitOk};
}

// supervisorctl's reread lines: added, then changed, then removed.
Outcome render_reread(const Json& result) {
  Outcome o;
  for (const auto& [key, word] : {std::pair{"added", "available"}, {"changed", "changed"}, {"removed", "disappeared"}}) {
    for (const Json& name : json_array(result, key)) {
      if (name.is_string()) o.out += name.get<std::string>() + ": " + word + "\n";
    }
  }
  if (o.out.empty()) o.out = "No config updates to processes\n";
  return o;
}

// One line per program of result[key].
void append_names(std::string& out, const Json& result, const char* key, std::initializer_list<std::string_view> verbs) {
  for (const Json& name : json_array(result, key)) {
    if (!name.is_string()) continue;
    for (std::string_view verb : verbs) out += name.get<std::string>() + ": " + std::string(verb) + "\n";
  }
}

// The start results of what a reload made: only the failures print (the added or updated
// line already says it).
void append_failures(Outcome& o, const Json& result) {
  for (const Json& p : json_array(result, "processes")) {
    if (json_bool(p, "ok")) continue;
    const Json& error = p.is_object() && p.contains("error") ? p["error"] : Json();
    o.out += format_process_error(json_string(p, "name"), error) + "\n";
    o.exit_code = kExitFailed;
  }
}

void append_warnings(Outcome& o, const Json& result) {
  for (const Json& w : json_array(result, "warnings")) {
    if (w.is_string()) o.err += "konnectctl: warning: " + w.get<std::string>() + "\n";
  }
}

// supervisorctl update's lines, in its order: removed, changed, added.
Outcome render_reload(const Json& result) {
  Outcome o;
  if (json_bool(result, "dry_run")) {
    append_names(o.out, result, "removed", {"would be stopped and removed"});
    append_names(o.out, result, "restarted", {"would be restarted with its new settings"});
    append_names(o.out, result, "updated", {"would get its new settings in place, no restart"});
    append_names(o.out, result, "added", {"would be added"});
  } else {
    append_names(o.out, result, "removed", {"stopped", "removed process group"});
    append_names(o.out, result, "restarted", {"stopped", "updated process group"});
    append_names(o.out, result, "updated", {"updated in place"});
    append_names(o.out, result, "added", {"added process group"});
  }
  if (o.out.empty()) o.out = "No config updates to processes\n";
  append_failures(o, result);
  append_warnings(o, result);
  return o;
}

Outcome render_add(const Json& result) {
  Outcome o;
  append_names(o.out, result, "added", {"added process group"});
  append_failures(o, result);
  return o;
}

Outcome render_remove(const Json& result) {
  Outcome o;
  append_names(o.out, result, "removed", {"removed process group"});
  return o;
}

// supervisorctl avail: '%-32s %-9s %-9s %s' with "GROUP_PRIORITY:PRIORITY".
Outcome render_avail(const Json& result) {
  Outcome o;
  auto pad = [](std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
  };
  for (const Json& p : json_array(result, "processes")) {
    o.out += pad(std::string(json_string(p, "name")), 32) + " " + pad(json_bool(p, "in_use") ? "in use" : "avail", 9) +
             " " + pad(json_bool(p, "autostart") ? "auto" : "manual", 9) + " " +
             std::to_string(json_integer(p, "group_priority")) + ":" + std::to_string(json_integer(p, "priority")) +
             "\n";
  }
  return o;
}

Outcome render_clear(const Json& result) { return render_action(result, {"cleared"}); }
Outcome render_message(const Json& result) { return {std::string(json_string(result, "message")) + '\n', {}, kExitOk}; }

Outcome render_version(const Json& result) {
  return {"konnectd " + std::string(json_string(result, "version")) + '\n', {}, kExitOk};
}

std::string client_version() { return std::string("konnectctl ") + kVersion + '\n'; }

// The order here is the order of --help.
const std::array kCommands{
    Command{.name = "status",
            .synopsis = "status [TARGET...]",
            .summary = "show the state of processes (all without TARGET)",
            .build_args = build_optional_targets,
            .render = render_status,
            .render_line = render_status_line},
    Command{.name = "start",
            .synopsis = "start TARGET...",
            .summary = "start processes; waits until they are RUNNING or have failed",
            .build_args = build_required_targets,
            .render = render_start},
    Command{.name = "stop",
            .synopsis = "stop TARGET...",
            .summary = "stop processes; waits until they are STOPPED",
            .build_args = build_required_targets,
            .render = render_stop},
    Command{.name = "restart",
            .synopsis = "restart TARGET...",
            .summary = "stop, then start processes",
            .build_args = build_required_targets,
            .render = render_restart},
    Command{.name = "signal",
            .synopsis = "signal SIG TARGET...",
            .summary = "send signal SIG (HUP, SIGHUP or 1) to processes",
            .build_args = build_signal,
            .render = render_signal},
    Command{.name = "pid",
            .synopsis = "pid [TARGET...]",
            .summary = "print the daemon's pid, or each process's pid (0 when not running)",
            .build_args = build_optional_targets,
            .render = render_pid},
    Command{.name = "reread",
            .synopsis = "reread",
            .summary = "read the config again and say what changed (changes nothing)",
            .build_args = build_no_args,
            .render = render_reread},
    Command{.name = "reload",
            .synopsis = "reload [--dry-run] [NAME...]",
            .summary = "apply the config: add, remove, restart what changed; the rest keeps running",
            .build_args = build_reload,
            .render = render_reload},
    Command{.name = "update",
            .synopsis = "update [--dry-run] [NAME...]",
            .summary = "the same as reload",
            .build_args = build_reload,
            .render = render_reload},
    Command{.name = "avail",
            .synopsis = "avail",
            .summary = "list every process of the config file, in use or available",
            .build_args = build_no_args,
            .render = render_avail},
    Command{.name = "add",
            .synopsis = "add NAME...",
            .summary = "add programs or groups of the config file that do not run yet",
            .build_args = build_required_targets,
            .render = render_add},
    Command{.name = "remove",
            .synopsis = "remove NAME...",
            .summary = "stop and drop programs or groups from the running set",
            .build_args = build_required_targets,
            .render = render_remove},
    Command{.name = "tail",
            .synopsis = "tail [-f] [-n LINES] NAME [stdout|stderr]",
            .summary = "print the last LINES (10) lines of a process's log; -f: and follow it",
            .build_args = build_tail,
            .render = render_data},
    Command{.name = "maintail",
            .synopsis = "maintail [-f] [-n LINES]",
            .summary = "print the last LINES (10) lines of konnectd's own log; -f: and follow it",
            .build_args = build_maintail,
            .render = render_data},
    Command{.name = "events",
            .synopsis = "events [TARGET...]",
            .summary = "print every state change of processes as it happens (--json: one object each)",
            .build_args = build_events,
            .render = render_events,
            .render_piece = render_event_piece},
    Command{.name = "wait",
            .synopsis = "wait [--timeout DUR] [--state STATE] TARGET...",
            .summary = "return once every target is in STATE (RUNNING); exit 1 on timeout (60s) or FATAL",
            .build_args = build_wait,
            .render = render_wait,
            .render_piece = render_wait_piece,
            .stream_ends = true},
    Command{.name = "clear",
            .synopsis = "clear TARGET...",
            .summary = "empty the current log files of processes",
            .build_args = build_required_targets,
            .render = render_clear},
    Command{.name = "logreopen",
            .synopsis = "logreopen",
            .summary = "reopen every log file (after logrotate renamed them), as SIGUSR2",
            .build_args = build_no_args,
            .render = render_message},
    Command{.name = "shutdown",
            .synopsis = "shutdown",
            .summary = "stop every process, then the daemon; returns once it is gone",
            .build_args = build_no_args,
            .render = render_shutdown,
            .waits_for_close = true},
    Command{.name = "reexec",
            .synopsis = "reexec",
            .summary = "replace konnectd with the binary now at its path (an upgrade), keeping every program",
            .build_args = build_no_args,
            .render = render_reexec},
    Command{.name = "convert",
            .synopsis = "convert FILE.conf",
            .summary = "print a supervisord config file (and its includes) as konnect TOML; needs no daemon",
            .build_args = build_convert,
            .render = render_message,
            .run_local = run_convert},
    Command{.name = "version",
            .synopsis = "version",
            .summary = "print konnectctl's and konnectd's versions",
            .build_args = build_no_args,
            .render = render_version,
            .local_text = client_version},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<Request> build_request(const Command& command, const std::vector<std::string>& args) {
  auto built = command.build_args(command, args);
  if (!built) return built.error();
  Request request;
  request.id = 1;
  request.cmd = std::string(command.name);
  request.args = std::move(*built);
  return request;
}

std::string format_daemon_error(const Error& error) {
  std::string line = "konnectctl: ERROR (" + error_code_phrase(to_string(error.code)) + ")";
  if (!error.message.empty()) line += ": " + error.message;
  return line;
}

namespace {

// --json: stdout gets the line as received, stderr nothing; the exit code stays.
Outcome as_json(Outcome o, std::string_view raw_line) {
  o.out.assign(raw_line);
  o.out += '\n';
  o.err.clear();
  return o;
}

}  // namespace

Outcome render_response(const Command& command, const Response& response, std::string_view raw_line, bool json) {
  Outcome o;
  if (response.ok) {
    o = command.render(response.result);
  } else {
    o.err = format_daemon_error(response.error) + '\n';
    o.exit_code = kExitFailed;
  }
  return json ? as_json(std::move(o), raw_line) : o;
}

std::optional<Outcome> render_line(const Command& command, std::string_view raw_line, bool json) {
  if (command.render_line == nullptr) return std::nullopt;
  std::optional<Outcome> o = command.render_line(raw_line);
  if (o && json) return as_json(std::move(*o), raw_line);
  return o;
}

std::string short_usage() {
  return "Usage: konnectctl [-c FILE | -s SOCKET] [--json] COMMAND [ARGS]\n"
         "Try 'konnectctl --help' for more information.\n";
}

std::string command_usage(const Command& command) {
  return "Usage: konnectctl " + std::string(command.synopsis) + "\n" + std::string(command.summary) + "\n";
}

std::string usage_text() {
  std::string text =
      "Usage: konnectctl [-c FILE | -s SOCKET] [--json] [-h|--help] COMMAND [ARGS]\n"
      "Controls konnectd, the process supervisor. Without COMMAND: status.\n"
      "\n"
      "Options (before COMMAND):\n"
      "  -c, --config FILE  use the control socket named in FILE ([konnectd] socket)\n"
      "  -s, --socket PATH  use the control socket PATH (wins over -c and KONNECT_SOCKET)\n"
      "      --json         print the daemon's JSON answer instead of text\n"
      "  -h, --help         print this help and exit\n"
      "\n"
      "Commands:\n";
  constexpr std::size_t kSynopsisWidth = 24;
  for (const Command& c : kCommands) {
    std::string line = "  " + std::string(c.synopsis);
    line.append(line.size() < kSynopsisWidth ? kSynopsisWidth - line.size() : 1, ' ');
    text += line + std::string(c.summary) + "\n";
  }
  text +=
      "\n"
      "TARGET is NAME, GROUP:*, GROUP:NAME or all.\n"
      "Exit codes: 0 ok, 1 an action failed or a name is unknown, 2 usage error,\n"
      "3 status found a process STOPPED, EXITED or FATAL, 4 the daemon cannot be reached.\n"
      "Socket: -s PATH, else -c FILE, else $KONNECT_SOCKET, else /etc/konnect/konnectd.toml's,\n"
      "else /run/konnect/konnectd.sock.\n";
  return text;
}

}  // namespace konnect::ctl
