#include "daemon/output/log_tail.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

// The last max bytes of path; empty when it does not exist.
Result<std::string> last_bytes(const std::filesystem::path& path, std::size_t max) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return make_error(ErrorCode::Io, "cannot read '" + path.string() + "': " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
  const std::size_t n = std::min(size, max);
  out.resize(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(size - n + got));
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
  auto text = last_bytes(file, max_bytes);
  if (!text) return text;
  if (count_lines(*text) < lines && text->size() < max_bytes) {
    auto older = last_bytes(file.string() + ".1", max_bytes - text->size());
    if (older && !older->empty()) {
      *text = *older + *text;
    }
  }
  return std::string(last_lines(*text, lines));
}

}  // namespace konnect
