#include "daemon/http/http_request.hpp"

namespace konnect {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void apply_limits(HttpRequestParser& parser, const HttpLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
  parser.body_limit(limits.body_bytes);
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_loopback_host(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = name.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    return name.substr(1, close - 1) == "::1";
  }
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos) name = name.substr(0, colon);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "localhost") return true;
  // 127.0.0.0/8, dotted: four numbers, the first 127.
  int parts = 0;
  std::size_t pos = 0;
  while (pos <= lower.size()) {
    const std::size_t dot = std::min(lower.find('.', pos), lower.size());
    const std::string_view part = std::string_view(lower).substr(pos, dot - pos);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string_view::npos) return false;
    if (parts == 0 && part != "127") return false;
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    pos = dot + 1;
  }
  return parts == 4;
}

HttpRoute route_of(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  HttpRoute route;
  if (path == "/" || path == "/index.html") {
    route.kind = HttpRoute::Kind::Page;
  } else if (path == "/events") {
    route.kind = HttpRoute::Kind::Events;
  } else if (path == "/RPC2") {
    route.kind = HttpRoute::Kind::Rpc;
  } else if (path == "/api") {
    route.kind = HttpRoute::Kind::Api;
  } else if (path == "/metrics") {
    route.kind = HttpRoute::Kind::Metrics;
  } else if (path == "/mainlogtail") {
    route.kind = HttpRoute::Kind::MainLogTail;
  } else if (constexpr std::string_view prefix = "/logtail/"; path.substr(0, prefix.size()) == prefix) {
    std::string rest = url_decode(path.substr(prefix.size()));
    std::string stream = "stdout";
    if (const auto slash = rest.rfind('/'); slash != std::string::npos) {
      stream = rest.substr(slash + 1);
      rest.resize(slash);
    }
    if (!rest.empty() && (stream == "stdout" || stream == "stderr")) {
      route.kind = HttpRoute::Kind::LogTail;
      route.name = std::move(rest);
      route.stream = std::move(stream);
    }
  }
  return route;
}

}  // namespace konnect
