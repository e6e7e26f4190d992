// konnect-testchild: a small, scriptable program for konnect's tests to supervise.
// Options run in order given; with no --exit it then sleeps until a signal ends it.
//   --print TEXT        write TEXT and a newline to stdout
//   --stderr TEXT       write TEXT and a newline to stderr
//   --env NAME          print NAME=value of an environment variable (or NAME unset)
//   --cwd               print cwd=DIR
//   --creds             print uid=R,E,S gid=R,E,S groups=G1,G2,... (real, effective, saved)
//   --umask             print umask=0NNN
//   --sleep MS          sleep MS milliseconds
//   --ignore-term       ignore SIGTERM
//   --term-exit CODE    exit with CODE on SIGTERM
//   --fork N            fork N children that sleep (same process group)
//   --escape            fork a grandchild that calls setsid() and sleeps, parent of it exits
//   --escape-bare       the same, and the grandchild then execs itself with an empty
//                       environment (no KONNECT_SPAWN_ID, no test tag: kill it by pid)
//   --lock PATH         take an exclusive flock of PATH (created), held by forked children
//                       too; exit 75 at once if another process holds it
//   --fork-hog MB       fork a child that writes to MB MiB of its own memory, then sleeps:
//                       after SIGKILL, its exit takes a while (the memory is freed first)
//   --pidfile PATH      write "PID\n" (and each forked descendant's pid, one a line) to PATH
//   --exit CODE         exit with CODE now
//   --kill-self SIG     raise signal SIG
//   --lines N           write "line 000000\n" .. "line N-1\n" to stdout
//   --lines-for MS      write "line 000000\n", "line 000001\n", ... to stdout as fast as it can
//                       for MS milliseconds, then "done N\n" (N: how many lines it wrote)
//   --raw TEXT          write TEXT to stdout as is, "\n" in TEXT meaning a newline
//   --on-usr1 TEXT      from now on, write TEXT and a newline to stdout on every SIGUSR1
//   --hold SOCKET IDLE HALF [--renew]
//                       a hostile control client: IDLE connections to SOCKET that send
//                       nothing and HALF that send a request slowly, a byte every 100 ms,
//                       never ending it; prints "held N" once all are made, then keeps
//                       them (and never returns). With --renew, each one the daemon closes
//                       is made again at once. Prints "told" for each of the first 1000
//                       TOO_MANY_CLIENTS answers; other answers are read and dropped.
//                       The HALF connections are made first.
//   --notify TEXT       send TEXT ("\n" in it meaning a newline) as one datagram to
//                       $NOTIFY_SOCKET (sd_notify)
//   --notify-child TEXT the same from a forked child, which exits 500 ms later (a descendant)
//   --notify-every MS TEXT  from now on, send TEXT every MS milliseconds (SIGALRM)
//   --daemonize exit|wait  fork; the child goes on with the options that follow, the parent
//                       sends "MAINPID=<child>\nREADY=1" and then exits 0 (a forking daemon)
//                       or waits for the child, so that its exit status is the parent's, and
//                       then sleeps (a wrapper that keeps its daemon as its own child)
//   --serve PORT FILE   listen on 127.0.0.1:PORT (prints "listening PORT at UNIX_NS") and answer each
//                       HTTP request (or bare connection) with the status code in FILE,
//                       read at each request (200 when FILE is missing; 0: close without
//                       an answer); never returns. Both serving options stop gracefully at
//                       SIGTERM: the connection being answered is answered, then exit 0 (what
//                       waits in the backlog is left for whoever shares the socket)
//   --serve-fd FD       accept on the inherited listening socket FD for ever, answering
//                       each connection at once with "pid PID\n"
//   --listen-fds        print LISTEN_FDS=N LISTEN_PID=mine|other|unset LISTEN_FDNAMES=...
//                       listening=yes,no,... (whether each of fds 3.. is a listening socket)
//   --fds               print fds=3,4,... (every open fd above stderr) or fds=none

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

std::string g_pidfile;
int g_term_exit = -1;

void append_pid(pid_t pid) {
  if (g_pidfile.empty()) return;
  const int fd = ::open(g_pidfile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;
  const std::string line = std::to_string(pid) + "\n";
  ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;
  ::close(fd);
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  while (::nanosleep(&ts, &ts) < 0) {
  }
}

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

void on_term(int) { ::_exit(g_term_exit); }

std::string g_usr1_text;
void on_usr1(int) {
  ssize_t ignored = ::write(STDOUT_FILENO, g_usr1_text.data(), g_usr1_text.size());
  (void)ignored;
}

void write_all(const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

const std::string kHalfRequest = R"({"id":1,"cmd":"sta)";

void send_ignoring(int fd, const std::string& bytes) {
  ssize_t ignored = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

[[noreturn]] void hold_connections(const std::string& path, int idle, int half, bool renew) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 65536);
  ::setrlimit(RLIMIT_NOFILE, &lim);
  struct Held {
    int fd;
    bool half;
  };
  std::vector<Held> held;
  for (int k = 0; k < idle + half; ++k) {
    const int fd = connect_to(path);
    if (fd < 0) {
      std::fprintf(stderr, "testchild: connect %d: %s\n", k, std::strerror(errno));
      std::exit(70);
    }
    held.push_back({fd, k < half});
    if (k < half) send_ignoring(fd, kHalfRequest);
  }
  std::printf("held %zu\n", held.size());
  std::vector<pollfd> fds(held.size());
  int told = 0;  // bounded: nobody may have to read this pipe for the flood to go on
  char buf[4096];
  for (;;) {
    for (std::size_t k = 0; k < held.size(); ++k) fds[k] = pollfd{held[k].fd, POLLIN, 0};
    if (::poll(fds.data(), fds.size(), half > 0 ? 100 : -1) == 0) {
      for (const Held& h : held) {
        if (h.half && h.fd >= 0) send_ignoring(h.fd, "x");
      }
      continue;
    }
    for (std::size_t k = 0; k < held.size(); ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      if (const ssize_t n = ::recv(held[k].fd, buf, sizeof buf, MSG_DONTWAIT); n > 0) {
        if (told < 1000 && std::string(buf, static_cast<std::size_t>(n)).find("TOO_MANY_CLIENTS") != std::string::npos) {
          ++told;
          std::printf("told\n");
        }
        continue;
      }
      ::close(held[k].fd);  // closed by the daemon
      held[k].fd = renew ? connect_to(path) : -1;
      if (held[k].fd >= 0 && held[k].half) send_ignoring(held[k].fd, kHalfRequest);
    }
  }
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t k = 0; k < text.size(); ++k) {
    if (text[k] == '\\' && k + 1 < text.size() && text[k + 1] == 'n') {
      out += '\n';
      ++k;
    } else {
      out += text[k];
    }
  }
  return out;
}

int g_notify_fd = -1;
sockaddr_un g_notify_addr{};
std::string g_notify_every;

// Async-signal-safe once set up (sendto only).
void notify_send(const std::string& datagram) {
  if (g_notify_fd < 0) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path) {
      std::fprintf(stderr, "testchild: NOTIFY_SOCKET is not set\n");
      std::exit(72);
    }
    g_notify_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_notify_addr.sun_family = AF_UNIX;
    std::strncpy(g_notify_addr.sun_path, path, sizeof g_notify_addr.sun_path - 1);
  }
  ::sendto(g_notify_fd, datagram.data(), datagram.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&g_notify_addr),
           sizeof g_notify_addr);
}

void on_alarm(int) {
  ::sendto(g_notify_fd, g_notify_every.data(), g_notify_every.size(), MSG_NOSIGNAL,
           reinterpret_cast<sockaddr*>(&g_notify_addr), sizeof g_notify_addr);
}

// Accepts on `fd` for ever: an HTTP request gets the status code in status_file (200 when
// the file is missing; 0: close without an answer); with an empty status_file every
// connection gets "pid PID\n" at once, unasked.
int g_term_pipe[2] = {-1, -1};

void on_serve_term(int) {
  const char byte = 't';
  [[maybe_unused]] const ssize_t n = ::write(g_term_pipe[1], &byte, 1);
}

[[noreturn]] void serve_on(int fd, const std::string& status_file) {
  // SIGTERM is seen between connections only (a self-pipe beside the socket in one poll), as
  // a graceful server does. The socket is non-blocking so that a connection another process
  // sharing it took first does not block accept.
  if (::pipe2(g_term_pipe, O_CLOEXEC) != 0) std::_Exit(2);
  struct sigaction sa {};
  sa.sa_handler = on_serve_term;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  for (;;) {
    pollfd ready[2] = {{fd, POLLIN, 0}, {g_term_pipe[0], POLLIN, 0}};
    if (::poll(ready, 2, -1) < 0) continue;  // EINTR
    if (ready[1].revents != 0) std::_Exit(0);
    const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;  // EAGAIN: another process took it
    ::fcntl(c, F_SETFL, ::fcntl(c, F_GETFL) & ~O_NONBLOCK);
    if (status_file.empty()) {
      send_ignoring(c, "pid " + std::to_string(::getpid()) + "\n");
      ::close(c);
      continue;
    }
    std::string request;
    char buf[4096];
    pollfd p{c, POLLIN, 0};
    while (request.find("\r\n\r\n") == std::string::npos && ::poll(&p, 1, 1000) > 0) {
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    int status = 200;
    if (FILE* f = std::fopen(status_file.c_str(), "r")) {
      if (std::fscanf(f, "%d", &status) != 1) status = 200;
      std::fclose(f);
    }
    if (status != 0 && !request.empty()) {
      const std::string answer = "HTTP/1.1 " + std::to_string(status) +
                                 " Test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      send_ignoring(c, answer);
    }
    ::close(c);
  }
}

[[noreturn]] void serve(int port, const std::string& status_file) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    std::fprintf(stderr, "testchild: listen on %d: %s\n", port, std::strerror(errno));
    std::exit(71);
  }
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::printf("listening %d at %lld\n", port, static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec);
  serve_on(fd, status_file);
}

// --listen-fds: what sd_listen_fds(3) would see, and whether each passed fd listens.
void print_listen_fds() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  const char* names = std::getenv("LISTEN_FDNAMES");
  const bool mine = pid && std::atol(pid) == static_cast<long>(::getpid());
  std::string listening;
  for (int fd = 3; fds && fd < 3 + std::atoi(fds); ++fd) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    const bool ok = ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting;
    listening += (listening.empty() ? "" : ",") + std::string(ok ? "yes" : "no");
  }
  std::printf("LISTEN_FDS=%s LISTEN_PID=%s LISTEN_FDNAMES=%s listening=%s\n", fds ? fds : "unset",
              pid ? (mine ? "mine" : "other") : "unset", names ? names : "unset", listening.c_str());
}

// --fds: every open fd above stderr.
void print_fds() {
  std::string out;
  for (int fd = 3; fd < 1024; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) out += (out.empty() ? "" : ",") + std::to_string(fd);
  }
  std::printf("fds=%s\n", out.empty() ? "none" : out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IONBF, 0);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "testchild: %s needs a value\n", arg.c_str());
        std::exit(64);
      }
      return argv[++i];
    };
    if (arg == "--print") {
      std::printf("%s\n", next().c_str());
    } else if (arg == "--stderr") {
      std::fprintf(stderr, "%s\n", next().c_str());
    } else if (arg == "--env") {
      const std::string name = next();
      const char* v = std::getenv(name.c_str());
      if (v) std::printf("%s=%s\n", name.c_str(), v); else std::printf("%s unset\n", name.c_str());
    } else if (arg == "--cwd") {
      char buf[4096];
      std::printf("cwd=%s\n", ::getcwd(buf, sizeof buf) ? buf : "?");
    } else if (arg == "--creds") {
      uid_t ru = 0, eu = 0, su = 0;
      gid_t rg = 0, eg = 0, sg = 0;
      ::getresuid(&ru, &eu, &su);
      ::getresgid(&rg, &eg, &sg);
      std::vector<gid_t> groups(static_cast<std::size_t>(std::max(::getgroups(0, nullptr), 0)));
      groups.resize(static_cast<std::size_t>(std::max(::getgroups(static_cast<int>(groups.size()), groups.data()), 0)));
      std::string list;
      for (const gid_t g : groups) list += (list.empty() ? "" : ",") + std::to_string(g);
      std::printf("uid=%u,%u,%u gid=%u,%u,%u groups=%s\n", ru, eu, su, rg, eg, sg, list.c_str());
    } else if (arg == "--umask") {
      const mode_t m = ::umask(0);
      ::umask(m);
      std::printf("umask=%04o\n", static_cast<unsigned>(m));
    } else if (arg == "--sleep") {
      sleep_ms(std::atol(next().c_str()));
    } else if (arg == "--ignore-term") {
      ::signal(SIGTERM, SIG_IGN);
    } else if (arg == "--term-exit") {
      g_term_exit = std::atoi(next().c_str());
      ::signal(SIGTERM, on_term);
    } else if (arg == "--pidfile") {
      g_pidfile = next();
      append_pid(::getpid());
    } else if (arg == "--fork") {
      const int n = std::atoi(next().c_str());
      for (int k = 0; k < n; ++k) {
        const pid_t pid = ::fork();
        if (pid == 0) {
          ::signal(SIGTERM, SIG_DFL);
          sleep_forever();
        }
        append_pid(pid);
      }
    } else if (arg == "--lock") {
      const int fd = ::open(next().c_str(), O_RDWR | O_CREAT, 0644);  // left open: the lock lives on
      if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) < 0) {
        std::fprintf(stderr, "testchild: lock busy\n");
        return 75;
      }
    } else if (arg == "--fork-hog") {
      const std::size_t bytes = static_cast<std::size_t>(std::atol(next().c_str())) << 20;
      int ready[2];
      if (::pipe(ready) < 0) return 70;
      const pid_t pid = ::fork();
      if (pid == 0) {
        ::signal(SIGTERM, SIG_DFL);
        char* memory = static_cast<char*>(std::malloc(bytes));
        if (memory == nullptr) ::_exit(70);  // the parent reads EOF and exits 70 too
        for (std::size_t k = 0; k < bytes; k += 4096) memory[k] = 1;
        ssize_t ignored = ::write(ready[1], "x", 1);
        (void)ignored;
        sleep_forever();
      }
      append_pid(pid);
      ::close(ready[1]);
      char c;
      if (::read(ready[0], &c, 1) != 1) return 70;  // the child has no memory to free
      ::close(ready[0]);
    } else if (arg == "--escape" || arg == "--escape-bare") {
      int ready[2];
      if (::pipe(ready) < 0) return 70;
      const pid_t mid = ::fork();
      if (mid == 0) {
        const pid_t grandchild = ::fork();
        if (grandchild == 0) {
          ::setsid();
          ::signal(SIGTERM, SIG_IGN);  // only SIGKILL gets rid of it
          append_pid(::getpid());
          ssize_t ignored = ::write(ready[1], "x", 1);
          (void)ignored;
          if (arg == "--escape-bare") {
            char ignore_term[] = "--ignore-term";
            char* args[] = {argv[0], ignore_term, nullptr};
            char* no_env[] = {nullptr};
            ::execve("/proc/self/exe", args, no_env);
          }
          sleep_forever();
        }
        ::_exit(0);  // the grandchild is orphaned
      }
      char c;
      ssize_t ignored = ::read(ready[0], &c, 1);
      (void)ignored;
      ::waitpid(mid, nullptr, 0);
      ::close(ready[0]);
      ::close(ready[1]);
    } else if (arg == "--exit") {
      return std::atoi(next().c_str());
    } else if (arg == "--lines") {
      const long n = std::atol(next().c_str());
      std::string chunk;
      char line[32];
      for (long k = 0; k < n; ++k) {
        std::snprintf(line, sizeof line, "line %06ld\n", k);
        chunk += line;
        if (chunk.size() >= 65536) {
          write_all(chunk);
          chunk.clear();
        }
      }
      write_all(chunk);
    } else if (arg == "--lines-for") {
      const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atol(next().c_str()));
      long k = 0;
      std::string chunk;
      char line[32];
      while (std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 4096; ++i, ++k) {
          std::snprintf(line, sizeof line, "line %06ld\n", k);
          chunk += line;
        }
        write_all(chunk);
        chunk.clear();
      }
      write_all("done " + std::to_string(k) + "\n");
    } else if (arg == "--raw") {
      write_all(unescape(next()));
    } else if (arg == "--on-usr1") {
      g_usr1_text = next() + "\n";
      ::signal(SIGUSR1, on_usr1);
    } else if (arg == "--hold") {
      const std::string path = next();
      const int idle = std::atoi(next().c_str());
      const int half = std::atoi(next().c_str());
      const bool renew = i + 1 < argc && std::string(argv[i + 1]) == "--renew";
      hold_connections(path, idle, half, renew);
    } else if (arg == "--notify") {
      notify_send(unescape(next()));
    } else if (arg == "--notify-child") {
      const std::string text = unescape(next());
      const pid_t child = ::fork();
      if (child == 0) {
        notify_send(text);
        sleep_ms(500);  // konnectd checks the sender's lineage in /proc: stay until it did
        ::_exit(0);
      }
      ::waitpid(child, nullptr, 0);
    } else if (arg == "--daemonize") {
      const std::string mode = next();
      const pid_t child = ::fork();
      if (child > 0) {
        notify_send("MAINPID=" + std::to_string(child) + "\nREADY=1");
        if (mode == "exit") ::_exit(0);
        ::waitpid(child, nullptr, 0);
        sleep_forever();
      }
    } else if (arg == "--notify-every") {
      const long ms = std::atol(next().c_str());
      g_notify_every = unescape(next());
      notify_send(g_notify_every);
      ::signal(SIGALRM, on_alarm);
      itimerval every{{ms / 1000, (ms % 1000) * 1000}, {ms / 1000, (ms % 1000) * 1000}};
      ::setitimer(ITIMER_REAL, &every, nullptr);
    } else if (arg == "--serve") {
      const int port = std::atoi(next().c_str());
      serve(port, next());
    } else if (arg == "--serve-fd") {
      const int fd = std::atoi(next().c_str());
      serve_on(fd, "");
    } else if (arg == "--listen-fds") {
      print_listen_fds();
    } else if (arg == "--fds") {
      print_fds();
    } else if (arg == "--kill-self") {
      ::raise(std::atoi(next().c_str()));
    } else {
      std::fprintf(stderr, "testchild: unknown option %s\n", arg.c_str());
      return 64;
    }
  }
  sleep_forever();
}
