// tests common/config/supervisord_config.cpp through the loader: supervisord INI files as main file
// and as includes, expansions, numprocs, warnings, errors; and convert's TOML round trip.

#include "common/config/config_diff.hpp"
#include "common/config/config_writer.hpp"
#include "common/config/supervisord_config.hpp"
#include "tests/common/config/config_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace konnect;
using konnect::testing::ConfigTest;

namespace {

class SupervisordConfig : public ConfigTest {
 protected:
  Result<Config> load_ini(const std::string& text) { return load_config(write("supervisord.conf", text)); }
  Config load_ini_ok(const std::string& text) {
    auto r = load_ini(text);
    EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
    return r ? *r : Config{};
  }
  // The warning that names this option, or nullptr.
  static const Error* warning_for(const Config& c, const std::string& key) {
    for (const auto& w : c.warnings) {
      if (w.key == key) return &w;
    }
    return nullptr;
  }
};

// The seed host's files: /etc/supervisor.d/kano_konnect-uwsgi.conf and its Celery sibling.
const std::string kSeedUwsgi =
    "[program:kano_konnect-uwsgi]\n"
    "command=/srv/kano_konnect/shared/env/bin/uwsgi --http :9090 --wsgi-file kano_konnect/kano_konnect/wsgi.py\n"
    "directory=/srv/kano_konnect/current\n"
    "user=nobody\n"
    "autostart=true\n"
    "autorestart=true\n"
    "redirect_stderr=true\n"
    "stdout_logfile=/var/log/supervisor/kano_konnect-uwsgi.log\n";
const std::string kSeedCelery =
    "[program:kano_konnect-celeryd]\n"
    "command=/srv/kano_konnect/shared/env/bin/celery -A kano_konnect worker --loglevel=INFO\n"
    "directory=/srv/kano_konnect/current/kano_konnect\n"
    "user=nobody\n"
    "numprocs=1\n"
    "stdout_logfile=/var/log/supervisor/celeryd.log\n"
    "stderr_logfile=/var/log/supervisor/celeryd.log\n"
    "autostart=true\n"
    "autorestart=true\n"
    "startsecs=10\n"
    "stopwaitsecs = 600\n"
    "killasgroup=true\n"
    "priority=1000\n";

}  // namespace

// The seed's two files, included from a TOML main file, load with every value as written.
TEST_F(SupervisordConfig, SeedProgramsLoad) {
  write("supervisor.d/kano_konnect-uwsgi.conf", kSeedUwsgi);
  write("supervisor.d/kano_konnect-celeryd.conf", kSeedCelery);
  Config c = load_ok("include = [\"supervisor.d/*.conf\"]\n");
  ASSERT_EQ(c.programs.size(), 2u);
  const ProgramConfig* uwsgi = c.find_program("kano_konnect-uwsgi");
  ASSERT_NE(uwsgi, nullptr);
  EXPECT_EQ(uwsgi->command, (std::vector<std::string>{"/srv/kano_konnect/shared/env/bin/uwsgi", "--http", ":9090",
                                                      "--wsgi-file", "kano_konnect/kano_konnect/wsgi.py"}));
  EXPECT_EQ(uwsgi->directory, "/srv/kano_konnect/current");
  EXPECT_EQ(uwsgi->user, "nobody");
  EXPECT_EQ(uwsgi->autorestart, AutoRestart::Always);
  EXPECT_TRUE(uwsgi->redirect_stderr);
  EXPECT_EQ(uwsgi->stdout_log.path, "/var/log/supervisor/kano_konnect-uwsgi.log");
  const ProgramConfig* celery = c.find_program("kano_konnect-celeryd");
  ASSERT_NE(celery, nullptr);
  EXPECT_EQ(celery->stopwaitsecs, std::chrono::seconds(600));
  EXPECT_EQ(celery->startsecs, std::chrono::seconds(10));
  EXPECT_EQ(celery->priority, 1000);
  EXPECT_EQ(celery->stderr_log.path, "/var/log/supervisor/celeryd.log");
  EXPECT_TRUE(c.warnings.empty());
}

// supervisord's own sample sections as a main file: [supervisord] and [unix_http_server]
// become [konnectd]; %(here)s is the file's directory; what konnect lacks is a warning.
TEST_F(SupervisordConfig, MainFileSettingsAndWarnings) {
  Config c = load_ini_ok(
      "[unix_http_server]\nfile=%(here)s/supervisor.sock\nchmod=0700\n\n"
      "[supervisord]\nlogfile=%(here)s/supervisord.log\nlogfile_maxbytes=50MB\nlogfile_backups=10\n"
      "loglevel=blather\npidfile=/tmp/supervisord.pid\nnodaemon=false\nminfds=1024\nchildlogdir=/tmp/logs\n"
      "environment=A=\"1\",B=\"two, three\"\n\n"
      "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
      "[program:web]\ncommand=/bin/web\nstdout_capture_maxbytes=1MB\nfrobnicate=1\nenvironment=B=\"mine\"\n"
      "[eventlistener:memmon]\ncommand=memmon -a 200MB\nevents=TICK_60, PROCESS_STATE_EXITED\nbuffer_size=20\n"
      "stdout_logfile=/tmp/memmon.log\n");
  EXPECT_EQ(c.daemon.socket, path("supervisor.sock"));
  EXPECT_EQ(c.daemon.log_file, path("supervisord.log"));
  EXPECT_EQ(c.daemon.log_dir, "/tmp/logs");
  EXPECT_EQ(c.daemon.pid_file, "/tmp/supervisord.pid");
  EXPECT_EQ(c.daemon.log_level, "trace");
  EXPECT_EQ(c.daemon.log_file_maxbytes, 50u * 1024 * 1024);
  const auto& env = c.programs.at(0).environment;
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_EQ(env.at("B"), "mine");  // the program's own wins
  for (const std::string key : {"[unix_http_server] chmod", "[supervisord] nodaemon", "[supervisord] minfds",
                                "[program:web] stdout_capture_maxbytes", "[program:web] frobnicate",
                                "[eventlistener:memmon] stdout_logfile"}) {
    const Error* w = warning_for(c, key);
    ASSERT_NE(w, nullptr) << key;
    EXPECT_EQ(w->file, path("supervisord.conf"));
    EXPECT_GT(w->line, 0) << key;
  }
  EXPECT_EQ(warning_for(c, "[program:web] frobnicate")->line, 22);
  EXPECT_EQ(warning_for(c, "[rpcinterface:supervisor]"), nullptr);
  // [eventlistener:x] is a listener program, up first as in supervisord.
  const ProgramConfig& memmon = c.programs.at(1);
  ASSERT_TRUE(memmon.listener);
  EXPECT_EQ(memmon.listener->events, (std::vector<std::string>{"TICK_60", "PROCESS_STATE_EXITED"}));
  EXPECT_EQ(memmon.listener->buffer_size, 20);
  EXPECT_EQ(memmon.priority, -1);
  EXPECT_EQ(memmon.stdout_log.kind, LogTarget::Kind::None);
  auto e = load_ini("[eventlistener:x]\ncommand=x\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().key, "[eventlistener:x] events");
  e = load_ini("[eventlistener:x]\ncommand=x\nevents=PROCESS_STAT\n");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("unknown event type 'PROCESS_STAT'"), std::string::npos);
  e = load_ini("[eventlistener:x]\ncommand=x\nevents=TICK_5\nredirect_stderr=true\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().key, "[eventlistener:x] redirect_stderr");
}

// numprocs with supervisord's usual process_name keeps numprocs (NAME_00, NAME_01); a
// per-process option makes one program per process in a group named after the program.
TEST_F(SupervisordConfig, NumprocsAndProcessNum) {
  Config c = load_ini_ok(
      "[program:worker]\ncommand=/bin/worker\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=2\n"
      "[program:port]\ncommand=/bin/srv --port 80%(process_num)02d\nprocess_name=port-%(process_num)d\n"
      "numprocs=2\nnumprocs_start=1\n");
  const ProgramConfig* worker = c.find_program("worker");
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->numprocs, 2);
  ASSERT_NE(c.find_program("port-1"), nullptr);
  EXPECT_EQ(c.find_program("port-1")->command.back(), "8001");
  EXPECT_EQ(c.find_program("port-2")->command.back(), "8002");
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].name, "port");
  EXPECT_EQ(c.groups[0].programs, (std::vector<std::string>{"port-1", "port-2"}));
  auto missing = load_ini("[program:w]\ncommand=/bin/w\nnumprocs=2\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("%(process_num) must be present"), std::string::npos);
}

// [group:x] and [include] files= (relative to the including file), %(ENV_X)s, %%.
TEST_F(SupervisordConfig, GroupsIncludesAndExpansions) {
  ::setenv("KONNECT_TEST_PORT", "8080", 1);
  write("conf.d/b.conf", "[program:b]\ncommand=/bin/b --port %(ENV_KONNECT_TEST_PORT)s --rate 50%%\n");
  Config c = load_ini_ok("[group:pair]\nprograms=a,b\npriority=5\n[program:a]\ncommand=/bin/a\n"
                         "[include]\nfiles = conf.d/*.conf\n");
  ASSERT_EQ(c.groups.size(), 1u);
  EXPECT_EQ(c.groups[0].programs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.groups[0].priority, 5);
  EXPECT_EQ(c.find_program("b")->command, (std::vector<std::string>{"/bin/b", "--port", "8080", "--rate", "50%"}));
  EXPECT_EQ(c.files_read.size(), 2u);
}

// A bad value is the konnect reader's error, naming the INI file, line and option.
TEST_F(SupervisordConfig, BadValuesNameFileLineAndOption) {
  EXPECT_CONFIG_ERROR(load_ini("[program:web]\ncommand=/bin/web\nstartsecs=soon\n").error(), path("supervisord.conf"), 3,
                      "[program:web] startsecs", "expected a duration");
  EXPECT_CONFIG_ERROR(load_ini("[program:web]\ncommand=/bin/web\nautostart=maybe\n").error(), path("supervisord.conf"), 3,
                      "[program:web] autostart", "true or false");
  EXPECT_CONFIG_ERROR(load_ini("[program:web]\ncommand=/bin/web %(nope)s\n").error(), path("supervisord.conf"), 2,
                      "[program:web] command", "cannot be expanded");
  EXPECT_CONFIG_ERROR(load_ini("[program:web]\ndirectory=/srv\n").error(), path("supervisord.conf"), 1,
                      "[program:web] command", "missing");
  EXPECT_CONFIG_ERROR(load_ini("[program:web]\ncommand=/bin/web\nuser=no-such-user-here\n").error(),
                      path("supervisord.conf"), 3, "[program:web] user", "no such user");
}

// supervisord %-formats: s, d, 02d, %%, and errors for stray % and text as a number.
TEST(SupervisordExpand, Formats) {
  using config_detail::expand_percent;
  const std::map<std::string, config_detail::Expansion> vars{{"n", {"7", true}}, {"name", {"web", false}}};
  EXPECT_EQ(*expand_percent("%(name)s_%(n)02d %(n)d %(n)3d 100%%", vars), "web_07 7   7 100%");
  EXPECT_FALSE(expand_percent("50%", vars));
  EXPECT_FALSE(expand_percent("%(name)d", vars));
  EXPECT_FALSE(expand_percent("%(name)", vars));
}

// convert: the TOML text loads back into the same effective config.
TEST_F(SupervisordConfig, ConvertRoundTrips) {
  write("supervisor.d/kano_konnect-uwsgi.conf", kSeedUwsgi);
  write("supervisor.d/kano_konnect-celeryd.conf", kSeedCelery);
  Config ini = load_ini_ok(
      "[supervisord]\nchildlogdir=/tmp/logs\nenvironment=A=\"1\"\n"
      "[program:port]\ncommand=/bin/srv --port 80%(process_num)02d\nprocess_name=port-%(process_num)d\nnumprocs=2\n"
      "umask=022\nexitcodes=0,2\nstopsignal=QUIT\nstdout_logfile_maxbytes=1MB\nstderr_logfile=NONE\n"
      "environment=B=\"x y\"\nautorestart=unexpected\nstartsecs=0\n"
      "[program:w]\ncommand=/bin/w\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=3\n"
      "[group:g]\nprograms=w\npriority=3\n"
      "[include]\nfiles=supervisor.d/*.conf\n");
  const std::string text = write_toml_config(ini, "converted");
  Config toml = load_ok(text);
  EXPECT_TRUE(diff_configs(ini, toml).empty()) << text;
  EXPECT_EQ(ini.programs.size(), toml.programs.size()) << text;
  for (const auto& p : ini.programs) {
    ASSERT_NE(toml.find_program(p.name), nullptr) << p.name;
    EXPECT_TRUE(*toml.find_program(p.name) == p) << p.name << "\n" << text;
  }
  EXPECT_EQ(ini.groups, toml.groups);
  EXPECT_EQ(toml.daemon.log_dir, "/tmp/logs");
  EXPECT_EQ(toml.daemon.environment, ini.daemon.environment);
}

// Fidelity details: the program's own environment in %(ENV_X)s; unquoted environment values
// are one word; OFF and an empty logfile discard; group names are checked; huge widths are errors.
TEST_F(SupervisordConfig, SupervisordDetails) {
  Config c = load_ini_ok("[program:web]\nenvironment=APP_HOME=/srv/app,MODE=fast\ncommand=%(ENV_APP_HOME)s/bin/web\n"
                         "stdout_logfile=OFF\nstderr_logfile=\n");
  const ProgramConfig& web = c.programs.at(0);
  EXPECT_EQ(web.command, (std::vector<std::string>{"/srv/app/bin/web"}));
  EXPECT_EQ(web.environment.at("MODE"), "fast");
  EXPECT_EQ(web.stdout_log.kind, LogTarget::Kind::None);
  EXPECT_EQ(web.stderr_log.kind, LogTarget::Kind::None);
  EXPECT_FALSE(load_ini("[program:web]\ncommand=/bin/web\nenvironment=A=1 B=2\n"));
  EXPECT_FALSE(load_ini("[program:web]\ncommand=/bin/web %(process_num)999999999999d\n"));
  auto bad_group = load_ini("[program:web]\ncommand=/bin/web\n[group:a b]\nprograms=web\n");
  ASSERT_FALSE(bad_group);
  EXPECT_NE(bad_group.error().message.find("invalid group name"), std::string::npos);
  EXPECT_FALSE(load_ini("[program:web]\ncommand=/bin/web\n[include]\n"));
}

// [inet_http_server] is [konnectd] http with its credentials; others' reach needs them.
TEST_F(SupervisordConfig, InetHttpServerIsHttp) {
  Config c = load_ini_ok("[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\npassword={SHA}abc\n");
  EXPECT_EQ(c.daemon.http, "127.0.0.1:9001");
  EXPECT_EQ(c.daemon.http_username, "admin");
  EXPECT_EQ(c.daemon.http_password, "{SHA}abc");
  EXPECT_EQ(warning_for(c, "[inet_http_server]"), nullptr);
  c = load_ini_ok("[inet_http_server]\nport=9001\nusername=u\npassword=p\n");
  EXPECT_EQ(c.daemon.http, "*:9001");
  auto r = load_ini("[inet_http_server]\nport=*:9001\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().line, 2);
  EXPECT_EQ(r.error().key, "[inet_http_server] port");
  EXPECT_NE(r.error().message.find("not a loopback address"), std::string::npos);
  r = load_ini("[inet_http_server]\nport=localhost:nine\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("HOST:PORT"), std::string::npos);
}
