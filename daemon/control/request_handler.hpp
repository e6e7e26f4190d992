#pragma once
// Dispatches one decoded request through the one command table (name, who may send it, its
// handler) to the Supervisor or the daemon, and produces exactly one answer line
// (docs/protocol.md). Owns nothing; a Connection only moves bytes and hands lines here.

#include "common/config/config.hpp"
#include "common/protocol/protocol.hpp"
#include "daemon/control/access_policy.hpp"
#include "daemon/control/config_commands.hpp"
#include "daemon/control/daemon_control.hpp"
#include "daemon/control/event_commands.hpp"

#include <filesystem>
#include <functional>
#include <vector>
#include <string>

namespace konnect {

class Supervisor;

// How a request is answered: once (reply(line)), or, for tail -f, as a stream of answer
// lines (stream(line) returns false once the client is gone; the stream never ends on its
// own). Copies share the same connection.
class Responder {
 public:
  using Send = std::function<bool(std::string line, bool more)>;
  // Registers what to run once the client is gone (at once if it already is).
  using Watch = std::function<void(std::function<void()>)>;
  // A duplicate of the connection's socket (close-on-exec), or -1 when it has none.
  using Handover = std::function<int()>;
  Responder() = default;
  explicit Responder(Send send, Watch watch = {}, Handover handover = {})
      : send_(std::move(send)), watch_(std::move(watch)), handover_(std::move(handover)) {}
  void operator()(std::string line) const { send_(std::move(line), false); }
  bool stream(std::string line) const { return send_(std::move(line), true); }
  // For a streamed answer that may go a long time without a piece to send (events, wait):
  // gone runs when the connection closes, so the follower does not wait for its next piece
  // to find out. One per answer; a later call replaces it.
  void on_gone(std::function<void()> gone) const {
    if (watch_) watch_(std::move(gone));
  }
  // reexec: the connection for the next image to answer on (its own fd; this connection
  // is closed by the exec). -1 when there is none.
  int handover() const { return handover_ ? handover_() : -1; }

 private:
  Send send_;
  Watch watch_;
  Handover handover_;
};

class RequestHandler {
 public:
  // The answer line, '\n'-terminated. May be called later (start/stop wait for the action).
  using Reply = Responder;

  using Targets = std::vector<std::string>;

  RequestHandler(Supervisor& supervisor, DaemonControl& daemon);

  // Handles one raw line: parses, checks what `access` allows (PERMISSION_DENIED
  // otherwise), dispatches, and calls reply exactly once.
  void handle_line(std::string_view line, Access access, Reply reply);

  // Whether a read-only client (socket_readonly_group) may send cmd: status, pid, version.
  static bool is_read_only(std::string_view cmd);

  // konnectd is going: streamed answers that wait on events (events, wait) end now.
  void end_streams() { event_commands_.stop_all(); }

 private:
  struct Command;
  static const Command* find(std::string_view cmd);

  void do_version(const Request& request, const Targets& targets, Reply reply);
  void do_status(const Request& request, const Targets& targets, Reply reply);
  void do_pid(const Request& request, const Targets& targets, Reply reply);
  void do_stats(const Request& request, const Targets& targets, Reply reply);
  void do_operation(const Request& request, const Targets& targets, Reply reply);  // start, stop, restart
  void do_signal(const Request& request, const Targets& targets, Reply reply);
  void do_logreopen(const Request& request, const Targets& targets, Reply reply);
  void do_tail(const Request& request, const Targets& targets, Reply reply);
  void do_clear(const Request& request, const Targets& targets, Reply reply);
  void do_maintail(const Request& request, const Targets& targets, Reply reply);
  void do_mainclear(const Request& request, const Targets& targets, Reply reply);
  void do_reexec(const Request& request, const Targets& targets, Reply reply);
  void do_shutdown(const Request& request, const Targets& targets, Reply reply);
  void do_reread(const Request& request, const Targets& targets, Reply reply);
  void do_reload(const Request& request, const Targets& targets, Reply reply);  // and update
  void do_avail(const Request& request, const Targets& targets, Reply reply);
  void do_add_remove(const Request& request, const Targets& targets, Reply reply);
  void do_events(const Request& request, const Targets& targets, Reply reply);
  void do_wait(const Request& request, const Targets& targets, Reply reply);

  Supervisor& supervisor_;
  DaemonControl& daemon_;
  ConfigCommands config_commands_;
  EventCommands event_commands_;
};

}  // namespace konnect
