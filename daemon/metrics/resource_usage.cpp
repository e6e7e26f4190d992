#include "daemon/metrics/resource_usage.hpp"

#include "daemon/system/small_file.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace konnect {
namespace {

std::optional<std::string> slurp(const std::filesystem::path& path) { return read_small_file(path.string()); }

std::optional<std::uint64_t> number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

// The value of "key N" in a flat-keyed file such as cpu.stat.
std::optional<std::uint64_t> keyed(std::string_view text, std::string_view key) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      return number(line.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return std::nullopt;
}

// /proc/PID/stat's fields after "(comm)", which may itself hold spaces and parentheses:
// field 3 (state) is the first of them.
bool parse_stat(std::string_view stat, pid_t& ppid, std::uint64_t& ticks, std::uint64_t& children_ticks,
                std::uint64_t& rss_pages) {
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return false;
  std::string_view rest = stat.substr(close + 1);
  std::uint64_t fields[25] = {};
  int field = 3;
  while (!rest.empty() && field <= 24) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const std::size_t end = std::min(rest.find(' '), rest.size());
    if (field > 3) {
      auto v = number(rest.substr(0, end));
      // rss may be negative in theory; anything unreadable is 0.
      fields[field] = v.value_or(0);
    }
    rest.remove_prefix(end);
    ++field;
  }
  if (field <= 24) return false;
  ppid = static_cast<pid_t>(fields[4]);
  ticks = fields[14] + fields[15];
  children_ticks = fields[16] + fields[17];
  rss_pages = fields[24];
  return true;
}

}  // namespace

Usage cgroup_usage(const std::filesystem::path& cgroup) {
  Usage u;
  if (auto stat = slurp(cgroup / "cpu.stat")) {
    if (auto usec = keyed(*stat, "usage_usec")) u.cpu_seconds = static_cast<double>(*usec) / 1e6;
  }
  if (auto current = slurp(cgroup / "memory.current")) u.memory_bytes = number(*current);
  return u;
}

ProcessTree ProcessTree::read(const std::filesystem::path& proc) {
  ProcessTree tree;
  tree.ticks_per_second_ = std::max(::sysconf(_SC_CLK_TCK), 1L);
  tree.page_size_ = std::max(::sysconf(_SC_PAGESIZE), 1L);
  std::error_code ec;
  for (std::filesystem::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    pid_t pid = 0;
    const auto [p, perr] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (perr != std::errc() || p != name.data() + name.size() || pid <= 0) continue;
    const auto stat = slurp(it->path() / "stat");
    if (!stat) continue;  // gone meanwhile
    Entry e;
    if (!parse_stat(*stat, e.ppid, e.ticks, e.children_ticks, e.rss_pages)) continue;
    tree.entries_.emplace(pid, e);
    tree.children_[e.ppid].push_back(pid);
  }
  return tree;
}

Usage ProcessTree::usage_of(pid_t root) const {
  const auto it = entries_.find(root);
  if (it == entries_.end()) return {};
  std::uint64_t ticks = 0;
  std::uint64_t pages = 0;
  std::vector<pid_t> todo{root};
  // Read at different instants, a reused pid could make a loop: each entry counts once.
  std::size_t budget = entries_.size();
  while (!todo.empty() && budget-- > 0) {
    const pid_t pid = todo.back();
    todo.pop_back();
    const auto e = entries_.find(pid);
    if (e == entries_.end()) continue;
    // Its own time, and its children's that it waited for: a job a shell in the tree ran and
    // reaped stays counted.
    ticks += e->second.ticks + e->second.children_ticks;
    pages += e->second.rss_pages;
    if (const auto c = children_.find(pid); c != children_.end()) todo.insert(todo.end(), c->second.begin(), c->second.end());
  }
  return {static_cast<double>(ticks) / static_cast<double>(ticks_per_second_),
          pages * static_cast<std::uint64_t>(page_size_)};
}

}  // namespace konnect
