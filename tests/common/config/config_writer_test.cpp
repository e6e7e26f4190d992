// The config as TOML text (common/config/config_writer): every setting a config can hold is
// written, so loading the text gives the same config back. konnectctl reexec hands the
// running config to the next image this way: a setting the writer forgot would be lost in
// an upgrade (it was, for ready, health, sockets, restart and the like, before this test).

#include "common/config/config_writer.hpp"
#include "tests/common/config/config_test_util.hpp"
#include "tests/temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>

using namespace konnect;

namespace {

using ConfigWriter = konnect::testing::ConfigTest;

// Every key of [konnectd] and of a program, none at its default.
const char* kEverything = R"([konnectd]
socket = "/tmp/k/k.sock"
log_dir = "/tmp/k/logs"
log_file = "/tmp/k/konnectd.log"
pid_file = "/tmp/k/k.pid"
log_level = "debug"
log_file_maxbytes = "1MB"
log_file_backups = 3
log_timestamps = true
environment = { A = "1" }
socket_group = "root"
socket_readonly_group = "nogroup"
client_idle_timeout = "30s"
client_max_per_user = 8
cgroups = "off"

[program.db]
command = ["/bin/db"]

[program.migrate]
command = ["/bin/migrate"]
autorestart = false
startsecs = 0

[program."web.v2"]
command = ["/bin/web", "--port", "9090"]
directory = "/srv"
user = "nobody"
group = "nogroup"
umask = "027"
environment = { B = "2", A = "own" }
numprocs = 2
numprocs_start = 1
priority = 5
autostart = false
autorestart = true
exitcodes = [0, 2]
startsecs = "3s"
startretries = 7
backoff_initial = "2s"
backoff_max = "30s"
backoff_reset = "20s"
stopsignal = "INT"
stopwaitsecs = "20s"
stop_prelude = { signal = "TSTP", wait = "300ms" }
stdout_events_enabled = true
stderr_events_enabled = true
stopasgroup = true
killasgroup = false
stdout_log = "/tmp/k/web.out"
stderr_log = "none"
stdout_log_maxbytes = "2MB"
stderr_log_maxbytes = "3MB"
stdout_log_backups = 4
stderr_log_backups = 5
log_timestamps = false
ready = { log = 'accepting requests$', timeout = "90s" }
health = { http = "http://127.0.0.1:9090/health", interval = "5s", timeout = "1s", failures = 2 }
watchdog = "15s"
depends_on = { db = "running", migrate = "completed" }
sockets = ["tcp://127.0.0.1:9090", { address = "unix:/tmp/k/web.sock", name = "admin", backlog = 64, mode = "0660" }]
restart = "rolling"

[program.checker]
command = ["/bin/checker"]
stop_prelude = { signal = "USR1" }
ready = { exec = ["/bin/true", "x y"], interval = "100ms", probe_timeout = "1s" }
health = { tcp = "127.0.0.1:1" }

[program.notifier]
command = ["/bin/n"]
ready = { notify = true }
redirect_stderr = true

[group.front]
programs = ["checker", "notifier"]
priority = 7
)";

}  // namespace

TEST_F(ConfigWriter, EverySettingComesBack) {
  const Config original = load_ok(kEverything);
  ASSERT_EQ(original.programs.size(), 5u);
  const std::string text = write_toml_config(original, "");
  const Config again = load_ok(text);
  EXPECT_TRUE(again.daemon == original.daemon) << text;
  ASSERT_EQ(again.programs.size(), original.programs.size()) << text;
  for (const auto& p : original.programs) {
    const ProgramConfig* q = again.find_program(p.name);
    ASSERT_NE(q, nullptr) << p.name << "\n" << text;
    EXPECT_TRUE(*q == p) << p.name << "\n" << text;
  }
  EXPECT_EQ(again.groups, original.groups) << text;
  // And the text is stable: written again, the same.
  EXPECT_EQ(write_toml_config(again, ""), text);
}

namespace konnect {
namespace {

// An [eventlistener.NAME] is written as one, with its events, and reads back the same.
TEST(ConfigWriterListener, ListenersRoundTrip) {
  test::TempDir dir;
  const auto file = dir.path() / "k.toml";
  std::ofstream(file) << "[eventlistener.memmon]\ncommand = \"memmon -a 200MB\"\nevents = [\"TICK_60\", \"PROCESS_STATE_EXITED\"]\n"
                         "buffer_size = 50\n\n[eventlistener.late]\ncommand = \"x\"\nevents = \"PROCESS_STATE\"\npriority = 999\n";
  auto first = load_config(file);
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_TRUE(first->programs.at(0).listener);
  EXPECT_EQ(first->programs[0].listener->buffer_size, 50);
  EXPECT_EQ(first->programs[0].priority, -1);
  EXPECT_EQ(first->programs[1].priority, 999);
  const std::string text = write_toml_config(*first, "");
  EXPECT_NE(text.find("[eventlistener.memmon]"), std::string::npos) << text;
  std::ofstream(file) << text;
  auto again = load_config(file);
  ASSERT_TRUE(again) << again.error().to_string() << "\n" << text;
  EXPECT_EQ(again->programs, first->programs);
}

}  // namespace
}  // namespace konnect
