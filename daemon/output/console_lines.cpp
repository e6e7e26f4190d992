#include "daemon/output/console_lines.hpp"

#include "common/time_text.hpp"

#include <ctime>

namespace konnect {

ConsoleLines::ConsoleLines(std::string label, bool timestamps)
    : prefix_(std::move(label) + " | "), timestamps_(timestamps) {}

void ConsoleLines::feed(std::string_view data, std::string& out) {
  while (!data.empty()) {
    const auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      // No end yet: keep it, in pieces of kMaxLine at most.
      while (partial_.size() + data.size() > kMaxLine) {
        const std::size_t take = kMaxLine - partial_.size();
        partial_.append(data.substr(0, take));
        data.remove_prefix(take);
        finish(out);
      }
      partial_.append(data);
      return;
    }
    const std::string_view rest = data.substr(0, nl);
    if (partial_.empty() && rest.size() <= kMaxLine) {
      emit(rest, out);  // the common case: a whole line in one read, copied once
    } else {
      feed(rest, out);  // cuts what is too long
      finish(out);
    }
    data.remove_prefix(nl + 1);
  }
}

void ConsoleLines::finish(std::string& out) {
  if (partial_.empty()) return;
  emit(partial_, out);
  partial_.clear();
}

void ConsoleLines::emit(std::string_view line, std::string& out) {
  out.append(prefix_);
  if (timestamps_) {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    out.append(utc_text(std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000));
    out.push_back(' ');
  }
  out.append(line);
  out.push_back('\n');
}

}  // namespace konnect
