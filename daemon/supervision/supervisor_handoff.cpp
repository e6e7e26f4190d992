// The Supervisor's side of `konnectctl reexec` (SPEC.md "Upgrade in place"): every copy's
// instance with its main process, pipes and notify socket, and the held sockets, handed to
// the next image and taken back there. Only between commands: a start, stop, restart, roll or
// reload under way has a second half that a new image would not know about.

#include "daemon/supervision/supervisor.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>

namespace konnect {

std::optional<std::string> Supervisor::busy() const {
  if (shutting_down_) return "konnectd is shutting down";
  if (reload_) return "a reload is under way";
  if (!rolls_.empty()) return "a rolling restart is under way";
  if (!operations_.empty()) return "a start, stop or restart is under way";
  return std::nullopt;
}

void Supervisor::snapshot(handoff::State& state) const {
  state.next_spawn_id = table_.peek_next_spawn_id();
  state.ready = ready_;
  for (const auto& program : programs_) {
    handoff::ProgramState p{program->name(), {}};
    for (const auto& copy : program->copies()) {
      handoff::CopyState c;
      c.name = copy.name;
      copy.output->snapshot(c);
      const auto [notify_fd, notify_path] = checks_.notify_socket(*copy.current);
      c.notify_fd = notify_fd;
      c.notify_path = notify_path;
      c.current = copy.current->snapshot();
      c.current.instance = table_.place_of(*copy.current).instance;
      if (const auto main = table_.main_of(*copy.current)) {
        c.current.pidfd = main->pidfd;
        c.current.pgid = main->pgid;
        c.current.adopted_main = main->watched;
      }
      p.copies.push_back(std::move(c));
    }
    state.programs.push_back(std::move(p));
  }
  state.sockets = sockets_.snapshot();
}

Result<void> Supervisor::restore(const handoff::State& state) {
  const auto program_named = [&](const std::string& name) -> Program* {
    auto it = std::find_if(programs_.begin(), programs_.end(), [&](const auto& p) { return p->name() == name; });
    return it == programs_.end() ? nullptr : it->get();
  };
  const auto copy_named = [](Program& program, const std::string& name) -> ProgramCopy* {
    auto& copies = program.copies();
    auto it = std::find_if(copies.begin(), copies.end(), [&](const ProgramCopy& c) { return c.name == name; });
    return it == copies.end() ? nullptr : &*it;
  };
  // Everything is checked before anything is taken: a refused state leaves the fds alone,
  // for the image that gets it back.
  for (const auto& p : state.programs) {
    Program* program = program_named(p.name);
    if (program == nullptr) return make_error(ErrorCode::Failed, "program " + p.name + " is not in the config");
    for (const auto& c : p.copies) {
      if (copy_named(*program, c.name) == nullptr) {
        return make_error(ErrorCode::Failed, "program " + p.name + " has no process " + c.name);
      }
      Process probe(*this, program->config_ptr(), program->group(), c.name, program->group_priority());
      if (auto r = probe.restore(c.current); !r) return r.error();
    }
  }

  table_.set_next_spawn_id(state.next_spawn_id);
  pump_.adopt(state.streams, state.next_stream_id, state.next_source_id);
  std::vector<Process*> restored;
  for (const auto& p : state.programs) {
    Program& program = *program_named(p.name);
    for (const auto& c : p.copies) {
      ProgramCopy& copy = *copy_named(program, c.name);
      Process& process = *copy.current;
      copy.output->adopt(c);
      for (const auto id : {c.stdout_stream, c.stderr_stream}) {
        if (id) by_stream_[*id] = &process;
      }
      (void)process.restore(c.current);  // checked above
      table_.renumber(process, c.current.instance);
      copy.next_instance = c.current.instance + 1;
      if (c.current.pid != 0) {
        table_.adopt(process, c.current.pid, c.current.spawn_id, c.current.pidfd, c.current.pgid);
        if (c.current.adopted_main) watch_main(c.current.pid);
      }
      if (c.notify_fd >= 0) checks_.adopt_notify(process, c.notify_fd, c.notify_path);
      restored.push_back(&process);
    }
  }
  for (const auto& s : state.sockets) {
    const ProgramConfig* program = config_->find_program(s.program);
    const auto* socket = program == nullptr ? nullptr : [&]() -> const SocketConfig* {
      auto it = std::find_if(program->sockets.begin(), program->sockets.end(),
                             [&](const SocketConfig& c) { return c.address == s.address; });
      return it == program->sockets.end() ? nullptr : &*it;
    }();
    if (socket == nullptr) {
      // Held for a setting a reload has since dropped: its next start would close it anyway.
      spdlog::info("{}: closed {} (no longer configured)", s.program, s.address);
      ::close(s.fd);
      continue;
    }
    sockets_.adopt(s.program, *socket, s.fd);
  }
  // The checks each state calls for, as entering it would have armed them (a readiness
  // watch of a STARTING instance reads its pipe from the pump's adopted sources).
  for (Process* p : restored) checks_.rearm(*p);
  ready_ = state.ready;
  return {};
}

}  // namespace konnect
