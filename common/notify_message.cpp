#include "common/notify_message.hpp"

#include <charconv>

namespace konnect {
namespace {

Error bad(std::string why) { return make_error(ErrorCode::BadRequest, "bad sd_notify message: " + std::move(why)); }

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kNotifyMaxStatus)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

}  // namespace

Result<NotifyMessage> parse_notify(std::string_view datagram) {
  if (datagram.size() > kNotifyMaxDatagram) return bad("longer than " + std::to_string(kNotifyMaxDatagram) + " bytes");
  if (datagram.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  NotifyMessage m;
  bool any = false;
  while (!datagram.empty()) {
    const auto nl = datagram.find('\n');
    const std::string_view line = datagram.substr(0, nl);
    datagram.remove_prefix(nl == std::string_view::npos ? datagram.size() : nl + 1);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return bad("a line is not KEY=VALUE");
    any = true;
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "READY") {
      if (value != "1") return bad("READY must be 1");
      m.ready = true;
    } else if (key == "STOPPING") {
      if (value != "1") return bad("STOPPING must be 1");
      m.stopping = true;
    } else if (key == "WATCHDOG") {
      if (value == "1") {
        m.watchdog = true;
      } else if (value == "trigger") {
        m.watchdog_trigger = true;
      } else {
        return bad("WATCHDOG must be 1 or trigger");
      }
    } else if (key == "STATUS") {
      m.status = printable(value);
    } else if (key == "MAINPID") {
      long long pid = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), pid);
      if (ec != std::errc() || end != value.data() + value.size() || pid <= 1 || pid > 0x3fffffff) {
        return bad("MAINPID must be a process id");
      }
      m.mainpid = static_cast<pid_t>(pid);
    }
  }
  if (!any) return bad("empty");
  return m;
}

}  // namespace konnect
