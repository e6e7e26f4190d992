#include "daemon/control_server.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

// True if something accepts connections at path (another konnectd).
bool someone_listens(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

ControlServer::ControlServer(boost::asio::any_io_executor executor, RequestHandler& handler)
    : acceptor_(std::move(executor)), handler_(handler) {}

ControlServer::~ControlServer() { stop(); }

Result<void> ControlServer::listen(const std::filesystem::path& path) {
  using boost::asio::local::stream_protocol;
  if (path.string().size() >= sizeof(sockaddr_un::sun_path)) {
    return make_error(ErrorCode::Io, "socket path '" + path.string() + "' is too long");
  }
  std::error_code fs_ec;
  std::filesystem::create_directories(path.parent_path(), fs_ec);
  if (fs_ec) {
    return make_error(ErrorCode::Io, "cannot create directory '" + path.parent_path().string() +
                                         "': " + fs_ec.message());
  }
  if (std::filesystem::exists(std::filesystem::symlink_status(path))) {
    if (someone_listens(path)) {
      return make_error(ErrorCode::Io, "another konnectd is already listening on '" + path.string() + "'");
    }
    ::unlink(path.c_str());
  }
  boost::system::error_code ec;
  acceptor_.open(stream_protocol(), ec);
  if (!ec) acceptor_.bind(stream_protocol::endpoint(path.string()), ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::Io, "cannot listen on '" + path.string() + "': " + ec.message());
  }
  ::chmod(path.c_str(), 0660);
  path_ = path;
  do_accept();
  return {};
}

void ControlServer::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec,
                                boost::asio::local::stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto conn = std::make_shared<Connection>(std::move(socket), handler_,
                                               [this](Connection* c) { connections_.erase(c); });
      connections_.emplace(conn.get(), conn);
      conn->start();
    } else {
      spdlog::warn("Failed to accept a control connection: {}", ec.message());
    }
    do_accept();
  });
}

void ControlServer::stop_accepting() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void ControlServer::stop() {
  stop_accepting();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [ptr, conn] : connections) conn->stop_after_flush();
  if (!path_.empty()) {
    ::unlink(path_.c_str());
    path_.clear();
  }
}

}  // namespace konnect
