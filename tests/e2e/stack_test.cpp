// The seed host's stack, for real: RabbitMQ, a Django project named kano_konnect under
// Debian's uWSGI on :9090 (master + 2 workers, on a socket konnectd holds) behind Debian's
// nginx, and a Celery prefork worker (concurrency 2), all supervised by the real konnectd and
// driven with the real konnectctl. The programs come from the shipped conf.d/ files, with only
// the /srv paths replaced, so their stop and restart semantics are what is tested. konnectd
// runs in a delegated cgroup where the machine allows one, as systemd's Delegate=yes gives it.
// The tests run in order on one stack.

#include "tests/e2e/stack.hpp"
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <csignal>
#include <algorithm>
#include <memory>
#include <regex>
#include <set>
#include <thread>

using namespace konnect::test;
namespace fs = std::filesystem;

namespace {

const std::string kUwsgi = "kano_konnect-uwsgi";
const std::string kCelery = "kano_konnect-celeryd";
const std::string kMigrate = "kano_konnect-migrate";

struct Stack {
  std::unique_ptr<TestCgroup> cgroup = std::make_unique<TestCgroup>();
  Host host;
  Nginx nginx{host.scratch() / "nginx"};
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
    ASSERT_TRUE(g_stack->nginx.wait_ready()) << g_stack->nginx.error_log();
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
  Nginx& nginx() { return g_stack->nginx; }
};

TEST_F(KanoKonnect, EverythingRunsAndTheHomePageAnswers) {
  EXPECT_TRUE(d().wait_state("rabbitmq", "RUNNING"));
  EXPECT_TRUE(d().wait_state(kUwsgi, "RUNNING", 30s)) << d().ctl({"status"}).out;
  EXPECT_TRUE(d().wait_state(kCelery, "RUNNING", 30s)) << d().ctl({"status"}).out;
  EXPECT_TRUE(wait_until(home_page_answers, 60s)) << http_get("/").status << " " << http_get("/").body;
  EXPECT_TRUE(home_page_answers_at(nginx().port())) << nginx().error_log();
  // --master --processes 2: the master and two workers, all as nobody.
  const pid_t master = d().pid_of(kUwsgi);
  EXPECT_GE(children_of(master).size(), 2u);
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

// restart = "rolling" on the held :9090: the new master is started beside the old one, and
// the old one is stopped (gracefully, with TERM) once the new one accepts.
TEST_F(KanoKonnect, RestartGivesANewMasterAndTheSiteAnswersAgain) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  const pid_t old_master = d().pid_of(kUwsgi);
  const auto old_workers = children_of(old_master);
  const auto began = std::chrono::steady_clock::now();
  const auto r = d().ctl({"restart", kUwsgi});
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Seconds, far from stopwaitsecs (supervisord's TERM waited all of it: a reload to uWSGI).
  EXPECT_LT(took, 20s) << "restart took " << took.count() << " ms";
  std::printf("restart %s took %lld ms\n", kUwsgi.c_str(), static_cast<long long>(took.count()));
  const pid_t new_master = d().pid_of(kUwsgi);
  EXPECT_GT(new_master, 0);
  EXPECT_NE(new_master, old_master);
  EXPECT_FALSE(pid_alive(old_master));
  const std::string log = d().daemon_log();
  EXPECT_NE(log.find(kUwsgi + ": RUNNING -> STOPPING (pid " + std::to_string(old_master) +
                     "): rolling restart: the new instance (pid " + std::to_string(new_master) + ") is running"),
            std::string::npos)
      << log;
  // ready = { log = ... }: restart returned once the new master's first worker accepts, so
  // the site answers now, with no wait.
  EXPECT_TRUE(home_page_answers()) << http_get("/").status;
  EXPECT_GE(children_of(new_master).size(), 2u);
  for (pid_t w : old_workers) EXPECT_TRUE(wait_until([&] { return !pid_alive(w); }, 10s)) << "old worker " << w;
}

// The bar of rolling restarts: clients loading the site through nginx all the time, and ten
// restarts one after another fail none of their requests.
TEST_F(KanoKonnect, TenRestartsUnderLoadThroughNginxFailNoRequest) {
  ASSERT_TRUE(wait_until([&] { return home_page_answers_at(nginx().port()); }, 60s)) << nginx().error_log();
  Load load(nginx().port(), 4);
  ASSERT_TRUE(wait_until([&] { return load.answered() >= 100; }, 10s));
  for (int i = 0; i < 10; ++i) {
    const pid_t old_master = d().pid_of(kUwsgi);
    const std::size_t before = load.answered();
    const auto r = d().ctl({"restart", kUwsgi});
    ASSERT_EQ(r.exit_code, 0) << "restart " << i << ": " << r.out << r.err;
    EXPECT_NE(d().pid_of(kUwsgi), old_master);
    EXPECT_FALSE(pid_alive(old_master));
    EXPECT_GT(load.answered(), before) << "the site was served during restart " << i;
  }
  load.finish();
  std::printf("10 restarts under load through nginx: %zu answered, %zu failed; p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              load.answered(), load.failed(), load.latency(0.5).count() / 1000.0, load.latency(0.99).count() / 1000.0,
              load.max_latency().count() / 1000.0);
  EXPECT_EQ(load.failed(), 0u) << load.failures() << "\n" << nginx().error_log();
}

// TERM is a graceful stop (--hook-master-start): a request the old uWSGI is serving when the
// roll stops it is finished, by the old worker.
TEST_F(KanoKonnect, ARequestInFlightFinishesAcrossARestart) {
  ASSERT_TRUE(wait_until([&] { return home_page_answers_at(nginx().port()); }, 60s));
  const pid_t old_master = d().pid_of(kUwsgi);
  const auto old_workers = children_of(old_master);
  HttpAnswer slow;
  std::thread client([&] { slow = http_get(nginx().port(), "/sleep?ms=3000", 60s); });
  const auto r = d().ctl({"restart", kUwsgi});
  client.join();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(slow.status, 200) << slow.error << slow.body << nginx().error_log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(slow.body, m, std::regex("in uwsgi worker (\\d+)"))) << slow.body;
  EXPECT_NE(std::find(old_workers.begin(), old_workers.end(), std::stoi(m[1])), old_workers.end())
      << "served by pid " << m[1] << ", not by a worker of the old master";
  EXPECT_FALSE(pid_alive(old_master));
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

// Celery rolls too: the new worker consumes before the old one's warm shutdown (TERM to its
// main process) has finished the tasks it is running, and every task comes back.
TEST_F(KanoKonnect, TwentyCeleryTasksInFlightAcrossARestartAllReturn) {
  ASSERT_TRUE(d().wait_state(kCelery, "RUNNING", 120s));
  const pid_t old_main = d().pid_of(kCelery);
  const auto old_pool = children_of(old_main);
  const std::string broker = "amqp://guest:guest@127.0.0.1:" + std::to_string(kAmqpPort) + "//";
  Background client({"/usr/bin/env", "KANO_KONNECT_BROKER=" + broker, "/usr/bin/python3",
                     std::string(KONNECT_SOURCE_DIR) + "/tests/e2e/tasks_in_flight.py",
                     g_stack->host.project().string(), "20", "1.0"});
  ASSERT_EQ(client.line(60s), "sent 20");
  // The old worker takes them at once (2 running, the rest prefetched) and runs them a second each.
  ASSERT_TRUE(wait_until([&] { return read_file(d().log_dir() / (kCelery + ".err.log")).find("slow_add[") !=
                                       std::string::npos; }, 30s));
  const auto r = d().ctl({"restart", kCelery}, 240s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const pid_t new_main = d().pid_of(kCelery);
  EXPECT_NE(new_main, old_main);
  const auto new_pool = children_of(new_main);
  // Rolled: the new worker was consuming (RUNNING: its ready line) before the old one ended.
  const std::string gone_line = kCelery + ": pid " + std::to_string(old_main) + " exited";
  std::string log;  // written by konnectd's log thread: the last line may land just after the answer
  wait_until([&] { return (log = d().daemon_log()).find(gone_line) != std::string::npos; }, 5s);
  const auto new_ready = log.find(kCelery + ": STARTING -> RUNNING (pid " + std::to_string(new_main) + ")");
  const auto old_gone = log.find(gone_line);
  ASSERT_NE(new_ready, std::string::npos) << log;
  ASSERT_NE(old_gone, std::string::npos) << log;
  EXPECT_LT(new_ready, old_gone) << log;
  std::set<int> tasks;
  int by_old = 0, by_new = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string line = client.line(240s);
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("sum")) << "task result " << i << ": " << line;
    const int task = j["task"].get<int>();
    EXPECT_EQ(j["sum"].get<int>(), task + 1000);
    tasks.insert(task);
    const pid_t pid = j["worker_pid"].get<int>();
    if (std::find(old_pool.begin(), old_pool.end(), pid) != old_pool.end()) ++by_old;
    if (std::find(new_pool.begin(), new_pool.end(), pid) != new_pool.end()) ++by_new;
  }
  EXPECT_EQ(client.line(10s), "done");
  EXPECT_EQ(tasks.size(), 20u);
  std::printf("20 tasks across a Celery restart: %d by the old worker, %d by the new one\n", by_old, by_new);
  EXPECT_GE(by_old, 1) << "tasks in flight in the old worker were finished by it";
  EXPECT_GE(by_new, 1) << "the new worker consumed the rest";
  EXPECT_FALSE(pid_alive(old_main));
}

TEST_F(KanoKonnect, AKilledMasterIsRepaired) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  const pid_t old_master = d().pid_of(kUwsgi);
  const auto old_workers = children_of(old_master);
  ASSERT_EQ(::kill(old_master, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { const pid_t p = d().pid_of(kUwsgi); return p > 0 && p != old_master; }, 10s));
  // Its workers do not outlive it; the new master gets the held :9090 (queued clients wait).
  for (pid_t w : old_workers) EXPECT_TRUE(wait_until([&] { return !pid_alive(w); }, 10s)) << "old worker " << w;
  EXPECT_TRUE(wait_until(home_page_answers, 60s));
  EXPECT_TRUE(d().wait_state(kUwsgi, "RUNNING", 30s));
}

// A reload that changes a rolling program rolls it: under load through nginx, nothing fails.
TEST_F(KanoKonnect, ReloadAfterAnEditRollsOnlyTheEditedProgram) {
  ASSERT_TRUE(d().wait_state(kUwsgi, "RUNNING", 30s));
  ASSERT_TRUE(d().wait_state(kCelery, "RUNNING", 30s));
  ASSERT_TRUE(wait_until([&] { return home_page_answers_at(nginx().port()); }, 60s));
  const pid_t uwsgi = d().pid_of(kUwsgi), celery = d().pid_of(kCelery), rabbit = d().pid_of("rabbitmq");
  const fs::path file = d().dir() / "conf.d" / "kano_konnect-uwsgi.toml";
  const std::string edited = replace_all(read_file(file), "\"--processes\", \"2\"", "\"--processes\", \"3\"");
  ASSERT_NE(edited, read_file(file));
  write_text(file, edited);
  Load load(nginx().port(), 4);
  const auto r = d().ctl({"reload"});
  load.finish();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(kUwsgi), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(kCelery), std::string::npos) << r.out;
  EXPECT_NE(d().pid_of(kUwsgi), uwsgi);
  EXPECT_FALSE(pid_alive(uwsgi));
  EXPECT_EQ(d().pid_of(kCelery), celery);
  EXPECT_EQ(d().pid_of("rabbitmq"), rabbit);
  EXPECT_GT(load.answered(), 0u);
  EXPECT_EQ(load.failed(), 0u) << load.failures();
  // Three workers now.
  EXPECT_TRUE(wait_until([&] { return children_of(d().pid_of(kUwsgi)).size() >= 3; }, 30s));
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

// The deploy: `restart kano_konnect-migrate kano_konnect-uwsgi` migrates, then rolls uWSGI once
// the migration has completed. A migration that fails leaves the old uWSGI serving, and the
// command's error names it; fixed, the same command rolls uWSGI onto the new code.
TEST_F(KanoKonnect, ADeployMigratesFirstAndAFailedMigrationKeepsTheOldUwsgiServing) {
  ASSERT_TRUE(wait_until(home_page_answers, 60s));
  const pid_t serving = d().pid_of(kUwsgi);
  const fs::path broken = g_stack->host.migrations() / "0002_broken.py";
  write_text(broken, "raise RuntimeError('broken migration')\n");
  auto r = d().ctl({"restart", kMigrate, kUwsgi}, 120s);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(kUwsgi + ": ERROR (failed: not restarted: its dependency " + kMigrate +
                       " exited (exit status 1), not one of its exitcodes; pid " + std::to_string(serving) +
                       " keeps running)"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(d().state_of(kUwsgi), "RUNNING");
  EXPECT_EQ(d().pid_of(kUwsgi), serving);
  EXPECT_TRUE(home_page_answers());
  EXPECT_NE(read_file(d().log_dir() / (kMigrate + ".err.log")).find("RuntimeError: broken migration"),
            std::string::npos);
  const std::string log = d().daemon_log();
  EXPECT_EQ(log.find(kUwsgi + ": rolling restart: starting a new instance beside pid " + std::to_string(serving)),
            std::string::npos)
      << "no new uWSGI was started on a failed migration\n" << log;

  fs::remove(broken);
  fs::remove_all(g_stack->host.migrations() / "__pycache__");
  r = d().ctl({"restart", kMigrate, kUwsgi}, 120s);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(d().state_of(kUwsgi), "RUNNING");
  EXPECT_NE(d().pid_of(kUwsgi), serving);
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
