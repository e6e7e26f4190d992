#include "common/protocol/requests.hpp"

#include "common/signal_names.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace konnect {
namespace {

Error bad_arguments(std::string message) { return make_error(ErrorCode::BadArguments, std::move(message)); }

const Json* member(const Json& args, const char* key) {
  if (!args.is_object()) return nullptr;
  auto it = args.find(key);
  return it == args.end() || it->is_null() ? nullptr : &*it;
}

Result<std::vector<std::string>> read_targets(const Json& args) {
  std::vector<std::string> targets;
  const Json* list = member(args, "targets");
  if (list == nullptr) return targets;
  if (!list->is_array()) return bad_arguments("\"targets\" must be a list of strings");
  for (const auto& t : *list) {
    if (!t.is_string() || t.get_ref<const std::string&>().empty()) {
      return bad_arguments("\"targets\" must be a list of non-empty strings");
    }
    targets.push_back(t.get<std::string>());
  }
  return targets;
}

// args[key] as a bool (false when missing).
Result<bool> read_flag(const Json& args, const char* key) {
  const Json* value = member(args, key);
  if (value == nullptr) return false;
  if (!value->is_boolean()) return bad_arguments(std::string("\"") + key + "\" must be true or false");
  return value->get<bool>();
}

// args.lines: a number of lines from 0 to kMaxTailLines, 10 when missing.
// tail's and maintail's "bytes" (1 to 1 MiB; 0 too with "offset": to the end) and "offset".
Result<void> read_byte_range(const Json& args, std::size_t& bytes, std::optional<std::uint64_t>& offset) {
  if (const Json* o = member(args, "offset")) {
    if (!o->is_number_integer() || o->get<std::int64_t>() < 0) {
      return bad_arguments("\"offset\" must be a byte offset from 0");
    }
    offset = static_cast<std::uint64_t>(o->get<std::int64_t>());
  }
  if (const Json* b = member(args, "bytes")) {
    const std::int64_t least = offset ? 0 : 1;
    if (!b->is_number_integer() || b->get<std::int64_t>() < least || b->get<std::int64_t>() > (1 << 20)) {
      return bad_arguments("\"bytes\" must be a number of bytes from " + std::to_string(least) + " to 1048576");
    }
    bytes = static_cast<std::size_t>(b->get<std::int64_t>());
  }
  return {};
}

Result<std::size_t> read_lines(const Json& args) {
  const Json* value = member(args, "lines");
  if (value == nullptr) return std::size_t{10};
  if (!value->is_number_integer() || value->get<std::int64_t>() < 0 ||
      value->get<std::int64_t>() > static_cast<std::int64_t>(kMaxTailLines)) {
    return bad_arguments("\"lines\" must be a number of lines from 0 to " + std::to_string(kMaxTailLines));
  }
  return static_cast<std::size_t>(value->get<std::int64_t>());
}

void put_targets(Json& out, const std::vector<std::string>& targets) {
  if (!targets.empty()) out["targets"] = targets;
}

}  // namespace

Json encode_args(const TargetsArgs& args) {
  Json out = Json::object();
  put_targets(out, args.targets);
  return out;
}

Result<TargetsArgs> decode_targets_args(const Json& args) {
  auto targets = read_targets(args);
  if (!targets) return targets.error();
  return TargetsArgs{std::move(*targets)};
}

Json encode_args(const SignalArgs& args) {
  const std::string& sig = args.signal;
  const bool is_number = !sig.empty() && sig.size() <= 3 &&
                         std::all_of(sig.begin(), sig.end(), [](char c) { return c >= '0' && c <= '9'; });
  Json out = {{"signal", is_number ? Json(std::stoi(sig)) : Json(sig)}};
  put_targets(out, args.targets);
  return out;
}

int signal_number(const SignalArgs& args) { return parse_signal(args.signal).value_or(0); }

Result<SignalArgs> decode_signal_args(const Json& args) {
  SignalArgs out;
  auto targets = read_targets(args);
  if (!targets) return targets.error();
  out.targets = std::move(*targets);
  const Json* sig = member(args, "signal");
  if (sig != nullptr && sig->is_string()) out.signal = sig->get<std::string>();
  if (sig != nullptr && sig->is_number_integer()) {
    const auto n = sig->get<std::int64_t>();
    if (n > 0 && n < 65) out.signal = std::to_string(n);
  }
  if (out.signal.empty() || !parse_signal(out.signal)) {
    return bad_arguments("\"signal\" must name a signal, such as \"HUP\" or 1");
  }
  return out;
}

Json encode_args(const TailArgs& args) {
  Json out = {{"name", args.name}};
  if (args.stderr_stream) out["stream"] = "stderr";
  if (args.follow) out["follow"] = true;
  out["lines"] = args.lines;
  if (args.bytes > 0) out["bytes"] = args.bytes;
  if (args.offset) out["offset"] = *args.offset;
  return out;
}

Result<TailArgs> decode_tail_args(const Json& args) {
  TailArgs out;
  const Json* name = member(args, "name");
  if (name == nullptr || !name->is_string()) return bad_arguments("tail needs \"name\"");
  out.name = name->get<std::string>();
  if (const Json* stream = member(args, "stream")) {
    if (!stream->is_string() || (*stream != "stdout" && *stream != "stderr")) {
      return bad_arguments("\"stream\" is stdout or stderr");
    }
    out.stderr_stream = *stream == "stderr";
  }
  auto follow = read_flag(args, "follow");
  if (!follow) return follow.error();
  out.follow = *follow;
  auto lines = read_lines(args);
  if (!lines) return lines.error();
  out.lines = *lines;
  if (auto r = read_byte_range(args, out.bytes, out.offset); !r) return r.error();
  if (out.follow && out.offset) return bad_arguments("\"offset\" does not go with \"follow\"");
  return out;
}

Json encode_args(const MaintailArgs& args) {
  Json out = {{"lines", args.lines}};
  if (args.follow) out["follow"] = true;
  if (args.bytes > 0) out["bytes"] = args.bytes;
  if (args.offset) out["offset"] = *args.offset;
  return out;
}

Result<MaintailArgs> decode_maintail_args(const Json& args) {
  MaintailArgs out;
  auto lines = read_lines(args);
  if (!lines) return lines.error();
  out.lines = *lines;
  auto follow = read_flag(args, "follow");
  if (!follow) return follow.error();
  out.follow = *follow;
  if (auto r = read_byte_range(args, out.bytes, out.offset); !r) return r.error();
  if (out.follow && out.offset) return bad_arguments("\"offset\" does not go with \"follow\"");
  return out;
}

Json encode_args(const ReloadArgs& args) {
  Json out = Json::object();
  if (args.dry_run) out["dry_run"] = true;
  put_targets(out, args.targets);
  return out;
}

Result<ReloadArgs> decode_reload_args(const Json& args) {
  ReloadArgs out;
  auto targets = read_targets(args);
  if (!targets) return targets.error();
  out.targets = std::move(*targets);
  auto dry_run = read_flag(args, "dry_run");
  if (!dry_run) return dry_run.error();
  out.dry_run = *dry_run;
  return out;
}

Json encode_args(const WaitArgs& args) {
  Json out = {{"state", std::string(to_string(args.state))}, {"timeout_ms", args.timeout_ms}};
  put_targets(out, args.targets);
  return out;
}

Result<WaitArgs> decode_wait_args(const Json& args) {
  WaitArgs out;
  auto targets = read_targets(args);
  if (!targets) return targets.error();
  out.targets = std::move(*targets);
  if (const Json* state = member(args, "state")) {
    std::optional<State> s = state->is_string() ? state_from_string(state->get<std::string>()) : std::nullopt;
    if (!s) {
      return bad_arguments("\"state\" must be one of STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL");
    }
    out.state = *s;
  }
  if (const Json* timeout = member(args, "timeout_ms")) {
    if (!timeout->is_number_integer() || timeout->get<std::int64_t>() < 0 || timeout->get<std::int64_t>() > kMaxWaitMs) {
      return bad_arguments("\"timeout_ms\" must be a number of milliseconds from 0 to " + std::to_string(kMaxWaitMs));
    }
    out.timeout_ms = timeout->get<std::int64_t>();
  }
  return out;
}

}  // namespace konnect
