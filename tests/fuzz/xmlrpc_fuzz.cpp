// libFuzzer target: the XML-RPC request parser (common/xmlrpc) that every /RPC2 body goes
// through. Hostile input is refused with an error, never a crash; what it reads, written
// back as a call, reads back the same.

#include "common/xmlrpc/xmlrpc.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto call = konnect::xmlrpc::parse_method_call(text);
  if (!call) return 0;
  auto again = konnect::xmlrpc::parse_method_call(konnect::xmlrpc::write_call(call->method, call->params));
  if (!again || again->method != call->method || !(again->params == call->params)) __builtin_trap();
  return 0;
}
