#include "common/cgroup_path.hpp"

#include <fstream>
#include <sstream>

namespace konnect {
namespace {

std::string read_whole(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The next line of text (without its newline), consumed.
std::string_view next_line(std::string_view& text) {
  const auto nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return line;
}

}  // namespace

std::optional<std::filesystem::path> cgroup2_mount(std::string_view mountinfo) {
  // "36 25 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw": the fifth field
  // is the mount point, the first after " - " the file system type.
  while (!mountinfo.empty()) {
    const std::string_view line = next_line(mountinfo);
    const auto dash = line.find(" - ");
    if (dash == std::string_view::npos || line.substr(dash + 3, 8) != "cgroup2 ") continue;
    std::istringstream fields{std::string(line.substr(0, dash))};
    std::string id, parent, device, root, mount_point;
    if (fields >> id >> parent >> device >> root >> mount_point && root == "/") return mount_point;
  }
  return std::nullopt;
}

std::optional<std::string> unified_cgroup(std::string_view proc_cgroup) {
  while (!proc_cgroup.empty()) {
    const std::string_view line = next_line(proc_cgroup);
    if (line.substr(0, 3) == "0::" && line.size() > 3) return std::string(line.substr(3));
  }
  return std::nullopt;
}

Result<std::filesystem::path> own_cgroup_dir() {
  const auto mount = cgroup2_mount(read_whole("/proc/self/mountinfo"));
  if (!mount) return make_error(ErrorCode::Failed, "no cgroup2 file system is mounted");
  const auto path = unified_cgroup(read_whole("/proc/self/cgroup"));
  if (!path || path->front() != '/') {
    return make_error(ErrorCode::Failed, "/proc/self/cgroup names no cgroup v2 path");
  }
  return *mount / path->substr(1);
}

}  // namespace konnect
