#include "daemon/spawn/cgroup_tree.hpp"

#include "common/cgroup_path.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace konnect {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kDotName = "%2E";  // valid names never hold '%'

std::string errno_text(int err) { return std::strerror(err); }

// Writes `text` to an existing cgroupfs file; 0 or the errno.
int write_file(const fs::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : errno;
  ::close(fd);
  return err;
}

bool has_processes(const fs::path& cgroup) {
  const int fd = ::open((cgroup / "cgroup.procs").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char c;
  const bool any = ::read(fd, &c, 1) == 1;
  ::close(fd);
  return any;
}

bool delegated(const fs::path& cgroup) {
  for (const char* name : {"trusted.delegate", "user.delegate"}) {
    char value[8];
    const ssize_t n = ::getxattr(cgroup.c_str(), name, value, sizeof value);
    if (n == 1 && value[0] == '1') return true;
  }
  return false;
}

int make_dir(const fs::path& path) { return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST ? 0 : errno; }

// The directory name of a namespec: "." and ".." are valid program names but not
// directory names.
std::string dir_name(const std::string& namespec) {
  if (namespec != "." && namespec != "..") return namespec;
  return namespec == "." ? std::string(kDotName) : std::string(kDotName) + std::string(kDotName);
}

std::string namespec_of(std::string_view dir) {
  if (dir == kDotName) return ".";
  if (dir.size() == 2 * kDotName.size() && dir.substr(0, kDotName.size()) == kDotName) return "..";
  return std::string(dir);
}

std::vector<std::string> program_dirs(const fs::path& programs) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(programs.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_type == DT_DIR && entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

}  // namespace

Result<CgroupTree> CgroupTree::open(CgroupMode mode, std::string& why_not) {
  why_not.clear();
  if (mode == CgroupMode::Off) {
    why_not = "cgroups = \"off\"";
    return CgroupTree();
  }
  // Auto gives up quietly with a reason; On makes each reason an error.
  const auto unusable = [&](std::string reason) -> Result<CgroupTree> {
    if (mode == CgroupMode::On) {
      return make_error(ErrorCode::Failed, "cgroups = \"on\", but " + reason);
    }
    why_not = std::move(reason);
    return CgroupTree();
  };
  auto own = own_cgroup_dir();
  if (!own) return unusable(own.error().message);
  const fs::path base = *own;
  if (!fs::exists(base / "cgroup.kill")) {
    // The root cgroup has none; kernels before 5.14 have none anywhere.
    return unusable("cgroup " + base.string() + " has no cgroup.kill (the root cgroup, or Linux before 5.14)");
  }
  if (mode == CgroupMode::Auto && !delegated(base)) {
    return unusable("cgroup " + base.string() + " is not delegated to konnectd (systemd: Delegate=yes)");
  }
  if (const int err = make_dir(base / "supervisor"); err != 0) {
    return unusable("cannot create " + (base / "supervisor").string() + ": " + errno_text(err));
  }
  if (const int err = make_dir(base / "programs"); err != 0) {
    return unusable("cannot create " + (base / "programs").string() + ": " + errno_text(err));
  }
  if (const int err = write_file(base / "supervisor" / "cgroup.procs", std::to_string(::getpid())); err != 0) {
    return unusable("cannot move konnectd into " + (base / "supervisor").string() + ": " + errno_text(err));
  }
  return CgroupTree(base);
}

fs::path CgroupTree::program_path(const std::string& namespec) const { return base_ / "programs" / dir_name(namespec); }

fs::path CgroupTree::path_of(const std::string& namespec, unsigned instance) const {
  return program_path(namespec) / std::to_string(instance);
}

Result<int> CgroupTree::open_procs(const std::string& namespec, unsigned instance) {
  if (!enabled()) return -1;
  const fs::path dir = path_of(namespec, instance);
  for (const fs::path& d : {dir.parent_path(), dir}) {
    if (const int err = make_dir(d); err != 0) {
      return make_error(ErrorCode::SpawnError, "cannot create cgroup " + d.string() + ": " + errno_text(err));
    }
  }
  const int fd = ::open((dir / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::SpawnError,
                      "cannot open " + (dir / "cgroup.procs").string() + ": " + errno_text(errno));
  }
  return fd;
}

void CgroupTree::kill(const std::string& namespec, unsigned instance) {
  if (enabled()) write_file(path_of(namespec, instance) / "cgroup.kill", "1");
}

std::vector<std::string> CgroupTree::kill_leftovers() {
  std::vector<std::string> killed;
  if (!enabled()) return killed;
  for (const auto& name : program_dirs(base_ / "programs")) {
    const fs::path dir = base_ / "programs" / name;
    // cgroup.kill and "populated" cover the instances' cgroups below.
    bool any = has_processes(dir);
    for (const auto& instance : program_dirs(dir)) any = any || has_processes(dir / instance);
    if (!any) continue;
    write_file(dir / "cgroup.kill", "1");
    killed.push_back(namespec_of(name));
  }
  return killed;
}

int CgroupTree::open_events(const std::string& namespec) const {
  if (!enabled()) return -1;
  return ::open((program_path(namespec) / "cgroup.events").c_str(), O_RDONLY | O_CLOEXEC);
}

bool CgroupTree::populated(int events_fd) {
  // "populated 0|1\nfrozen 0|1\n". Reading also tells kernfs that this event was seen, so
  // the next change reports POLLPRI again.
  char buf[128];
  if (::lseek(events_fd, 0, SEEK_SET) < 0) return false;
  const ssize_t n = ::read(events_fd, buf, sizeof buf);
  if (n <= 0) return false;
  return std::string_view(buf, static_cast<std::size_t>(n)).find("populated 1") != std::string_view::npos;
}

std::vector<std::string> CgroupTree::wait_empty(const std::vector<std::string>& namespecs,
                                                std::chrono::milliseconds limit) const {
  // One after the other, against one deadline: they all died at the same moment.
  std::vector<std::string> still;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (const auto& namespec : namespecs) {
    pollfd events{open_events(namespec), POLLPRI, 0};
    if (events.fd < 0) continue;
    while (populated(events.fd)) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || (::poll(&events, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)) {
        still.push_back(namespec);
        break;
      }
    }
    ::close(events.fd);
  }
  return still;
}

void CgroupTree::remove_empty() {
  if (!enabled()) return;
  for (const auto& name : program_dirs(base_ / "programs")) {
    const fs::path dir = base_ / "programs" / name;
    for (const auto& instance : program_dirs(dir)) ::rmdir((dir / instance).c_str());
    ::rmdir(dir.c_str());
  }
}

}  // namespace konnect
