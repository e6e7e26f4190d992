// The Supervisor's side of program output: which stream and file a process writes to, the
// pump's reports about them (errors, rotations) and tail -f followers.

#include "daemon/supervision/supervisor.hpp"

#include <spdlog/spdlog.h>

namespace konnect {

void Supervisor::reopen_logs(std::function<void(std::vector<Error>)> done) { pump_.reopen_all(std::move(done)); }

Result<OutputPump::StreamId> Supervisor::log_stream(const Process& process, bool stderr_stream) const {
  const OutputSink& output = output_of(process);
  const auto id = stderr_stream ? output.stderr_stream() : output.stdout_stream();
  if (id) return *id;
  const bool discarded = (stderr_stream ? output.stderr_path() : output.stdout_path()).empty();
  return make_error(ErrorCode::Failed, process.namespec() + " has no " + (stderr_stream ? "stderr" : "stdout") +
                                           " log" + (discarded ? " (it is discarded)" : " yet (never started)"));
}

std::filesystem::path Supervisor::log_path(const Process& process, bool stderr_stream) const {
  const OutputSink& output = output_of(process);
  return stderr_stream ? output.stderr_path() : output.stdout_path();
}

Process* Supervisor::process_of_stream(OutputPump::StreamId id) const {
  auto it = by_stream_.find(id);
  return it == by_stream_.end() ? nullptr : it->second;
}

void Supervisor::on_log_error(OutputPump::StreamId id, const Error& error) {
  Process* p = process_of_stream(id);
  spdlog::error("Failed to write the log of '{}': {}; output waits in its pipe, retrying every second",
                p ? p->namespec() : "?", error.to_string());
  if (p) p->set_log_error(error.to_string());
}

void Supervisor::follow(OutputPump::StreamId id, std::function<bool(const std::string&)> on_data,
                        std::function<void()> on_end) {
  // The pump already follows the stream (tail_file with follow); this only adds the listener.
  if (by_stream_.count(id) == 0) {
    if (on_end) on_end();  // removed by a reload while its tail was read
    return;
  }
  followers_.add(id, std::move(on_data), std::move(on_end));
}

void Supervisor::tap_log_events(const Process& process) {
  if (!spawn_hook_) return;
  const ProgramConfig& c = process.config();
  const OutputSink& output = output_of(process);
  for (const bool err : {false, true}) {
    if (!(err ? c.stderr_events_enabled : c.stdout_events_enabled)) continue;
    const auto id = err ? output.stderr_stream() : output.stdout_stream();
    if (!id || !log_taps_.insert(*id).second) continue;
    // With redirect_stderr the stream is stdout's: its chunks are stdout's (supervisord's too).
    const bool channel_stderr = err && output.stdout_stream() != id;
    pump_.set_following(*id, true);
    followers_.add(
        *id,
        [this, id = *id, channel_stderr](const std::string& chunk) {
          if (const Process* p = process_of_stream(id); p && spawn_hook_) {
            spawn_hook_->log_output(p->name(), p->group(), p->pid(), channel_stderr, chunk);
          }
          return true;
        },
        [this, id = *id] { log_taps_.erase(id); });
  }
}

void Supervisor::on_log_rotated(OutputPump::StreamId id, std::uint64_t count) {
  const Process* p = process_of_stream(id);
  if (p == nullptr) return;  // removed by a reload meanwhile
  const OutputSink& output = output_of(*p);
  const bool is_stderr = output.stderr_stream() == id && output.stdout_stream() != id;
  events_.publish(LogRotated{p->namespec(), is_stderr ? "stderr" : "stdout", pump_.path_of(id).string(), count});
}

void Supervisor::on_log_recovered(OutputPump::StreamId id) {
  Process* p = process_of_stream(id);
  spdlog::info("Writing the log of '{}' again", p ? p->namespec() : "?");
  if (p) p->set_log_error({});
}

}  // namespace konnect
