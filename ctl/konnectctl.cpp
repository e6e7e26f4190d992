#include "ctl/konnectctl.hpp"

#include "ctl/client.hpp"
#include "ctl/options.hpp"
#include "ctl/output.hpp"

#include <algorithm>

namespace konnect::ctl {
namespace {

Outcome usage_failure(std::string lines) { return {{}, std::move(lines), kExitUsage}; }

Outcome client_failure(const Error& error) {
  return {{}, "konnectctl: " + error.to_string() + '\n', error.code == ErrorCode::Io ? kExitUnreachable : kExitFailed};
}

bool asks_for_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "-h" || a == "--help"; });
}

// Prints a piece of a streamed answer now (write_out) or keeps it for the end.
void emit(Outcome& outcome, const std::function<void(std::string_view)>& write_out, std::string_view text) {
  if (text.empty()) return;
  if (write_out) {
    write_out(text);
  } else {
    outcome.out.append(text);
  }
}

// The rest of a streamed answer whose command renders its pieces (events, wait): each piece
// is printed as it comes; the stream ends with the daemon, or with a final answer (more
// absent) that is rendered as a whole answer would be.
Outcome follow_stream(const Command& command, Client& client, const Json& first, bool json,
                      const std::function<void(std::string_view)>& write_out) {
  Outcome outcome;
  emit(outcome, write_out, command.render_piece(first, json));
  for (;;) {
    auto next = client.read_line();
    if (!next) break;
    auto piece = parse_response(*next);
    if (!piece) break;
    if (piece->ok && json_bool(piece->result, "more")) {
      emit(outcome, write_out, command.render_piece(piece->result, json));
      continue;
    }
    Outcome last = render_response(command, *piece, *next, json);
    emit(outcome, write_out, last.out);
    outcome.err = std::move(last.err);
    outcome.exit_code = last.exit_code;
    return outcome;
  }
  if (command.stream_ends) {
    outcome.err = "konnectctl: the connection to konnectd ended before the answer\n";
    outcome.exit_code = kExitUnreachable;
  }
  return outcome;
}

}  // namespace

Outcome run_command(const Command& command, const Request& request, const std::filesystem::path& socket, bool json,
                    const std::function<void(std::string_view)>& write_out) {
  auto client = Client::connect(socket);
  if (!client) return client_failure(client.error());
  auto line = client->call(request);
  if (!line) return client_failure(line.error());
  if (!command.waits_for_close) {
    if (auto quick = render_line(command, *line, json)) return *quick;
  }
  auto response = parse_response(*line);
  if (!response) {
    return {{}, "konnectctl: bad answer from " + socket.string() + ": " + response.error().message + '\n', kExitFailed};
  }
  Outcome outcome = render_response(command, *response, *line, json);
  if (response->ok && command.waits_for_close) client->wait_for_close();
  if (!response->ok || !json_bool(response->result, "more")) return outcome;
  if (command.render_piece != nullptr) return follow_stream(command, *client, response->result, json, write_out);
  // A stream (tail -f): print each piece as it comes, until the daemon goes away.
  std::string first = std::move(outcome.out);
  outcome.out.clear();
  emit(outcome, write_out, first);
  for (;;) {
    auto next = client->read_line();
    if (!next) break;
    if (json) {
      emit(outcome, write_out, *next + '\n');
      continue;
    }
    auto piece = parse_response(*next);
    if (piece && !piece->ok) {
      // The daemon ended the stream (the program was removed by a reload).
      outcome.err = format_daemon_error(piece->error) + '\n';
      outcome.exit_code = kExitFailed;
      break;
    }
    if (!piece || !piece->result.is_object()) break;
    if (auto it = piece->result.find("skipped"); it != piece->result.end()) {
      emit(outcome, write_out, "\n[konnectctl: " + it->dump() + " chunk(s) skipped: output came faster than it was read]\n");
      continue;
    }
    if (auto it = piece->result.find("data"); it != piece->result.end() && it->is_string()) {
      emit(outcome, write_out, it->get_ref<const std::string&>());
    }
  }
  return outcome;
}

Outcome run_konnectctl(const std::vector<std::string>& args, const Environment& env) {
  auto invocation = parse_options(args);
  if (!invocation) return usage_failure("konnectctl: " + invocation.error().message + '\n' + short_usage());
  if (invocation->help) return {usage_text(), {}, kExitOk};

  const Command* command = find_command(invocation->command);
  if (command == nullptr) {
    return usage_failure("konnectctl: unknown command '" + invocation->command + "'\n" + short_usage());
  }
  if (asks_for_help(invocation->args)) return {command_usage(*command), {}, kExitOk};
  auto request = build_request(*command, invocation->args);
  if (!request) return usage_failure(request.error().message + '\n' + command_usage(*command));
  if (command->run_local != nullptr) return command->run_local(invocation->args);

  // Config files are read only now, and only when no -s or $KONNECT_SOCKET says where to go.
  auto socket = resolve_socket_path({.socket_option = invocation->socket,
                                     .config_option = invocation->config_file,
                                     .env_socket = env.konnect_socket,
                                     .default_config = env.default_config,
                                     .read_config = env.read_config});
  if (!socket) return usage_failure("konnectctl: " + socket.error().to_string() + '\n');

  Outcome outcome = run_command(*command, *request, socket->path, invocation->json, env.write_out);
  if (!invocation->json && command->local_text != nullptr) outcome.out.insert(0, command->local_text());
  if (!socket->warning.empty()) outcome.err.insert(0, "konnectctl: " + socket->warning + '\n');
  return outcome;
}

}  // namespace konnect::ctl
