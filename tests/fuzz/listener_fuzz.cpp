// libFuzzer target: the reader of what an event listener writes on its stdout
// (common/listener). Whatever a listener writes, in whatever pieces, the reader never
// crashes, and once it has said UNKNOWN it says nothing more.

#include "common/listener/listener_protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte cuts the rest into pieces of that many bytes (1-256).
  const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  konnect::listener::Reader r;
  bool unknown = false;
  for (std::size_t i = 0; i < text.size(); i += piece) {
    for (const auto& o : r.feed(text.substr(i, piece))) {
      if (unknown) __builtin_trap();  // nothing after UNKNOWN
      unknown = o.kind == konnect::listener::Reader::Outcome::Kind::Unknown;
    }
    if (unknown != (r.state() == konnect::listener::Reader::State::Unknown)) __builtin_trap();
    if (r.state() == konnect::listener::Reader::State::Ready) r.sent();
  }
  return 0;
}
