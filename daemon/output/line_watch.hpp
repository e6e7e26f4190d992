#pragma once
// Looks for the first output line that matches a pattern (ready = { log = "..." }), fed the
// bytes of a stream as they are read. A line is matched once complete (its newline read);
// a line longer than kMaxLine is matched on its first kMaxLine bytes. Runs on the pump
// thread, only while a readiness check waits for it.
// Why the bound is small: libstdc++'s std::regex recurses once per character, so a long
// enough line overflows the thread's stack (measured: 8 MiB of stack at ~20 000 characters
// of "\S+@\S+ ready\."). A ready line is short; 2 KiB stays far from that.

#include <cstddef>
#include <memory>
#include <regex>
#include <string>
#include <string_view>

namespace konnect {

class LineWatch {
 public:
  static constexpr std::size_t kMaxLine = 2 * 1024;

  explicit LineWatch(std::shared_ptr<const std::regex> pattern) : pattern_(std::move(pattern)) {}

  // True once a line of what was fed so far matched (and from then on).
  bool feed(std::string_view data);

 private:
  bool match_line(std::string_view line) const;

  std::shared_ptr<const std::regex> pattern_;
  std::string partial_;  // the line cut by the end of the last chunk
  bool skipping_ = false;  // the rest of a line longer than kMaxLine, already matched
  bool matched_ = false;
};

}  // namespace konnect
