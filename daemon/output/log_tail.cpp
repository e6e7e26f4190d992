#include "daemon/output/log_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace konnect {
namespace {

// Up to max bytes of path: its last ones (offset nullopt), or from offset on ("" past its
// end). "" when it does not exist.
Result<std::string> read_bytes(const std::filesystem::path& path, std::optional<std::uint64_t> offset,
                               std::size_t max) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return make_error(ErrorCode::Io, "cannot read '" + path.string() + "': " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0));
  const std::uint64_t from = offset ? std::min(*offset, size) : size - std::min<std::uint64_t>(size, max);
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(size - from, max));
  out.resize(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(from + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

std::size_t count_lines(std::string_view text) {
  if (text.empty()) return 0;
  const auto n = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return text.back() == '\n' ? n : n + 1;
}

}  // namespace

std::string_view last_lines(std::string_view text, std::size_t lines) {
  if (lines == 0) return {};
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;  // the final newline ends the last line
  std::size_t pos = end;
  for (std::size_t seen = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++seen == lines) break;
  }
  return text.substr(pos);
}

Result<std::string> read_tail(const std::filesystem::path& file, std::size_t lines, std::size_t max_bytes) {
  auto text = read_bytes(file, std::nullopt, max_bytes);
  if (!text) return text;
  if (count_lines(*text) < lines && text->size() < max_bytes) {
    auto older = read_bytes(file.string() + ".1", std::nullopt, max_bytes - text->size());
    if (older && !older->empty()) {
      *text = *older + *text;
    }
  }
  return std::string(last_lines(*text, lines));
}

Result<std::string> read_range(const std::filesystem::path& file, std::uint64_t offset, std::size_t max_bytes) {
  return read_bytes(file, offset, max_bytes);
}

}  // namespace konnect
