#include "common/process_info.hpp"

#include "common/protocol/json_text.hpp"
#include "common/config/units.hpp"

#include <ctime>

namespace konnect {

std::string ProcessInfo::namespec() const {
  return group == process ? process : group + ":" + process;
}

std::string format_uptime(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  const std::int64_t days = seconds / 86400;
  seconds %= 86400;
  // H:MM:SS by hand: snprintf showed in the profile of a large status answer.
  std::string clock = std::to_string(seconds / 3600);
  for (std::int64_t part : {seconds / 60 % 60, seconds % 60}) {
    clock += ':';
    clock += static_cast<char>('0' + part / 10);
    clock += static_cast<char>('0' + part % 10);
  }
  if (days == 0) return clock;
  return std::to_string(days) + (days == 1 ? " day, " : " days, ") + clock;
}

namespace {

std::string describe_state(const ProcessInfo& info) {
  switch (info.state) {
    case State::Running:
      return "pid " + std::to_string(info.pid) + ", uptime " + format_uptime(info.now - info.start);
    case State::Backoff:
    case State::Fatal: {
      std::string text = info.spawnerr.empty() ? "unknown error (try \"tail " + info.namespec() + "\")" : info.spawnerr;
      if (info.state == State::Backoff && info.backoff_ms > 0) {
        text += "; retry in " + format_duration(Duration(info.backoff_ms));
      }
      return text;
    }
    case State::Stopped:
    case State::Exited: {
      if (info.start == 0) return "Not started";
      std::time_t t = static_cast<std::time_t>(info.stop);
      std::tm tm{};
      localtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%b %d %I:%M %p", &tm);
      return buf;
    }
    case State::Starting:
    case State::Stopping:
      return "";
  }
  return "";
}

}  // namespace

std::string describe(const ProcessInfo& info) {
  std::string text = describe_state(info);
  if (!info.notify_status.empty()) text += (text.empty() ? "" : "; ") + info.notify_status;
  if (!info.log_error.empty()) text += (text.empty() ? "" : " ") + ("[log: " + info.log_error + "]");
  return text;
}

std::string_view to_string(Health health) {
  switch (health) {
    case Health::None: return "none";
    case Health::Ok: return "ok";
    case Health::Failing: return "failing";
  }
  return "none";
}

void append_json(std::string& out, const ProcessInfo& info) {
  // Keys sorted, as nlohmann's objects are: the text is what Json(...).dump() wrote before.
  JsonObject o(out);
  o.key("backoff_ms").number(info.backoff_ms);
  o.key("description").string(describe(info));
  o.key("exitstatus").number(info.exitstatus);
  o.key("group").string(info.group);
  o.key("health").string(to_string(info.health));
  o.key("log_error").string(info.log_error);
  o.key("name").string(info.namespec());
  o.key("notify_status").string(info.notify_status);
  o.key("now").number(info.now);
  o.key("pid").number(info.pid);
  if (info.previous) {
    std::string previous;
    JsonObject p(previous);
    p.key("pid").number(info.previous->pid);
    p.key("state").string(to_string(info.previous->state));
    p.close();
    o.key("previous").raw(previous);
  }
  o.key("process").string(info.process);
  o.key("restarts").number(static_cast<std::int64_t>(info.restarts));
  o.key("spawnerr").string(info.spawnerr);
  o.key("start").number(info.start);
  o.key("state").string(to_string(info.state));
  o.key("stop").number(info.stop);
  o.close();
}

}  // namespace konnect
