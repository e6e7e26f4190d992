#include "ctl/stream_commands.hpp"

#include "common/config/units.hpp"
#include "common/process_state.hpp"
#include "common/protocol/requests.hpp"
#include "ctl/output.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace konnect::ctl {
namespace {

// -n LINES / -nLINES / --lines=LINES, and -f; returns the other words. A bad number is a
// usage error.
struct TailOptions {
  std::optional<long> lines;
  bool follow = false;
  std::vector<std::string> words;
};

Result<TailOptions> parse_tail_options(const Command& self, const std::vector<std::string>& args) {
  TailOptions o;
  auto number = [&](const std::string& text) -> std::optional<long> {
    if (text.empty() || text.size() > 7 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stol(text);
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::optional<std::string> value;
    if (a == "-f" || a == "--follow") {
      o.follow = true;
      continue;
    }
    if (a == "-n" || a == "--lines") {
      if (i + 1 >= args.size()) return usage_error("Error: " + std::string(self.name) + " " + a + " needs a number");
      value = args[++i];
    } else if (a.rfind("-n", 0) == 0 && a.size() > 2) {
      value = a.substr(2);
    } else if (a.rfind("--lines=", 0) == 0) {
      value = a.substr(8);
    } else if (is_option(a)) {
      return usage_error("konnectctl: " + std::string(self.name) + ": unknown option '" + a + "'");
    } else {
      o.words.push_back(a);
      continue;
    }
    o.lines = number(*value);
    if (!o.lines) return usage_error("Error: " + std::string(self.name) + ": '" + *value + "' is not a number of lines");
  }
  return o;
}

}  // namespace

// tail [-f] [-n LINES] NAME [stdout|stderr]
Result<Json> build_tail(const Command& self, const std::vector<std::string>& args) {
  auto o = parse_tail_options(self, args);
  if (!o) return args_error(o.error());
  if (o->words.empty()) return args_error(usage_error("Error: tail requires a process name"));
  if (o->words.size() > 2) return args_error(usage_error("Error: tail takes one process name and stdout or stderr"));
  TailArgs out{o->words[0], false, o->follow, static_cast<std::size_t>(o->lines.value_or(10))};
  if (o->words.size() == 2) {
    if (o->words[1] != "stdout" && o->words[1] != "stderr") {
      return args_error(usage_error("Error: tail: '" + o->words[1] + "' is neither stdout nor stderr"));
    }
    out.stderr_stream = o->words[1] == "stderr";
  }
  return args_value(encode_args(out));
}

// maintail [-f] [-n LINES]
Result<Json> build_maintail(const Command& self, const std::vector<std::string>& args) {
  auto o = parse_tail_options(self, args);
  if (!o) return args_error(o.error());
  if (!o->words.empty()) return args_error(usage_error("Error: maintail takes no process name"));
  return args_value(encode_args(MaintailArgs{o->follow, static_cast<std::size_t>(o->lines.value_or(10))}));
}

Outcome render_data(const Json& result) { return {std::string(json_string(result, "data")), {}, kExitOk}; }

Result<Json> build_events(const Command& self, const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (is_option(arg)) return args_error(usage_error("konnectctl: " + std::string(self.name) + ": unknown option '" + arg + "'"));
  }
  return args_value(encode_args(TargetsArgs{args}));
}

Outcome render_events(const Json&) { return {}; }

namespace {

// What a stream piece says when the client read too slowly and the daemon dropped some.
std::string skipped_text(const Json& result, bool json) {
  const std::string n = std::to_string(json_integer(result, "skipped"));
  if (json) return Json{{"skipped", json_integer(result, "skipped")}}.dump() + "\n";
  return "[konnectctl: " + n + " event(s) skipped: they came faster than they were read]\n";
}

}  // namespace

std::string render_event_piece(const Json& result, bool json) {
  if (result.contains("skipped")) return skipped_text(result, json);
  const Json* event = result.is_object() && result.contains("event") ? &result["event"] : nullptr;
  if (event == nullptr || !event->is_object()) return {};  // the first answer: subscribed
  if (json) return event->dump() + "\n";
  std::string line = std::string(json_string(*event, "time")) + " " + std::string(json_string(*event, "name")) + " " +
                     std::string(json_string(*event, "from")) + " -> " + std::string(json_string(*event, "to"));
  if (const long long pid = json_integer(*event, "pid"); pid != 0) line += " pid " + std::to_string(pid);
  if (const std::string_view reason = json_string(*event, "reason"); !reason.empty()) {
    line += " (" + std::string(reason) + ")";
  }
  return line + "\n";
}

Result<Json> build_wait(const Command& self, const std::vector<std::string>& args) {
  WaitArgs out;
  const std::string name(self.name);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::optional<std::string> value;
    const bool timeout = a == "--timeout" || a.rfind("--timeout=", 0) == 0;
    const bool state = a == "--state" || a.rfind("--state=", 0) == 0;
    if (timeout || state) {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return args_error(usage_error("Error: " + name + " " + a + " needs a value"));
      }
    } else if (is_option(a)) {
      return args_error(usage_error("konnectctl: " + name + ": unknown option '" + a + "'"));
    } else {
      out.targets.push_back(a);
      continue;
    }
    if (timeout) {
      auto d = parse_duration(*value);
      if (!d || d->count() > kMaxWaitMs) {
        return args_error(usage_error("Error: " + name + ": '" + *value + "' is not a duration such as 30s, 500ms or 2m"));
      }
      out.timeout_ms = d->count();
    } else {
      std::string upper = *value;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      auto s = state_from_string(upper);
      if (!s) {
        return args_error(usage_error("Error: " + name + ": '" + *value +
                                      "' is not a state (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL)"));
      }
      out.state = *s;
    }
  }
  if (out.targets.empty()) return args_error(usage_error("Error: " + name + " requires a process name"));
  return args_value(encode_args(out));
}

Outcome render_wait(const Json& result) {
  Outcome o;
  if (json_bool(result, "more")) return o;  // still waiting
  for (const Json& p : json_array(result, "processes")) {
    o.out += std::string(json_string(p, "name")) + ": " + std::string(json_string(p, "state")) + "\n";
  }
  return o;
}

std::string render_wait_piece(const Json& result, bool json) {
  if (!json) return {};
  return render_event_piece(result, json);
}

}  // namespace konnect::ctl
