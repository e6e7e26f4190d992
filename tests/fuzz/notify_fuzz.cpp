// libFuzzer target: the sd_notify datagram parser (common/notify_message), which reads what
// any supervised program sends to its NOTIFY_SOCKET. Nothing may crash or throw; what parses
// keeps its limits (STATUS printable and bounded, MAINPID a real pid).

#include "common/notify_message.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = konnect::parse_notify(text);
  if (!m) return 0;
  if (m->status) {
    if (m->status->size() > konnect::kNotifyMaxStatus) __builtin_trap();
    for (const char c : *m->status) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) __builtin_trap();
    }
  }
  if (m->mainpid && *m->mainpid <= 1) __builtin_trap();
  return 0;
}
