// The seed host's stack, for real: RabbitMQ, a Django project named kano_konnect under
// Debian's uWSGI on :9090 (master + 2 workers) and a Celery prefork worker (concurrency 2),
// all supervised by the real konnectd and driven with the real konnectctl. The two programs
// come from the shipped conf.d/ files, with only the /srv paths replaced, so their stop
// semantics are what is tested. konnectd runs in a delegated cgroup where the machine allows
// one, as systemd's Delegate=yes gives it. The tests run in order on one stack.

#include "../integration/harness.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

using namespace konnect::test;
namespace fs = std::filesystem;

namespace {

constexpr int kHttpPort = 9090;        // the seed's port
constexpr int kAmqpPort = 5680;        // not 5672: a host RabbitMQ may hold that
const std::string kUwsgi = "kano_konnect-uwsgi";
const std::string kCelery = "kano_konnect-celeryd";
const std::string kMigrate = "kano_konnect-migrate";

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
};

// GET over loopback with a deadline; HTTP/1.0, so the server closes when done.
HttpAnswer http_get(const std::string& target, std::chrono::milliseconds deadline = 40s) {
  HttpAnswer answer;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kHttpPort);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return answer;
  }
  const std::string request = "GET " + target + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return answer;
  }
  std::string text;
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::smatch m;
  if (std::regex_search(text, m, std::regex("^HTTP/1\\.[01] (\\d{3})"))) answer.status = std::stoi(m[1]);
  if (const auto body = text.find("\r\n\r\n"); body != std::string::npos) answer.body = text.substr(body + 4);
  return answer;
}

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return open;
}

bool home_page_answers() {
  const auto a = http_get("/", 10s);
  return a.status == 200 && a.body.find("kano_konnect ok") != std::string::npos;
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(text.substr(paren + 2));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; in >> child;) out.push_back(child);
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// The host's /srv/kano_konnect, built in a temp dir that user nobody can read: current/ is
// the test project, shared/env a virtualenv over Debian's Python packages.
class Host {
 public:
  Host() {
    fs::permissions(root_.path(), fs::perms(0755));
    fs::copy(fs::path(KONNECT_SOURCE_DIR) / "tests/e2e/site", current(), fs::copy_options::recursive);
    const auto venv = run_command({"/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", env().string()}, 60s);
    venv_ok_ = venv.exit_code == 0;
    venv_error_ = venv.err;
    // The database (SQLite here, PostgreSQL on the host), written by the migration and by
    // uWSGI's workers, both as nobody.
    fs::create_directories(db().parent_path());
    if (const passwd* nobody = ::getpwnam("nobody")) {
      if (::chown(db().parent_path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0) venv_ok_ = false;
    }
  }
  fs::path current() const { return root_.path() / "current"; }
  fs::path env() const { return root_.path() / "env"; }
  fs::path rabbit() const { return root_.path() / "rabbitmq"; }
  fs::path db() const { return root_.path() / "db" / "kano_konnect.sqlite3"; }
  fs::path migrations() const { return current() / "kano_konnect" / "kano_konnect" / "migrations"; }
  bool ok() const { return venv_ok_; }
  const std::string& error() const { return venv_error_; }

  // A shipped conf.d file with the host paths pointing here.
  std::string shipped(const std::string& name) const {
    std::string text = read_file(fs::path(KONNECT_SOURCE_DIR) / "conf.d" / name);
    text = replace_all(text, "/srv/kano_konnect/current", current().string());
    return replace_all(text, "/srv/kano_konnect/shared/env", env().string());
  }

 private:
  TempDir root_;
  bool venv_ok_ = false;
  std::string venv_error_;
};

// RabbitMQ as a plain process on loopback, with its own HOME, node name and ports.
std::string rabbitmq_program(const fs::path& dir) {
  fs::create_directories(dir);
  write_text(dir / "enabled_plugins", "[].\n");
  const auto d = dir.string();
  return "[program.rabbitmq]\n"
         "command = [\"/usr/lib/rabbitmq/bin/rabbitmq-server\"]\n"
         "priority = 10\n"
         "startsecs = 0\n"
         "stopwaitsecs = \"30s\"\n"
         "environment = { HOME = " + toml_str(d) + ", RABBITMQ_MNESIA_BASE = " + toml_str(d + "/mnesia") +
         ", RABBITMQ_LOG_BASE = " + toml_str(d + "/log") + ", RABBITMQ_ENABLED_PLUGINS_FILE = " +
         toml_str(d + "/enabled_plugins") + ", RABBITMQ_NODENAME = \"konnect-e2e@localhost\"" +
         ", RABBITMQ_NODE_IP_ADDRESS = \"127.0.0.1\", RABBITMQ_NODE_PORT = \"" + std::to_string(kAmqpPort) +
         "\", RABBITMQ_DIST_PORT = \"25680\", ERL_EPMD_PORT = \"4380\" }\n";
}

struct Stack {
  std::unique_ptr<TestCgroup> cgroup = std::make_unique<TestCgroup>();
  Host host;
  std::unique_ptr<Konnectd> d;
};
Stack* g_stack = nullptr;

}  // namespace

class KanoKonnect : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_stack = new Stack();
    ASSERT_TRUE(g_stack->host.ok()) << "python3 -m venv failed: " << g_stack->host.error();
    Host& host = g_stack->host;
    const std::string broker = "amqp://guest:guest@127.0.0.1:" + std::to_string(kAmqpPort) + "//";
    g_stack->d = std::make_unique<Konnectd>(
        "", "include = [\"conf.d/*.toml\"]\nenvironment = { KANO_KONNECT_BROKER = " + toml_str(broker) +
                ", KANO_KONNECT_DB = " + toml_str(host.db().string()) + " }\n");
    Konnectd& d = *g_stack->d;
    fs::create_directories(d.dir() / "conf.d");
    write_text(d.dir() / "conf.d" / "rabbitmq.toml", rabbitmq_program(host.rabbit()));
    write_text(d.dir() / "conf.d" / "kano_konnect-uwsgi.toml", host.shipped("kano_konnect-uwsgi.toml"));
    write_text(d.dir() / "conf.d" / "kano_konnect-celeryd.toml", host.shipped("kano_konnect-celeryd.toml"));
    write_text(d.dir() / "conf.d" / "kano_konnect-migrate.toml", host.shipped("kano_konnect-migrate.toml"));
    if (g_stack->cgroup->why_not().empty()) d.use_cgroup(g_stack->cgroup->path());
    ASSERT_TRUE(d.start(90s)) << d.daemon_log();
  }

  static void TearDownTestSuite() {
    // The Konnectd goes first (it kills every tagged process), then the cgroup.
    delete g_stack;
    g_stack = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(g_stack, nullptr);
    ASSERT_NE(g_stack->d, nullptr);
    if (!g_stack->d->pid()) GTEST_SKIP() << "konnectd did not start";
  }

  Konnectd& d() { return *g_stack->d; }
};

TEST_F(KanoKonnect, EverythingRunsAndTheHomePageAnswers) {
  EXPECT_TRUE(d().wait_state("rabbitmq", "RUNNING"));
  EXPECT_TRUE(d().wait_state(kUwsgi, "RUNNING", 30s)) << d().ctl({"status"}).out;
  EXPECT_TRUE(d().wait_state(kCelery, "RUNNING", 30s)) << d().ctl({"status"}).out;
  EXPECT_TRUE(wait_until(home_page_answers, 60s)) << http_get("/").status << " " << http_get("/").body;
  // --master --processes 2: the master and two workers (and the HTTP router), all as nobody.
  const pid_t master = d().pid_of(kUwsgi);
  EXPECT_GE(children_of(master).size(), 3u);
  const auto status = read_file("/proc/" + std::to_string(master) + "/status");
  EXPECT_NE(status.find("Uid:\t65534"), std::string::npos);
  if (g_stack->cgroup->why_not().empty()) {
    EXPECT_NE(cgroup_of(master).find("/programs/" + kUwsgi), std::string::npos) << cgroup_of(master);
  }
}

TEST_F(KanoKonnect, AViewRunsACeleryTaskAndReturnsItsResult) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  HttpAnswer a;
  // The worker connects to RabbitMQ when RabbitMQ is ready (10-15 s after its start).
  ASSERT_TRUE(wait_until([&] { return (a = http_get("/add?x=2&y=40")).status == 200; }, 60s))
      << a.status << " " << a.body << d().ctl({"tail", kCelery, "stderr"}).out;
  EXPECT_NE(a.body.find("\"sum\": 42"), std::string::npos) << a.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(a.body, m, std::regex("\"worker_pid\": (\\d+)")));
  // A prefork pool child of the supervised Celery main process did it.
  EXPECT_EQ(parent_of(std::stoi(m[1])), d().pid_of(kCelery));
}

TEST_F(KanoKonnect, RestartGivesANewMasterAndTheSiteAnswersAgain) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  const pid_t old_master = d().pid_of(kUwsgi);
  const auto old_workers = children_of(old_master);
  const auto began = std::chrono::steady_clock::now();
  const auto r = d().ctl({"restart", kUwsgi});
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // INT ends uWSGI in seconds: far from stopwaitsecs (supervisord's TERM waited all of it).
  EXPECT_LT(took, 20s) << "restart took " << took.count() << " ms";
  std::printf("restart %s took %lld ms\n", kUwsgi.c_str(), static_cast<long long>(took.count()));
  const pid_t new_master = d().pid_of(kUwsgi);
  EXPECT_GT(new_master, 0);
  EXPECT_NE(new_master, old_master);
  EXPECT_FALSE(pid_alive(old_master));
  // ready = { http = ... }: restart returned once the new master's workers answer, so the
  // site answers now, with no wait.
  EXPECT_TRUE(home_page_answers()) << http_get("/").status;
  const auto workers = children_of(new_master);
  EXPECT_GE(workers.size(), 3u);
  for (pid_t w : old_workers) EXPECT_TRUE(wait_until([&] { return !pid_alive(w); }, 10s)) << "old worker " << w;
}

// ready = { log = ... }: a Celery restart returns once the new worker has said "ready.".
TEST_F(KanoKonnect, CeleryIsRunningOnlyAfterItsReadyLine) {
  ASSERT_TRUE(d().wait_state(kCelery, "RUNNING", 120s));
  const fs::path log = d().log_dir() / (kCelery + ".err.log");
  auto ready_lines = [&] {
    const std::string text = read_file(log);
    std::size_t n = 0;
    for (auto at = text.find(" ready."); at != std::string::npos; at = text.find(" ready.", at + 1)) ++n;
    return n;
  };
  const std::size_t before = ready_lines();
  EXPECT_GE(before, 1u) << read_file(log);
  const auto r = d().ctl({"restart", kCelery}, 180s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The line is in the file as soon as restart returns (the pump writes before it reports).
  EXPECT_TRUE(wait_until([&] { return ready_lines() > before; }, 2s)) << read_file(log);
  EXPECT_EQ(d().state_of(kCelery), "RUNNING");
}

TEST_F(KanoKonnect, AKilledMasterIsRepaired) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  const pid_t old_master = d().pid_of(kUwsgi);
  const auto old_workers = children_of(old_master);
  ASSERT_EQ(::kill(old_master, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { const pid_t p = d().pid_of(kUwsgi); return p > 0 && p != old_master; }, 10s));
  // Its workers do not outlive it, and the new master binds :9090 again.
  for (pid_t w : old_workers) EXPECT_TRUE(wait_until([&] { return !pid_alive(w); }, 10s)) << "old worker " << w;
  EXPECT_TRUE(wait_until(home_page_answers, 60s));
  EXPECT_TRUE(d().wait_state(kUwsgi, "RUNNING", 30s));
}

TEST_F(KanoKonnect, ReloadAfterAnEditRestartsOnlyTheEditedProgram) {
  ASSERT_TRUE(d().wait_state(kUwsgi, "RUNNING", 30s));
  ASSERT_TRUE(d().wait_state(kCelery, "RUNNING", 30s));
  const pid_t uwsgi = d().pid_of(kUwsgi), celery = d().pid_of(kCelery), rabbit = d().pid_of("rabbitmq");
  const fs::path file = d().dir() / "conf.d" / "kano_konnect-uwsgi.toml";
  const std::string edited = replace_all(read_file(file), "\"--processes\", \"2\"", "\"--processes\", \"3\"");
  ASSERT_NE(edited, read_file(file));
  write_text(file, edited);
  const auto r = d().ctl({"reload"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(kUwsgi), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(kCelery), std::string::npos) << r.out;
  EXPECT_TRUE(wait_until([&] { const pid_t p = d().pid_of(kUwsgi); return p > 0 && p != uwsgi; }, 30s));
  EXPECT_EQ(d().pid_of(kCelery), celery);
  EXPECT_EQ(d().pid_of("rabbitmq"), rabbit);
  EXPECT_TRUE(wait_until(home_page_answers, 60s));
  // Three workers now, besides the HTTP router.
  EXPECT_TRUE(wait_until([&] { return children_of(d().pid_of(kUwsgi)).size() >= 4; }, 30s));
}

// depends_on = { kano_konnect-migrate = "completed" }: uWSGI was started only once the one-shot
// migration had exited 0, so the view that writes to its table works from the first request.
TEST_F(KanoKonnect, UwsgiStartedOnlyAfterTheMigrationCompleted) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  EXPECT_EQ(d().state_of(kMigrate), "EXITED");
  const std::string log = d().daemon_log();
  const auto migrated = log.find(kMigrate + ": RUNNING -> EXITED");
  const auto uwsgi_spawned = log.find(kUwsgi + ": STOPPED -> STARTING");
  ASSERT_NE(migrated, std::string::npos) << log;
  ASSERT_NE(uwsgi_spawned, std::string::npos) << log;
  EXPECT_LT(migrated, uwsgi_spawned) << log;
  EXPECT_NE(read_file(d().log_dir() / (kMigrate + ".out.log")).find("Applying kano_konnect.0001_initial... OK"),
            std::string::npos);
  const auto a = http_get("/visits");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find("visits "), std::string::npos) << a.body;
}

// The deploy: `restart kano_konnect-migrate kano_konnect-uwsgi` migrates, then starts uWSGI. A
// migration that fails leaves uWSGI stopped, and the command's error names it; fixed, the same
// command brings the site back.
TEST_F(KanoKonnect, ADeployMigratesFirstAndAFailedMigrationKeepsUwsgiDown) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  const fs::path broken = g_stack->host.migrations() / "0002_broken.py";
  write_text(broken, "raise RuntimeError('broken migration')\n");
  auto r = d().ctl({"restart", kMigrate, kUwsgi}, 120s);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(kUwsgi + ": ERROR (failed: not started: its dependency " + kMigrate +
                       " exited (exit status 1), not one of its exitcodes)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(d().state_of(kUwsgi), "STOPPED");
  EXPECT_FALSE(port_open(kHttpPort));
  EXPECT_NE(read_file(d().log_dir() / (kMigrate + ".err.log")).find("RuntimeError: broken migration"),
            std::string::npos);

  fs::remove(broken);
  fs::remove_all(g_stack->host.migrations() / "__pycache__");
  r = d().ctl({"restart", kMigrate, kUwsgi}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(d().state_of(kUwsgi), "RUNNING");
  EXPECT_TRUE(home_page_answers());
  EXPECT_EQ(http_get("/visits").status, 200);
}

TEST_F(KanoKonnect, StopAllLeavesNoProcessAndFreesThePort) {
  const auto r = d().ctl({"stop", "all"}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Nothing but konnectd carries this test's tag: no uWSGI, Celery, beam, epmd.
  EXPECT_TRUE(wait_until([&] {
    auto left = processes_tagged(d().tag());
    std::erase(left, d().pid());
    return left.empty();
  }, 15s));
  EXPECT_FALSE(port_open(kHttpPort));
  EXPECT_FALSE(port_open(kAmqpPort));
}

TEST_F(KanoKonnect, ShutdownLeavesNothingBehind) {
  const auto r = d().ctl({"start", "all"}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  EXPECT_EQ(d().stop_with(SIGTERM, 120s), 0);
  EXPECT_TRUE(wait_until([&] { return processes_tagged(d().tag()).empty(); }, 15s));
  EXPECT_FALSE(port_open(kHttpPort));
}
