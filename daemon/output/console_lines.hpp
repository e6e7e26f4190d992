#pragma once
// What one pipe sends to the console (stdout_log = "console"), cut into whole lines, each
// prefixed "NAME | " (SPEC.md "Containers"). A line still being written is kept until its end
// comes; one longer than kMaxLine is sent in pieces of kMaxLine, each a line of its own with
// the prefix (as docker cuts at 16 KiB), so memory stays bounded. Pure: no fds, no threads.

#include <string>
#include <string_view>

namespace konnect {

class ConsoleLines {
 public:
  static constexpr std::size_t kMaxLine = 64 * 1024;

  // label: the process name; timestamps: an RFC 3339 time after the prefix (log_timestamps).
  explicit ConsoleLines(std::string label, bool timestamps = false);

  // Appends to out every line that data completes, each with its prefix and its '\n'.
  void feed(std::string_view data, std::string& out);
  // Ends the line still being written (no writer left, shutdown, reexec) with a '\n'.
  void finish(std::string& out);

  void set_timestamps(bool on) { timestamps_ = on; }
  // A line still being written (without its prefix): handed over in a reexec.
  const std::string& partial() const { return partial_; }
  void set_partial(std::string partial) { partial_ = std::move(partial); }

 private:
  void emit(std::string_view line, std::string& out);

  std::string prefix_;   // "NAME | "
  bool timestamps_;
  std::string partial_;
};

}  // namespace konnect
