#include "common/config/config_sockets.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>

namespace konnect::config_detail {
namespace {

constexpr std::string_view kAddressWhat =
    R"(an address such as "tcp://127.0.0.1:9090", "tcp://[::1]:9090", "tcp://*:9090" or "unix:/run/app.sock")";
constexpr std::string_view kEntryWhat = R"(an address string or a table { address = "...", name = "...", backlog = N, mode = "0660" })";

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// The host as inet_ntop writes it, so that "::0:1" and "::1" are one address; nullopt when
// `host` is no IP literal of that family.
std::optional<std::string> canonical_ip(const std::string& host, int family) {
  unsigned char raw[sizeof(in6_addr)];
  char text[INET6_ADDRSTRLEN];
  if (::inet_pton(family, host.c_str(), raw) != 1) return std::nullopt;
  if (::inet_ntop(family, raw, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

Result<SocketConfig> parse_address(const Field& f, const std::string& text) {
  SocketConfig s;
  if (text.rfind("unix:", 0) == 0) {
    s.kind = SocketConfig::Kind::Unix;
    std::filesystem::path path(text.substr(5));
    if (path.empty()) return f.error("a unix socket needs a path: \"unix:/run/app.sock\"");
    if (path.is_relative()) path = f.file->dir / path;
    s.path = path.lexically_normal();
    if (s.path.string().size() >= sizeof(sockaddr_un{}.sun_path)) {
      return f.error("unix socket path '" + s.path.string() + "' is too long (at most " +
                     std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)");
    }
    s.address = "unix:" + s.path.string();
    return s;
  }
  if (text.rfind("tcp://", 0) != 0) return f.expected(kAddressWhat);
  const std::string_view rest = std::string_view(text).substr(6);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) return f.error("no port in '" + text + "'; expected " + std::string(kAddressWhat));
  std::string host(rest.substr(0, colon));
  const auto port = parse_port(rest.substr(colon + 1));
  if (!port) return f.error("invalid port in '" + text + "'; expected a number from 1 to 65535");
  s.port = *port;
  if (host == "*") {
    s.address = "tcp://*:" + std::to_string(s.port);
    return s;
  }
  if (!host.empty() && host.front() == '[') {
    const bool closed = host.size() >= 2 && host.back() == ']';
    const auto ip = closed ? canonical_ip(host.substr(1, host.size() - 2), AF_INET6) : std::nullopt;
    if (!ip) return f.error("'" + host + "' in '" + text + "' is not an IPv6 address in brackets");
    s.host = *ip;
    s.address = "tcp://[" + s.host + "]:" + std::to_string(s.port);
    return s;
  }
  const auto ip = canonical_ip(host, AF_INET);
  if (!ip) {
    return f.error("'" + host + "' in '" + text +
                   "' is not an IP address; konnectd binds IP addresses only: an IPv4 address, "
                   "[an IPv6 address] or * for every address");
  }
  s.host = *ip;
  s.address = "tcp://" + s.host + ":" + std::to_string(s.port);
  return s;
}

// systemd's FileDescriptorName rules: printable ASCII without ':', at most 255 characters.
bool is_valid_fd_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == ':') return false;
  }
  return true;
}

Result<SocketConfig> read_entry(const Field& f, const std::string& program) {
  if (const auto* s = f.node->as_string()) {
    auto socket = parse_address(f, s->get());
    if (socket) socket->name = program;
    return socket;
  }
  const auto* t = f.node->as_table();
  if (!t) return f.expected(kEntryWhat);
  const auto* address = t->get("address");
  if (!address) return f.error("missing required key 'address'; expected " + std::string(kAddressWhat));
  const auto* text = address->as_string();
  if (!text) return f.child(*address, "address").expected(kAddressWhat);
  auto socket = parse_address(f.child(*address, "address"), text->get());
  if (!socket) return socket.error();
  socket->name = program;
  for (const auto& [k, v] : *t) {
    const Field value = f.child(v, k.str());
    if (k.str() == "address") continue;
    if (k.str() == "name") {
      const auto* name = v.as_string();
      if (!name || !is_valid_fd_name(name->get())) {
        return value.expected("a name of printable ASCII without spaces or ':', at most 255 characters");
      }
      socket->name = name->get();
    } else if (k.str() == "backlog") {
      auto backlog = read_int(value, 1, 65535);
      if (!backlog) return backlog.error();
      socket->backlog = static_cast<int>(*backlog);
    } else if (k.str() == "mode") {
      if (socket->kind != SocketConfig::Kind::Unix) return value.error("mode applies to unix sockets only");
      auto mode = read_umask(value);  // the same octal forms, 0 to 0777
      if (!mode) return value.expected(R"(an octal file mode such as "0660" or 0o660)");
      socket->mode = *mode;
    } else {
      return value.error("unknown key; accepted keys: address, name, backlog, mode");
    }
  }
  return socket;
}

}  // namespace

Result<std::vector<SocketConfig>> read_sockets(const Field& f, const std::string& program) {
  const auto* a = f.node->as_array();
  if (!a) return f.expected("an array of socket addresses or tables");
  if (a->size() > kMaxSockets) return f.error("at most " + std::to_string(kMaxSockets) + " sockets per program");
  std::vector<SocketConfig> out;
  for (const auto& member : *a) {
    const Field entry = f.child(member, "");
    auto socket = read_entry(entry, program);
    if (!socket) return socket.error();
    for (const auto& seen : out) {
      if (sockets_collide(seen, *socket)) {
        return entry.error(socket->address + " collides with " + seen.address + ", listed before it");
      }
    }
    out.push_back(std::move(*socket));
  }
  return out;
}

bool sockets_collide(const SocketConfig& a, const SocketConfig& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == SocketConfig::Kind::Unix) return a.path == b.path;
  return a.port == b.port && (a.host == b.host || a.host.empty() || b.host.empty());
}

const SocketConfig* probed_socket(const ProbeTarget& probe, const std::vector<SocketConfig>& sockets) {
  if (probe.kind != ProbeTarget::Kind::Http && probe.kind != ProbeTarget::Kind::Tcp) return nullptr;
  std::vector<std::string> hosts{probe.host};
  if (probe.host == "localhost") hosts = {"127.0.0.1", "::1"};
  for (const auto& s : sockets) {
    if (s.kind != SocketConfig::Kind::Tcp || s.port != probe.port) continue;
    if (s.host.empty()) return &s;
    for (const auto& h : hosts) {
      const auto ip = canonical_ip(h, h.find(':') == std::string::npos ? AF_INET : AF_INET6);
      if (ip && *ip == s.host) return &s;
    }
  }
  return nullptr;
}

Result<void> check_sockets(const Config& config) {
  for (std::size_t i = 0; i < config.programs.size(); ++i) {
    const ProgramConfig& later = config.programs[i];
    for (std::size_t j = 0; j < i; ++j) {
      const ProgramConfig& earlier = config.programs[j];
      for (const auto& mine : later.sockets) {
        for (const auto& theirs : earlier.sockets) {
          if (!sockets_collide(mine, theirs)) continue;
          Error e = make_error(ErrorCode::Config, mine.address + " collides with " + theirs.address +
                                                       " of program '" + earlier.name + "' (" + earlier.source_file +
                                                       ":" + std::to_string(earlier.sockets_line) +
                                                       "); a socket is held by one program");
          e.file = later.source_file;
          e.line = later.sockets_line;
          e.key = "program." + later.name + ".sockets";
          return e;
        }
      }
    }
  }
  return {};
}

}  // namespace konnect::config_detail
