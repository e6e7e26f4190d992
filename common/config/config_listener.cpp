// [eventlistener.NAME]: a program plus what makes it a supervisord event listener.

#include "common/config/config_program.hpp"
#include "common/listener/listener_protocol.hpp"

namespace konnect::config_detail {

std::optional<Result<void>> set_listener_key(std::string_view key, const Field& f, ListenerConfig& l) {
  if (key == "events") {
    std::vector<std::string> names;
    if (const auto* s = f.node->as_string()) {
      // supervisord's comma-separated list, as the INI reader passes it on too
      std::string_view rest = s->get();
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view word = rest.substr(0, comma);
        while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
        while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
        if (!word.empty()) names.emplace_back(word);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else {
      auto list = read_string_list(f);
      if (!list) return Result<void>(list.error());
      names = std::move(*list);
    }
    if (names.empty()) return Result<void>(f.error("needs at least one event type, such as [\"PROCESS_STATE\"]"));
    for (const auto& n : names) {
      if (!listener::event_type(n)) {
        return Result<void>(f.error("unknown event type '" + n + "'; accepted: " + listener::accepted_names()));
      }
    }
    l.events = std::move(names);
    return Result<void>();
  }
  if (key == "buffer_size") {
    auto n = read_int(f, 0, 100000);
    if (!n) return Result<void>(n.error());
    l.buffer_size = static_cast<int>(*n);
    return Result<void>();
  }
  if (key == "result_handler") {
    // supervisord's default is the only one: "OK" accepts an event, anything else rejects it.
    const auto* s = f.node->as_string();
    if (s && s->get() == "supervisor.dispatchers:default_handler") return Result<void>();
    return Result<void>(f.error("only supervisord's default (\"supervisor.dispatchers:default_handler\") is supported"));
  }
  return std::nullopt;
}

Result<void> check_listener(const Field& f, const ProgramConfig& p, bool stdout_log_set) {
  if (p.listener->events.empty()) {
    return config_error(*f.file, f.line, f.key + ".events",
                        "missing required key; expected the event types to listen to, such as [\"PROCESS_STATE\"]");
  }
  if (p.redirect_stderr) {
    return config_error(*f.file, f.line, f.key + ".redirect_stderr",
                        "an event listener's stdout is its answers to konnectd; its stderr cannot go there");
  }
  if (p.restart == RestartMode::Rolling) {
    return config_error(*f.file, f.line, f.key + ".restart",
                        "an event listener is restarted by stop and start; \"rolling\" is for servers");
  }
  if (stdout_log_set) {
    return config_error(*f.file, f.line, f.key + ".stdout_log",
                        "an event listener's stdout is its answers to konnectd, not logged; stderr_log is its log");
  }
  return {};
}

}  // namespace konnect::config_detail
