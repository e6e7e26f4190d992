// libFuzzer target: the control protocol's request parser and line framing (common/protocol),
// the first code every client byte reaches, and the typed decoders of each command's args
// (common/protocol/requests). Anything may come in; nothing may crash, hang or throw; a
// request that parses must encode and parse back to the same command, and args that decode
// must encode (as konnectctl would send them) and decode back to the same values.

#include "common/protocol/protocol.hpp"
#include "common/protocol/requests.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

void check_args(const konnect::Json& args) {
  using namespace konnect;
  if (auto a = decode_targets_args(args)) {
    auto b = decode_targets_args(encode_args(*a));
    if (!b || b->targets != a->targets) __builtin_trap();
  }
  if (auto a = decode_signal_args(args)) {
    auto b = decode_signal_args(encode_args(*a));
    if (!b || signal_number(*b) != signal_number(*a) || b->targets != a->targets) __builtin_trap();
  }
  if (auto a = decode_tail_args(args)) {
    auto b = decode_tail_args(encode_args(*a));
    if (!b || b->name != a->name || b->stderr_stream != a->stderr_stream || b->follow != a->follow ||
        b->lines != a->lines) {
      __builtin_trap();
    }
  }
  if (auto a = decode_maintail_args(args)) {
    auto b = decode_maintail_args(encode_args(*a));
    if (!b || b->follow != a->follow || b->lines != a->lines) __builtin_trap();
  }
  if (auto a = decode_wait_args(args)) {
    auto b = decode_wait_args(encode_args(*a));
    if (!b || b->targets != a->targets || b->state != a->state || b->timeout_ms != a->timeout_ms) __builtin_trap();
  }
  if (auto a = decode_reload_args(args)) {
    auto b = decode_reload_args(encode_args(*a));
    if (!b || b->targets != a->targets || b->dry_run != a->dry_run) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  konnect::LineBuffer lines(4096);
  lines.append(bytes);
  std::string line;
  for (int i = 0; i < 64; ++i) {
    const auto status = lines.next_line(line);
    if (status == konnect::LineBuffer::Status::NeedMore) break;
    if (status != konnect::LineBuffer::Status::Line) continue;
    konnect::Json id;
    auto request = konnect::parse_request(line, &id);
    if (!request) {
      (void)konnect::encode_error(id, request.error());
      continue;
    }
    const std::string again = konnect::encode_request(*request);
    auto back = konnect::parse_request(std::string_view(again).substr(0, again.size() - 1));
    if (!back || back->cmd != request->cmd) __builtin_trap();
    check_args(request->args);
  }
  (void)konnect::parse_response(bytes);
  return 0;
}
