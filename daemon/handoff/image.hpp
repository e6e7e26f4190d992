#pragma once
// Changing konnectd's image (konnectctl reexec): the old image writes the state into a memfd,
// clears close-on-exec on it and on every fd the state names, and execs the new binary with
//   BINARY -c CONFIG [--allow-insecure-config] --deserialize STATE_FD --previous-image EXE_FD
// where EXE_FD is the old binary, open (an upgraded package has replaced the file at its
// path). The new image reads the state; if it cannot read or take it, it execs EXE_FD again
// with the same state and `--reexec-error REASON`, so the old image comes back and answers
// the client with the reason. An execve that fails in the old image is retried with the old
// binary itself (/proc/self/exe) in the same way. The pid never changes: children stay
// children, nothing is signalled.

#include "common/error.hpp"
#include "common/handoff/handoff_state.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace konnect::handoff {

struct ImageArgs {
  std::filesystem::path config_file;
  bool allow_insecure_config = false;
};

// The state in a memfd (close-on-exec), for the next binary's --check-state.
Result<int> state_fd(const State& state);

// The old image: does not return unless every exec failed (then konnectd cannot go on: its
// state was handed over).
[[noreturn]] void exec_next_image(const State& state, const std::filesystem::path& binary, const ImageArgs& args);

// The new image: the state behind --deserialize FD (FD is kept, for a return).
Result<State> read_state(int fd);
// Hands the state back to the previous image (--previous-image) with the reason; does not
// return (if that exec fails too, konnectd exits 1 with both reasons on stderr).
[[noreturn]] void return_to_previous_image(int previous_image_fd, int state_fd, const ImageArgs& args,
                                           const std::string& reason);
// After the state was taken: every fd it named is close-on-exec again, and the memfd and
// the previous image's fd are closed.
void settle_fds(const State& state, int state_fd, int previous_image_fd);

}  // namespace konnect::handoff
