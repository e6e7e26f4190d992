// libFuzzer target: the control protocol's request parser and line framing (common/protocol),
// the first code every client byte reaches. Anything may come in; nothing may crash, hang or
// throw, and a request that parses must encode and parse back to the same command.

#include "common/protocol/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

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
  }
  (void)konnect::parse_response(bytes);
  return 0;
}
