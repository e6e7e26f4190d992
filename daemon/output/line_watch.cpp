#include "daemon/output/line_watch.hpp"

namespace konnect {

bool LineWatch::match_line(std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::regex_search(line.begin(), line.end(), *pattern_);
}

bool LineWatch::feed(std::string_view data) {
  while (!matched_ && !data.empty()) {
    const auto nl = data.find('\n');
    const std::string_view piece = data.substr(0, nl);
    if (skipping_) {
      if (nl == std::string_view::npos) return false;
      skipping_ = false;
    } else if (nl != std::string_view::npos) {
      if (partial_.empty()) {
        matched_ = match_line(piece);
      } else {
        partial_.append(piece.substr(0, kMaxLine - partial_.size()));
        matched_ = match_line(partial_);
        partial_.clear();
      }
    } else {
      partial_.append(piece.substr(0, kMaxLine - partial_.size()));
      if (partial_.size() == kMaxLine) {
        matched_ = match_line(partial_);
        partial_.clear();
        skipping_ = true;
      }
      return matched_;
    }
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  return matched_;
}

}  // namespace konnect
