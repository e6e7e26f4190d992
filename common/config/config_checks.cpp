// ready = {...} and health = {...} of a [program.NAME] table -> ReadyCheck / HealthCheck
// (SPEC.md "Readiness, health, order"). Each table names exactly one probe kind; every other
// key is a limit with a default.

#include "common/config/config_checks.hpp"

#include <algorithm>
#include <charconv>
#include <regex>

namespace konnect::config_detail {
namespace {

constexpr std::string_view kAddressWhat = R"(an address such as "127.0.0.1:9090", "[::1]:9090" or "localhost:9090")";
constexpr std::string_view kUrlWhat = R"(an http:// URL such as "http://127.0.0.1:9090/")";

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "host:port", "[v6]:port"; with default_port, the port may be left out.
bool parse_authority(std::string_view s, ProbeTarget& out, std::optional<std::uint16_t> default_port) {
  std::string_view host;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(1, close - 1);
    rest = s.substr(close + 1);
  } else {
    const auto colon = s.rfind(':');
    host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    if (host.find(':') != std::string_view::npos) return false;  // a bare IPv6 address needs brackets
  }
  if (host.empty()) return false;
  if (rest.empty()) {
    if (!default_port) return false;
    out.port = *default_port;
  } else {
    if (rest.front() != ':') return false;
    auto port = parse_port(rest.substr(1));
    if (!port) return false;
    out.port = *port;
  }
  out.host = std::string(host);
  return true;
}

Result<ProbeTarget> read_probe(const Field& f, ProbeTarget::Kind kind) {
  ProbeTarget p;
  p.kind = kind;
  switch (kind) {
    case ProbeTarget::Kind::Tcp: {
      auto s = read_string(f);
      if (!s) return s.error();
      p.text = *s;
      if (!parse_authority(*s, p, std::nullopt)) return f.expected(kAddressWhat);
      return p;
    }
    case ProbeTarget::Kind::Http: {
      auto s = read_string(f);
      if (!s) return s.error();
      p.text = *s;
      std::string_view url(*s);
      if (url.starts_with("https://")) {
        return f.error("https is not supported by the probe; check the plain HTTP port, e.g. \"http://127.0.0.1:9090/\"");
      }
      if (!url.starts_with("http://")) return f.expected(kUrlWhat);
      url.remove_prefix(7);
      const auto slash = url.find_first_of("/?");
      const std::string_view authority = url.substr(0, slash);
      p.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
      if (p.path.front() == '?') p.path.insert(0, "/");
      if (authority.find('@') != std::string_view::npos || !parse_authority(authority, p, 80)) {
        return f.expected(kUrlWhat);
      }
      for (char c : p.path) {
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return f.error("the URL must not contain spaces or control characters");
      }
      return p;
    }
    case ProbeTarget::Kind::Exec: {
      auto argv = read_command(f);
      if (!argv) return argv.error();
      p.command = std::move(*argv);
      return p;
    }
    case ProbeTarget::Kind::Log: {
      auto s = read_string(f);
      if (!s) return s.error();
      if (s->size() > 1024) return f.error("the pattern is too long (" + std::to_string(s->size()) + " characters; 1024 at most)");
      try {
        std::regex check(*s, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return f.error(std::string("not a valid regular expression (ECMAScript): ") + e.what());
      }
      p.text = *s;
      return p;
    }
    case ProbeTarget::Kind::Notify: {
      const auto* b = f.node->as_boolean();
      if (!b || !b->get()) return f.expected("true (the program sends READY=1 to $NOTIFY_SOCKET)");
      return p;
    }
  }
  return f.error("unknown probe");
}

struct Kinds {
  std::vector<std::pair<std::string_view, ProbeTarget::Kind>> list;
  std::string names() const {
    std::vector<std::string_view> out;
    for (const auto& [name, kind] : list) out.push_back(name);
    return join(out);
  }
};

const Kinds kReadyKinds{{{"http", ProbeTarget::Kind::Http},
                         {"tcp", ProbeTarget::Kind::Tcp},
                         {"exec", ProbeTarget::Kind::Exec},
                         {"log", ProbeTarget::Kind::Log},
                         {"notify", ProbeTarget::Kind::Notify}}};
const Kinds kHealthKinds{{{"http", ProbeTarget::Kind::Http}, {"tcp", ProbeTarget::Kind::Tcp}, {"exec", ProbeTarget::Kind::Exec}}};

// Reads the one probe of the table; `limit` reads every other key (false: not a limit key).
template <class Limit>
Result<ProbeTarget> read_check_table(const Field& f, const Kinds& kinds, std::string_view limit_keys, Limit limit) {
  const auto* table = f.node->as_table();
  const std::string accepted = kinds.names() + ", " + std::string(limit_keys);
  if (!table) return f.expected("an inline table such as { tcp = \"127.0.0.1:9090\" } with one of " + kinds.names());
  std::optional<ProbeTarget> probe;
  std::string probe_key;
  for (const auto& [k, v] : *table) {
    const std::string key(k.str());  // (clang 14 cannot capture a structured binding)
    Field value = f.child(v, key);
    const auto kind = std::find_if(kinds.list.begin(), kinds.list.end(),
                                    [&](const auto& entry) { return entry.first == key; });
    if (kind != kinds.list.end()) {
      if (probe) {
        return value.error("only one check per table: '" + probe_key + "' is set already; choose one of " +
                           kinds.names());
      }
      auto p = read_probe(value, kind->second);
      if (!p) return p.error();
      probe = std::move(*p);
      probe_key = k.str();
      continue;
    }
    auto known = limit(k.str(), value);
    if (!known) return value.error("unknown key; accepted keys: " + accepted);
    if (!*known) return known->error();
  }
  if (!probe) return f.error("missing the check; expected one of " + kinds.names());
  return *probe;
}

// A positive duration.
Result<void> read_positive(const Field& f, Duration& out) {
  auto d = read_duration(f);
  if (!d) return d.error();
  if (d->count() <= 0) return f.error("must be more than 0");
  out = *d;
  return {};
}

}  // namespace

Result<ReadyCheck> read_ready(const Field& f) {
  ReadyCheck check;
  auto probe = read_check_table(f, kReadyKinds, "timeout, interval, probe_timeout",
                                [&](std::string_view key, const Field& v) -> std::optional<Result<void>> {
                                  if (key == "timeout") return read_positive(v, check.timeout);
                                  if (key == "interval") return read_positive(v, check.interval);
                                  if (key == "probe_timeout") return read_positive(v, check.probe_timeout);
                                  return std::nullopt;
                                });
  if (!probe) return probe.error();
  check.probe = std::move(*probe);
  return check;
}

Result<Duration> read_watchdog(const Field& f) {
  Duration d{0};
  if (auto r = read_positive(f, d); !r) return r.error();
  if (d < std::chrono::milliseconds(100)) return f.error("must be at least 100ms");
  return d;
}

Result<HealthCheck> read_health(const Field& f) {
  HealthCheck check;
  auto probe = read_check_table(f, kHealthKinds, "interval, timeout, failures",
                                [&](std::string_view key, const Field& v) -> std::optional<Result<void>> {
                                  if (key == "interval") return read_positive(v, check.interval);
                                  if (key == "timeout") return read_positive(v, check.timeout);
                                  if (key == "failures") {
                                    auto n = read_int(v, 1, 1000);
                                    if (!n) return n.error();
                                    check.failures = static_cast<int>(*n);
                                    return Result<void>{};
                                  }
                                  return std::nullopt;
                                });
  if (!probe) return probe.error();
  check.probe = std::move(*probe);
  return check;
}

Result<StopPrelude> read_stop_prelude(const Field& f) {
  const auto* table = f.node->as_table();
  if (!table) return f.expected(R"(an inline table such as { signal = "TSTP", wait = "200ms" })");
  StopPrelude prelude;
  bool has_signal = false;
  for (const auto& [k, v] : *table) {
    const std::string key(k.str());
    Field value = f.child(v, key);
    if (key == "signal") {
      auto s = read_signal(value);
      if (!s) return s.error();
      prelude.signal = *s;
      has_signal = true;
    } else if (key == "wait") {
      if (auto r = read_positive(value, prelude.wait); !r) return r.error();
      if (prelude.wait > std::chrono::seconds(60)) return value.error("must be at most 60s");
    } else {
      return value.error("unknown key; accepted keys: signal, wait");
    }
  }
  if (!has_signal) return f.error("missing the signal, such as { signal = \"TSTP\" }");
  return prelude;
}

}  // namespace konnect::config_detail
