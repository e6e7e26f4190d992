// read_socket_setting(): konnectctl -c FILE needs only `[konnectd] socket`. Apart from the
// loader so the client links neither program tables nor account lookups.

#include "common/config/config_loader.hpp"
#include "common/config/config_values.hpp"
#include "common/config/supervisord_config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace konnect {

namespace fs = std::filesystem;
using config_detail::config_error;
using config_detail::FileInfo;
using config_detail::make_field;

Result<fs::path> read_socket_setting(const fs::path& file) {
  std::error_code ec;
  const fs::path path = fs::absolute(file, ec).lexically_normal();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Error e = make_error(ErrorCode::Config, std::string("cannot read: ") + std::strerror(errno));
    e.file = path.string();
    return e;
  }
  std::stringstream text;
  text << in.rdbuf();
  const FileInfo info{path.string(), path.parent_path()};
  if (config_detail::is_supervisord_file(path)) {
    // A supervisord main file: [unix_http_server] file, with its %(here)s and %(ENV_X)s.
    DaemonConfig daemon;
    auto ini = config_detail::read_supervisord_file(text.str(), info, /*is_main=*/true, daemon);
    if (!ini) return ini.error();
    return daemon.socket;
  }
  toml::table root;
  try {
    root = toml::parse(text.str(), info.name);
  } catch (const toml::parse_error& e) {
    return config_error(info, static_cast<int>(e.source().begin.line), "",
                        "TOML syntax error: " + std::string(e.description()));
  }
  const toml::node* socket = root.at_path("konnectd.socket").node();
  if (socket == nullptr) return DaemonConfig{}.socket;
  return config_detail::read_path(make_field(*socket, info, "konnectd.socket", 0));
}

}  // namespace konnect
