// libFuzzer target: the reader of the state konnectd hands to its next image
// (common/handoff). A corrupted state must never crash the new image: it is refused, and
// the old image goes on. What reads must write back to the same state (written as the lowest
// version that holds it: a version 2 state without listeners reads back as version 1).

#include "common/handoff/handoff_state.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto state = konnect::handoff::decode(text);
  if (!state) return 0;
  state->version = state->lowest_version();
  auto again = konnect::handoff::decode(konnect::handoff::encode(*state));
  if (!again || !(*again == *state)) __builtin_trap();
  return 0;
}
