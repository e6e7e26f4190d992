#include "daemon/control/control_server.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <vector>

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
    : acceptor_(executor), retry_timer_(executor), handler_(handler), refusals_(executor, spdlog::level::warn, "Refused more control connections"),
      reduced_access_(executor, spdlog::level::info, "More control clients with less than full access") {}

ControlServer::~ControlServer() { stop(); }

Result<void> ControlServer::listen(const std::filesystem::path& path, AccessPolicy policy, ClientLimits limits) {
  policy_ = policy;
  idle_timeout_ = limits.idle_timeout;
  pool_.set_max_per_user(limits.max_per_user);
  using boost::asio::local::stream_protocol;
  if (path.string().size() >= sizeof(sockaddr_un::sun_path)) {
    return make_error(ErrorCode::Io, "socket path '" + path.string() + "' is too long");
  }
  std::error_code fs_ec;
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  const mode_t old_umask = ::umask(022);  // a directory we create: 0755
  std::filesystem::create_directories(dir, fs_ec);
  ::umask(old_umask);
  if (fs_ec) {
    return make_error(ErrorCode::Io, "cannot create directory '" + dir.string() + "': " + fs_ec.message());
  }
  struct stat dst{};
  if (::stat(dir.c_str(), &dst) != 0) {
    return make_error(ErrorCode::Io, "cannot stat '" + dir.string() + "': " + std::strerror(errno));
  }
  if ((dst.st_uid != 0 && dst.st_uid != ::geteuid()) || (dst.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(dst.st_mode & 07777));
    return make_error(ErrorCode::Io, "the socket's directory '" + dir.string() + "' (mode " + mode + ", owner uid " +
                                         std::to_string(dst.st_uid) +
                                         ") is writable by others than root: anyone who can write it could put "
                                         "their own socket there; use a directory such as /run/konnect (mode 0755)");
  }
  if (const auto st = std::filesystem::symlink_status(path); std::filesystem::exists(st)) {
    if (st.type() != std::filesystem::file_type::socket) {
      return make_error(ErrorCode::Io, "'" + path.string() + "' exists and is not a socket");
    }
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
  if (policy_.socket_gid() && ::geteuid() == 0 && ::chown(path.c_str(), 0, *policy_.socket_gid()) != 0) {
    return make_error(ErrorCode::Io, "cannot give '" + path.string() + "' to its socket_group: " + std::strerror(errno));
  }
  ::chmod(path.c_str(), policy_.has_read_only_group() ? 0666 : 0660);
  path_ = path;
  do_accept();
  return {};
}

void ControlServer::do_accept() {
  // Always accepting: whoever gets no slot is refused with an answer, rather than left in
  // the listen backlog where a flood of idle connections would keep root waiting.
  if (accepting_ || paused_ || !acceptor_.is_open()) return;
  accepting_ = true;
  acceptor_.async_accept([this](const boost::system::error_code& ec,
                                boost::asio::local::stream_protocol::socket socket) {
    accepting_ = false;
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec == boost::asio::error::no_descriptors || ec.value() == ENFILE) {
      // Out of fds: the client stays in the backlog and epoll would report it at once
      // again. Pause instead of spinning.
      spdlog::warn("Failed to accept a control connection: {}; pausing accepts for 100 ms", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](const boost::system::error_code& e) {
        if (!e) do_accept();
      });
      return;
    }
    if (!ec) {
      admit(std::move(socket));
    } else {
      spdlog::warn("Failed to accept a control connection: {}", ec.message());
    }
    do_accept();
  });
}

void ControlServer::admit(boost::asio::local::stream_protocol::socket socket) {
  ucred cred{};
  socklen_t len = sizeof cred;
  PeerCredentials peer{0, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
  const bool known = ::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  if (known) peer = PeerCredentials{cred.pid, cred.uid, cred.gid};
  auto conn = std::make_shared<Connection>(
      std::move(socket), handler_, [this](Connection* c) { connections_.erase(c); }, idle_timeout_, http_);
  std::weak_ptr<Connection> weak = conn;
  auto admission = pool_.admit(PeerKey{peer.uid, known && policy_.is_privileged(peer)}, [this, weak] {
    if (auto c = weak.lock()) {
      c->evict(make_error(ErrorCode::TooManyClients,
                          "closed to make room for another client: konnectd serves at most " +
                              std::to_string(pool_.limits().max_clients) +
                              " at once, and this connection sent no complete request"));
    }
  });
  if (const auto* refusal = std::get_if<ClientPool::Refusal>(&admission)) {
    std::string why;
    if (*refusal == ClientPool::Refusal::UserLimit) {
      why = "too many connections from uid " + std::to_string(peer.uid) + ": it has " +
            std::to_string(pool_.held_by(peer.uid)) + " open, the most one user may have ([konnectd] client_max_per_user)";
    } else {
      why = "too many clients: all " + std::to_string(pool_.size()) + " connections are busy with requests";
    }
    log_throttled(refusals_, peer, "Refused a control connection from " + describe_peer(peer) + ": " + why);
    conn->refuse(make_error(ErrorCode::TooManyClients, why));
    return;
  }
  Access access = known ? policy_.decide(peer) : Access::None;
  if (access != Access::Full) {
    log_throttled(reduced_access_, peer,
                  "Control client " + describe_peer(peer) + " may " + (access == Access::None ? "do nothing" : "only read"));
  }
  connections_.emplace(conn.get(), conn);
  conn->start(std::move(std::get<ClientPool::Slot>(admission)), access);
}

void ControlServer::ThrottledLog::flush() {
  const auto s = throttle.take_summary();
  if (s.total > 0) spdlog::log(level, "{} in the last 10 s: {} ({})", summary, s.total, s.by_key);
}

void ControlServer::log_throttled(ThrottledLog& log, const PeerCredentials& peer, const std::string& line) {
  switch (log.throttle.note("uid " + std::to_string(peer.uid), LogThrottle::Clock::now())) {
    case LogThrottle::Verdict::Log:
      spdlog::log(log.level, "{}", line);
      return;
    case LogThrottle::Verdict::SuppressedFirst:
      log.timer.expires_at(log.throttle.window_end());
      log.timer.async_wait([&log](const boost::system::error_code& ec) {
        if (!ec) log.flush();
      });
      return;
    case LogThrottle::Verdict::Suppressed:
      return;
  }
}

int ControlServer::pause_for_handover() {
  paused_ = true;
  boost::system::error_code ec;
  acceptor_.cancel(ec);  // the pending accept ends with operation_aborted
  return acceptor_.native_handle();
}

void ControlServer::resume_accepting() {
  paused_ = false;
  do_accept();
}

void ControlServer::adopt(int fd, const std::filesystem::path& path, AccessPolicy policy, ClientLimits limits) {
  policy_ = policy;
  idle_timeout_ = limits.idle_timeout;
  pool_.set_max_per_user(limits.max_per_user);
  boost::system::error_code ec;
  acceptor_.assign(boost::asio::local::stream_protocol(), fd, ec);
  path_ = path;
  do_accept();
}

void ControlServer::stop_accepting() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  retry_timer_.cancel();
  for (ThrottledLog* log : {&refusals_, &reduced_access_}) {
    log->timer.cancel();
    log->flush();  // nothing held back is lost at shutdown
  }
}

void ControlServer::stop() {
  stop_accepting();
  auto connections = std::move(connections_);
  connections_.clear();
  // Answers already queued (the shutdown request's own) get a moment to go out; a client
  // that does not read them must not keep the daemon alive.
  std::vector<std::shared_ptr<Connection>> flushing;
  for (auto& [ptr, conn] : connections) {
    if (!conn->stop_after_flush()) flushing.push_back(conn);
  }
  if (!flushing.empty()) {
    auto timer = std::make_shared<boost::asio::steady_timer>(retry_timer_.get_executor());
    timer->expires_after(std::chrono::seconds(1));
    timer->async_wait([timer, flushing](const boost::system::error_code&) {
      for (auto& conn : flushing) conn->stop();
    });
  }
  if (!path_.empty()) {
    ::unlink(path_.c_str());
    path_.clear();
  }
}

}  // namespace konnect
