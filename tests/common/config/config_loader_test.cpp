// Tests for common/config/config_loader.cpp, config_program.cpp and config_values.cpp: the main
// file, [konnectd], every program key and every kind of value error. Includes and groups
// are in config_include_test.cpp.

#include "common/config/config_loader.hpp"

#include "tests/common/config/config_test_util.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

namespace konnect {
namespace {

using namespace std::chrono_literals;
using testing::ConfigTest;

using ConfigLoader = ConfigTest;

TEST_F(ConfigLoader, MinimalProgramGetsEveryDefault) {
  Config c = load_ok("[program.web]\ncommand = \"/bin/true\"\n");
  EXPECT_EQ(c.file, path("konnectd.toml"));
  ASSERT_EQ(c.files_read.size(), 1u);
  EXPECT_EQ(c.files_read[0], path("konnectd.toml"));
  ASSERT_EQ(c.programs.size(), 1u);
  const ProgramConfig& p = c.programs[0];
  EXPECT_EQ(p.name, "web");
  EXPECT_EQ(p.command, std::vector<std::string>{"/bin/true"});
  EXPECT_TRUE(p.directory.empty());
  EXPECT_EQ(p.user, "");
  EXPECT_EQ(p.group, "");
  EXPECT_EQ(p.umask, std::nullopt);
  EXPECT_TRUE(p.environment.empty());
  EXPECT_EQ(p.numprocs, 1);
  EXPECT_EQ(p.numprocs_start, 0);
  EXPECT_EQ(p.priority, 999);
  EXPECT_TRUE(p.autostart);
  EXPECT_EQ(p.autorestart, AutoRestart::Unexpected);
  EXPECT_EQ(p.exitcodes, std::vector<int>{0});
  EXPECT_EQ(p.startsecs, 1s);
  EXPECT_EQ(p.startretries, 3);
  EXPECT_EQ(p.stopsignal, SIGTERM);
  EXPECT_EQ(p.stopwaitsecs, 10s);
  EXPECT_FALSE(p.stopasgroup);
  EXPECT_TRUE(p.killasgroup);
  EXPECT_FALSE(p.redirect_stderr);
  EXPECT_EQ(p.stdout_log.kind, LogTarget::Kind::Auto);
  EXPECT_EQ(p.stderr_log.kind, LogTarget::Kind::Auto);
  EXPECT_EQ(p.stdout_log_maxbytes, 50u * 1024 * 1024);
  EXPECT_EQ(p.stderr_log_maxbytes, 50u * 1024 * 1024);
  EXPECT_EQ(p.stdout_log_backups, 10);
  EXPECT_EQ(p.stderr_log_backups, 10);
  EXPECT_EQ(p.source_file, path("konnectd.toml"));
  EXPECT_EQ(p.source_line, 1);
  EXPECT_TRUE(c.groups.empty());
}

TEST_F(ConfigLoader, EmptyFileGivesDaemonDefaults) {
  Config c = load_ok("");
  EXPECT_TRUE(c.programs.empty());
  EXPECT_EQ(c.daemon.socket, "/run/konnect/konnectd.sock");
  EXPECT_EQ(c.daemon.log_dir, "/var/log/konnect");
  EXPECT_EQ(c.daemon.log_file, "/var/log/konnect/konnectd.log");
  EXPECT_EQ(c.daemon.pid_file, "/run/konnect/konnectd.pid");
  EXPECT_EQ(c.daemon.log_level, "info");
}

TEST_F(ConfigLoader, ReadsEveryProgramKey) {
  ProgramConfig p = program(R"(command = ["/srv/env/bin/uwsgi", "--http", ":9090"]
directory = "/srv/app"
user = "root"
group = "root"
umask = "027"
environment = { DJANGO_SETTINGS = "prod", WORKERS = 4, RATIO = 1.5, DEBUG = false }
numprocs = 3
numprocs_start = 5
priority = -10
autostart = false
autorestart = true
exitcodes = [0, 2]
startsecs = "500ms"
startretries = 7
stopsignal = "QUIT"
stopwaitsecs = "600s"
stopasgroup = true
killasgroup = false
redirect_stderr = true
stdout_log = "/var/log/web.log"
stdout_log_maxbytes = "1MB"
stderr_log_maxbytes = 2048
stdout_log_backups = 0
stderr_log_backups = 3)");
  EXPECT_EQ(p.command, (std::vector<std::string>{"/srv/env/bin/uwsgi", "--http", ":9090"}));
  EXPECT_EQ(p.directory, "/srv/app");
  EXPECT_EQ(p.user, "root");
  EXPECT_EQ(p.group, "root");
  EXPECT_EQ(p.umask, mode_t{027});
  EXPECT_EQ(p.environment, (std::map<std::string, std::string>{
                               {"DJANGO_SETTINGS", "prod"}, {"WORKERS", "4"}, {"RATIO", "1.5"}, {"DEBUG", "false"}}));
  EXPECT_EQ(p.numprocs, 3);
  EXPECT_EQ(p.numprocs_start, 5);
  EXPECT_EQ(p.priority, -10);
  EXPECT_FALSE(p.autostart);
  EXPECT_EQ(p.autorestart, AutoRestart::Always);
  EXPECT_EQ(p.exitcodes, (std::vector<int>{0, 2}));
  EXPECT_EQ(p.startsecs, 500ms);
  EXPECT_EQ(p.startretries, 7);
  EXPECT_EQ(p.stopsignal, SIGQUIT);
  EXPECT_EQ(p.stopwaitsecs, 600s);
  EXPECT_TRUE(p.stopasgroup);
  EXPECT_FALSE(p.killasgroup);
  EXPECT_TRUE(p.redirect_stderr);
  EXPECT_EQ(p.stdout_log.kind, LogTarget::Kind::Path);
  EXPECT_EQ(p.stdout_log.path, "/var/log/web.log");
  EXPECT_EQ(p.stdout_log_maxbytes, 1024u * 1024);
  EXPECT_EQ(p.stderr_log_maxbytes, 2048u);
  EXPECT_EQ(p.stdout_log_backups, 0);
  EXPECT_EQ(p.stderr_log_backups, 3);
}

TEST_F(ConfigLoader, CommandStringIsSplitLikeAShell) {
  EXPECT_EQ(program(R"(command = "celery -A kano_konnect worker --loglevel=INFO -n 'w 1'")").command,
            (std::vector<std::string>{"celery", "-A", "kano_konnect", "worker", "--loglevel=INFO", "-n", "w 1"}));
}

TEST_F(ConfigLoader, RelativeCommandIsLeftForTheDaemon) {
  EXPECT_EQ(program(R"(command = "./bin/server --port 1")").command[0], "./bin/server");
  EXPECT_EQ(program(R"(command = ["bin/server"])").command[0], "bin/server");
}

TEST_F(ConfigLoader, CommandErrors) {
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("priority = 1"), file, 1, "program.web.command", "missing required key");
  EXPECT_CONFIG_ERROR(program_error(R"(command = "")"), file, 2, "program.web.command",
                      "expected a command string or a non-empty array of strings, got \"\"");
  EXPECT_CONFIG_ERROR(program_error(R"(command = "   ")"), file, 2, "program.web.command", "non-empty");
  EXPECT_CONFIG_ERROR(program_error("command = []"), file, 2, "program.web.command", "got an array");
  EXPECT_CONFIG_ERROR(program_error("command = [\"a\",\n  5]"), file, 3, "program.web.command", "got 5");
  EXPECT_CONFIG_ERROR(program_error(R"(command = ["", "x"])"), file, 2, "program.web.command", "first word");
  EXPECT_CONFIG_ERROR(program_error("command = 5"), file, 2, "program.web.command", "got 5");
  EXPECT_CONFIG_ERROR(program_error(R"(command = "echo 'oops")"), file, 2, "program.web.command",
                      "unterminated single quote");
}

TEST_F(ConfigLoader, RelativeDirectoryResolvesAgainstTheFile) {
  EXPECT_EQ(program("command = \"x\"\ndirectory = \"app/./current\"").directory, path("app/current"));
  EXPECT_EQ(program("command = \"x\"\ndirectory = \"../elsewhere\"").directory,
            (dir_.parent_path() / "elsewhere").string());
}

TEST_F(ConfigLoader, UserAndGroupMustExist) {
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nuser = \"no-such-user-konnect\""), file, 3,
                      "program.web.user", "no such user \"no-such-user-konnect\"");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\ngroup = \"no-such-group-konnect\""), file, 3,
                      "program.web.group", "no such group");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nuser = \"\""), file, 3, "program.web.user", "must not be empty");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nuser = 0"), file, 3, "program.web.user",
                      "expected a string, got 0");
}

TEST_F(ConfigLoader, UmaskAcceptsOctalStringOrInteger) {
  EXPECT_EQ(program("command = \"x\"\numask = \"022\"").umask, mode_t{022});
  EXPECT_EQ(program("command = \"x\"\numask = 0o022").umask, mode_t{022});
  EXPECT_EQ(program("command = \"x\"\numask = \"0\"").umask, mode_t{0});
  EXPECT_EQ(program("command = \"x\"\numask = \"0777\"").umask, mode_t{0777});
  std::string file = path("konnectd.toml");
  for (const char* bad : {"\"8\"", "\"abc\"", "\"\"", "0o1000", "-1", "\"01000\"", "true"}) {
    EXPECT_CONFIG_ERROR(program_error(std::string("command = \"x\"\numask = ") + bad), file, 3,
                        "program.web.umask", "expected an octal umask such as \"022\" or 0o022");
  }
}

TEST_F(ConfigLoader, EnvironmentErrors) {
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nenvironment = \"A=1\""), file, 3, "program.web.environment",
                      "expected a table");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\n[program.web.environment]\nOK = 1\n\"A=B\" = \"x\""), file, 5,
                      "program.web.environment.A=B", "no '='");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nenvironment = { \"\" = \"x\" }"), file, 3,
                      "program.web.environment.\"\"", "non-empty");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nenvironment = { A = [1] }"), file, 3,
                      "program.web.environment.A", "expected a string, number or boolean, got an array");
}

TEST_F(ConfigLoader, IntegerRanges) {
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nnumprocs = 0"), file, 3, "program.web.numprocs",
                      "expected an integer from 1 to 10000, got 0");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nnumprocs = 10001"), file, 3, "program.web.numprocs", "10001");
  EXPECT_EQ(program("command = \"x\"\nnumprocs = 10000").numprocs, 10000);
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nnumprocs_start = -1"), file, 3, "program.web.numprocs_start",
                      "expected an integer of at least 0, got -1");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstartretries = -2"), file, 3, "program.web.startretries",
                      "at least -1");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstdout_log_backups = -1"), file, 3,
                      "program.web.stdout_log_backups", "at least 0");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstderr_log_backups = \"3\""), file, 3,
                      "program.web.stderr_log_backups", "got \"3\"");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\npriority = 1.5"), file, 3, "program.web.priority",
                      "expected an integer, got 1.5");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\npriority = 99999999999"), file, 3, "program.web.priority",
                      "expected an integer");
}

TEST_F(ConfigLoader, BooleansMustBeBooleans) {
  std::string file = path("konnectd.toml");
  for (const char* key : {"autostart", "stopasgroup", "killasgroup", "redirect_stderr"}) {
    EXPECT_CONFIG_ERROR(program_error(std::string("command = \"x\"\n") + key + " = \"true\""), file, 3,
                        std::string("program.web.") + key, "expected true or false, got \"true\"");
  }
}

TEST_F(ConfigLoader, Autorestart) {
  EXPECT_EQ(program("command = \"x\"\nautorestart = false").autorestart, AutoRestart::Never);
  EXPECT_EQ(program("command = \"x\"\nautorestart = true").autorestart, AutoRestart::Always);
  EXPECT_EQ(program("command = \"x\"\nautorestart = \"unexpected\"").autorestart, AutoRestart::Unexpected);
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nautorestart = \"always\""), path("konnectd.toml"), 3,
                      "program.web.autorestart", R"(expected true, false or "unexpected", got "always")");
}

TEST_F(ConfigLoader, Exitcodes) {
  EXPECT_EQ(program("command = \"x\"\nexitcodes = 2").exitcodes, std::vector<int>{2});
  EXPECT_EQ(program("command = \"x\"\nexitcodes = [0, 1, 255]").exitcodes, (std::vector<int>{0, 1, 255}));
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nexitcodes = 256"), file, 3, "program.web.exitcodes",
                      "expected an exit code from 0 to 255 or a non-empty array of them, got 256");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nexitcodes = []"), file, 3, "program.web.exitcodes",
                      "got an array");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nexitcodes = [0,\n  -1]"), file, 4, "program.web.exitcodes",
                      "got -1");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nexitcodes = [\"0\"]"), file, 3, "program.web.exitcodes",
                      "got \"0\"");
}

TEST_F(ConfigLoader, Durations) {
  EXPECT_EQ(program("command = \"x\"\nstartsecs = \"2m\"").startsecs, 120s);
  EXPECT_EQ(program("command = \"x\"\nstartsecs = 0").startsecs, 0s);
  EXPECT_EQ(program("command = \"x\"\nstartsecs = 5").startsecs, 5s);
  EXPECT_EQ(program("command = \"x\"\nstartsecs = 1.5").startsecs, 1500ms);
  EXPECT_EQ(program("command = \"x\"\nstopwaitsecs = \"1.5s\"").stopwaitsecs, 1500ms);
  EXPECT_EQ(program("command = \"x\"\nstopwaitsecs = \"1h\"").stopwaitsecs, 3600s);
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstartsecs = \"abc\""), file, 3, "program.web.startsecs",
                      R"(expected a duration such as "10s", "2m", "500ms" or a number of seconds, got "abc")");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstopwaitsecs = -1"), file, 3, "program.web.stopwaitsecs",
                      "got -1");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstopwaitsecs = -0.5"), file, 3, "program.web.stopwaitsecs",
                      "got -0.5");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstopwaitsecs = true"), file, 3, "program.web.stopwaitsecs",
                      "got true");
}

TEST_F(ConfigLoader, Stopsignal) {
  EXPECT_EQ(program("command = \"x\"\nstopsignal = \"SIGINT\"").stopsignal, SIGINT);
  EXPECT_EQ(program("command = \"x\"\nstopsignal = \"hup\"").stopsignal, SIGHUP);
  EXPECT_EQ(program("command = \"x\"\nstopsignal = 9").stopsignal, SIGKILL);
  EXPECT_EQ(program("command = \"x\"\nstopsignal = \"15\"").stopsignal, SIGTERM);
  std::string file = path("konnectd.toml");
  for (const char* bad : {"\"FOO\"", "0", "-15", "1000", "true"}) {
    EXPECT_CONFIG_ERROR(program_error(std::string("command = \"x\"\nstopsignal = ") + bad), file, 3,
                        "program.web.stopsignal", R"(expected a signal name such as "TERM")");
  }
}

// pid_file = "" means none (a container's default, as konnectctl config writes it back).
TEST_F(ConfigLoader, AnEmptyPidFileIsNone) {
  Config c = load_ok("[konnectd]\npid_file = \"\"\n[program.web]\ncommand = \"x\"\n");
  EXPECT_TRUE(c.daemon.pid_file.empty());
  EXPECT_TRUE(c.daemon.pid_file_given);
}

TEST_F(ConfigLoader, LogTargets) {
  ProgramConfig p = program("command = \"x\"\nstdout_log = \"none\"\nstderr_log = \"logs/../logs/err.log\"");
  EXPECT_EQ(p.stdout_log.kind, LogTarget::Kind::None);
  EXPECT_EQ(p.stderr_log.kind, LogTarget::Kind::Path);
  EXPECT_EQ(p.stderr_log.path, path("logs/err.log"));
  ProgramConfig q = program("command = \"x\"\nstdout_log = \"auto\"\nstderr_log = \"NONE\"");
  EXPECT_EQ(q.stdout_log.kind, LogTarget::Kind::Auto);
  EXPECT_EQ(q.stderr_log.kind, LogTarget::Kind::None);
  ProgramConfig c = program("command = \"x\"\nstdout_log = \"console\"\nstderr_log = \"Console\"\nshutdown_on_exit = true");
  EXPECT_EQ(c.stdout_log.kind, LogTarget::Kind::Console);
  EXPECT_EQ(c.stderr_log.kind, LogTarget::Kind::Console);
  EXPECT_TRUE(c.shutdown_on_exit);
  EXPECT_FALSE(q.shutdown_on_exit);
  std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstdout_log = \"\""), file, 3, "program.web.stdout_log",
                      R"(expected "auto", "none", "console" or a path, got "")");
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nstderr_log = false"), file, 3, "program.web.stderr_log",
                      "got false");
}

TEST_F(ConfigLoader, Sizes) {
  EXPECT_EQ(program("command = \"x\"\nstdout_log_maxbytes = \"512KB\"").stdout_log_maxbytes, 512u * 1024);
  EXPECT_EQ(program("command = \"x\"\nstdout_log_maxbytes = 0").stdout_log_maxbytes, 0u);
  EXPECT_EQ(program("command = \"x\"\nstderr_log_maxbytes = \"1GiB\"").stderr_log_maxbytes, 1u << 30);
  std::string file = path("konnectd.toml");
  for (const char* bad : {"\"-1\"", "-1", "\"1.5MB\"", "\"lots\"", "1.5"}) {
    EXPECT_CONFIG_ERROR(program_error(std::string("command = \"x\"\nstdout_log_maxbytes = ") + bad), file, 3,
                        "program.web.stdout_log_maxbytes",
                        R"(expected a size such as "50MB", "512KB", "1GB" or a number of bytes, got )");
  }
}

TEST_F(ConfigLoader, RedirectStderrConflictsWithStderrLog) {
  EXPECT_CONFIG_ERROR(program_error("command = \"x\"\nredirect_stderr = true\nstderr_log = \"auto\""),
                      path("konnectd.toml"), 4, "program.web.stderr_log", "redirect_stderr = true");
  // Either alone is fine, and so is stderr_log with redirect_stderr = false.
  EXPECT_TRUE(program("command = \"x\"\nredirect_stderr = true\nstdout_log = \"out.log\"").redirect_stderr);
  EXPECT_EQ(program("command = \"x\"\nredirect_stderr = false\nstderr_log = \"none\"").stderr_log.kind,
            LogTarget::Kind::None);
}

TEST_F(ConfigLoader, UnknownProgramKeyListsAcceptedKeys) {
  Error e = program_error("command = \"x\"\nprocess_name = \"web_%(process_num)s\"");
  EXPECT_CONFIG_ERROR(e, path("konnectd.toml"), 3, "program.web.process_name", "unknown key; accepted keys: ");
  for (const char* key : {"command", "directory", "umask", "environment", "numprocs_start", "stopwaitsecs",
                          "stderr_log_backups"}) {
    EXPECT_NE(e.message.find(key), std::string::npos) << key;
  }
}

TEST_F(ConfigLoader, ProgramNamesAreChecked) {
  Config c = load_ok("[program.\"a-b.c_d@e\"]\ncommand = \"x\"\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0].name, "a-b.c_d@e");
  for (const char* bad : {"\"a b\"", "\"a:b\"", "\"\"", "\"a/b\"", "\"é\""}) {
    auto r = load(std::string("\n[program.") + bad + "]\ncommand = \"x\"\n");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().line, 2) << bad;
    EXPECT_NE(r.error().message.find("letters, digits and . _ @ -"), std::string::npos) << bad;
  }
  auto r = load("[program.\"a:b\"]\ncommand = \"x\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 1, "program.a:b", "invalid program name 'a:b'");
}

TEST_F(ConfigLoader, ProgramTableShapes) {
  std::string file = path("konnectd.toml");
  auto r = load("program = 5\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 1, "program", "expected [program.NAME] tables, got 5");
  r = load("[program]\nweb = \"x\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 2, "program.web", "expected a [program.web] table, got \"x\"");
  // Dotted keys make a table too.
  Config c = load_ok("program.web.command = \"/bin/true\"\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0].command[0], "/bin/true");
}

TEST_F(ConfigLoader, ProgramsKeepFileOrder) {
  Config c = load_ok("[program.zeta]\ncommand = \"x\"\n[program.alpha]\ncommand = \"x\"\n[program.mid]\ncommand = \"x\"\n");
  ASSERT_EQ(c.programs.size(), 3u);
  EXPECT_EQ(c.programs[0].name, "zeta");
  EXPECT_EQ(c.programs[1].name, "alpha");
  EXPECT_EQ(c.programs[2].name, "mid");
  EXPECT_EQ(c.programs[2].source_line, 5);
}

TEST_F(ConfigLoader, DaemonKeysResolveRelativePaths) {
  Config c = load_ok(R"([konnectd]
socket = "run/k.sock"
log_dir = "logs"
log_file = "/var/log/k.log"
pid_file = "./run/../run/k.pid"
log_level = "DEBUG"
)");
  EXPECT_EQ(c.daemon.socket, path("run/k.sock"));
  EXPECT_EQ(c.daemon.log_dir, path("logs"));
  EXPECT_EQ(c.daemon.log_file, "/var/log/k.log");
  EXPECT_EQ(c.daemon.pid_file, path("run/k.pid"));
  EXPECT_EQ(c.daemon.log_level, "debug");
}

TEST_F(ConfigLoader, LogDirImpliesLogFile) {
  EXPECT_EQ(load_ok("[konnectd]\nlog_dir = \"/srv/logs\"\n").daemon.log_file, "/srv/logs/konnectd.log");
  EXPECT_EQ(load_ok("[konnectd]\nlog_file = \"-\"\nlog_dir = \"/srv/logs\"\n").daemon.log_file, "-");
  EXPECT_EQ(load_ok("[konnectd]\nlog_file = \"d.log\"\n").daemon.log_dir, "/var/log/konnect");
}

TEST_F(ConfigLoader, LogLevels) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_EQ(load_ok(std::string("[konnectd]\nlog_level = \"") + level + "\"\n").daemon.log_level, level);
  }
  auto r = load("[konnectd]\nlog_level = \"verbose\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 2, "konnectd.log_level",
                      "expected one of trace, debug, info, warn, error, critical, off, got \"verbose\"");
}

TEST_F(ConfigLoader, CgroupModes) {
  EXPECT_EQ(load_ok("").daemon.cgroups, CgroupMode::Auto);
  EXPECT_EQ(load_ok("[konnectd]\ncgroups = \"on\"\n").daemon.cgroups, CgroupMode::On);
  EXPECT_EQ(load_ok("[konnectd]\ncgroups = \"off\"\n").daemon.cgroups, CgroupMode::Off);
  auto r = load("[konnectd]\ncgroups = true\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 2, "konnectd.cgroups", "expected one of auto, on, off, got true");
}

// log_timestamps: a program without it takes [konnectd]'s, wherever [konnectd] is written.
TEST_F(ConfigLoader, LogTimestampsDefaultComesFromKonnectd) {
  auto c = load_ok("[program.a]\ncommand = \"x\"\n[program.b]\ncommand = \"x\"\nlog_timestamps = false\n"
                   "[konnectd]\nlog_timestamps = true\n");
  EXPECT_EQ(c.programs[0].log_timestamps, true);
  EXPECT_EQ(c.programs[1].log_timestamps, false);
  EXPECT_EQ(load_ok("[program.a]\ncommand = \"x\"\n").programs[0].log_timestamps, false);
  auto r = load("[program.a]\ncommand = \"x\"\nlog_timestamps = \"yes\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "program.a.log_timestamps", "got \"yes\"");
}

// The daemon log's rotation settings.
TEST_F(ConfigLoader, DaemonLogRotation) {
  auto c = load_ok("[konnectd]\nlog_file_maxbytes = \"1MB\"\nlog_file_backups = 3\n");
  EXPECT_EQ(c.daemon.log_file_maxbytes, 1024u * 1024u);
  EXPECT_EQ(c.daemon.log_file_backups, 3);
  EXPECT_EQ(load_ok("").daemon.log_file_maxbytes, 50u * 1024u * 1024u);
  auto r = load("[konnectd]\nlog_file_backups = -1\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 2, "konnectd.log_file_backups", "-1");
}

// How many control connections one user may hold: 1 to the pool's 256.
TEST_F(ConfigLoader, ClientMaxPerUser) {
  EXPECT_EQ(load_ok("").daemon.client_max_per_user, 32);
  EXPECT_EQ(load_ok("[konnectd]\nclient_max_per_user = 4\n").daemon.client_max_per_user, 4);
  for (const char* bad : {"0", "257", "\"many\""}) {
    auto r = load(std::string("[konnectd]\nclient_max_per_user = ") + bad + "\n");
    ASSERT_FALSE(r) << bad;
    EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 2, "konnectd.client_max_per_user", bad);
  }
}

TEST_F(ConfigLoader, DaemonErrors) {
  std::string file = path("konnectd.toml");
  auto r = load("[konnectd]\nsocket = \"/a\"\nsockett = \"/b\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 3, "konnectd.sockett",
                      "unknown key; accepted keys: socket, log_dir, log_file, pid_file, log_level, log_file_maxbytes, log_file_backups, log_timestamps, environment, socket_group, socket_readonly_group, client_idle_timeout, client_max_per_user, cgroups, include");
  r = load("[konnectd]\nsocket = 1\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 2, "konnectd.socket", "expected a non-empty path string, got 1");
  r = load("[konnectd]\nlog_dir = \"\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 2, "konnectd.log_dir", "got \"\"");
  r = load("konnectd = 1\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 1, "konnectd", "expected a [konnectd] table, got 1");
}

TEST_F(ConfigLoader, UnknownTopLevelKey) {
  auto r = load("[program.web]\ncommand = \"x\"\n\n[supervisord]\nlogfile = \"x\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 4, "supervisord",
                      "unknown top-level key; accepted keys: konnectd, program, eventlistener, group, include");
}

TEST_F(ConfigLoader, TomlSyntaxErrorNamesFileAndLine) {
  auto r = load("[program.web]\ncommand = \"x\"\nautostart = yes\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "", "TOML syntax error: ");
  r = load("[program.web]\ncommand = \"x\"\n[program.web]\ncommand = \"y\"\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("konnectd.toml"), 3, "", "TOML syntax error: ");
}

TEST_F(ConfigLoader, MissingMainFile) {
  auto r = load_config(dir_ / "nope.toml");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), path("nope.toml"), 0, "", "cannot read: No such file or directory");
  r = load_config(dir_, /*allow_insecure_files=*/true);  // its directory is /tmp
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot read: "), std::string::npos);
}

TEST_F(ConfigLoader, FromStringAnchorsRelativePaths) {
  auto r = load_config_from_string("[konnectd]\nsocket = \"k.sock\"\n[program.web]\ncommand = \"x\"\n",
                                   dir_ / "sub/virtual.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->file, path("sub/virtual.toml"));
  EXPECT_EQ(r->daemon.socket, path("sub/k.sock"));
  EXPECT_EQ(r->programs[0].source_file, path("sub/virtual.toml"));
  auto bad = load_config_from_string("\n[program.web]\n", dir_ / "virtual.toml");
  ASSERT_FALSE(bad);
  EXPECT_CONFIG_ERROR(bad.error(), path("virtual.toml"), 2, "program.web.command", "missing required key");
}

TEST_F(ConfigLoader, ErrorToStringHasFileLineKey) {
  Error e = program_error("command = \"x\"\nstartsecs = \"abc\"");
  EXPECT_EQ(e.to_string(), path("konnectd.toml") +
                               R"(:3: key 'program.web.startsecs': expected a duration such as "10s", "2m", )"
                               R"("500ms" or a number of seconds, got "abc")");
}

// The example at the top of docs/configuration.md must stay valid.
TEST_F(ConfigLoader, DocumentationExampleLoads) {
  std::ifstream in(KONNECT_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(in);
  std::stringstream doc;
  doc << in.rdbuf();
  std::string text = doc.str();
  auto begin = text.find("```toml\n");
  ASSERT_NE(begin, std::string::npos);
  begin += 8;
  std::string example = text.substr(begin, text.find("```", begin) - begin);
  auto r = load_config_from_string(example, dir_ / "konnectd.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->programs.size(), 2u);
  EXPECT_EQ(r->programs[0].name, "kano_konnect-uwsgi");
  EXPECT_EQ(r->programs[0].stopsignal, SIGQUIT);
  EXPECT_EQ(r->programs[1].command,
            (std::vector<std::string>{"celery", "-A", "kano_konnect", "worker", "--loglevel=INFO"}));
  EXPECT_EQ(r->programs[1].stopwaitsecs, 600s);
  EXPECT_EQ(r->programs[1].numprocs, 2);
  EXPECT_EQ(r->programs[1].environment.at("C_FORCE_ROOT"), "1");
  ASSERT_EQ(r->groups.size(), 1u);
  EXPECT_EQ(r->daemon.log_file, "/var/log/konnect/konnectd.log");
}

}  // namespace
}  // namespace konnect

namespace konnect::testing {

// backoff_* are durations; the max may not be below the initial delay; startretries takes -1.
TEST_F(ConfigTest, BackoffSettings) {
  const ProgramConfig p = program("command = \"/bin/x\"\nbackoff_initial = \"500ms\"\nbackoff_max = \"5m\"\n"
                                  "backoff_reset = 30\nstartretries = -1");
  EXPECT_EQ(p.backoff_initial, std::chrono::milliseconds(500));
  EXPECT_EQ(p.backoff_max, std::chrono::minutes(5));
  EXPECT_EQ(p.backoff_reset, std::chrono::seconds(30));
  EXPECT_EQ(p.startretries, -1);
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/x\"\nbackoff_max = \"1s\"\nbackoff_initial = \"2s\""),
                      path("konnectd.toml"), 3, "program.web.backoff_max", "at least backoff_initial");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/x\"\nbackoff_initial = 0"), path("konnectd.toml"), 3,
                      "program.web.backoff_initial", "more than 0");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/x\"\nstartretries = -2"), path("konnectd.toml"), 3,
                      "program.web.startretries", "");
}

}  // namespace konnect::testing

namespace konnect::testing {

// Text outside ASCII in comments, strings and keys loads as written (toml++ 3.3 has an
// unreachable branch for some of these characters; this pins down what the build does).
TEST_F(ConfigTest, NonAsciiTextLoads) {
  const Config c = load_ok("# café, ɑ, ゼ\n[program.web]\ncommand = [\"/bin/echo\", \"déjà vu\"]  # été\n"
                           "environment = { \"CLÉ\" = \"ünïcode ɑ\" }\n");
  ASSERT_EQ(c.programs.size(), 1u);
  EXPECT_EQ(c.programs[0].command.back(), "déjà vu");
  EXPECT_EQ(c.programs[0].environment.at("CLÉ"), "ünïcode ɑ");
}

}  // namespace konnect::testing
