// ready = {...}, health = {...} and stop_prelude = {...}: every probe kind and limit, the defaults, and the errors
// for what is not accepted (file, line, key and what would be).

#include "tests/common/config/config_test_util.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using namespace std::chrono_literals;
using ConfigChecks = testing::ConfigTest;

constexpr const char* kCommand = "command = \"/bin/true\"\n";

TEST_F(ConfigChecks, ReadyDefaultsAndEveryKind) {
  ProgramConfig p = program(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:9090\" }");
  ASSERT_TRUE(p.ready);
  EXPECT_EQ(p.ready->probe.kind, ProbeTarget::Kind::Tcp);
  EXPECT_EQ(p.ready->probe.host, "127.0.0.1");
  EXPECT_EQ(p.ready->probe.port, 9090);
  EXPECT_EQ(p.ready->timeout, 60s);
  EXPECT_EQ(p.ready->interval, 500ms);
  EXPECT_EQ(p.ready->probe_timeout, 2s);
  EXPECT_FALSE(p.health);

  p = program(std::string(kCommand) + "ready = { tcp = \"[::1]:80\", timeout = \"5s\", interval = 1, probe_timeout = \"300ms\" }");
  EXPECT_EQ(p.ready->probe.host, "::1");
  EXPECT_EQ(p.ready->probe.port, 80);
  EXPECT_EQ(p.ready->timeout, 5s);
  EXPECT_EQ(p.ready->interval, 1s);
  EXPECT_EQ(p.ready->probe_timeout, 300ms);

  p = program(std::string(kCommand) + "ready = { http = \"http://localhost:9090/health?full=1\" }");
  EXPECT_EQ(p.ready->probe.kind, ProbeTarget::Kind::Http);
  EXPECT_EQ(p.ready->probe.host, "localhost");
  EXPECT_EQ(p.ready->probe.port, 9090);
  EXPECT_EQ(p.ready->probe.path, "/health?full=1");
  p = program(std::string(kCommand) + "ready = { http = \"http://127.0.0.1\" }");
  EXPECT_EQ(p.ready->probe.port, 80);
  EXPECT_EQ(p.ready->probe.path, "/");

  p = program(std::string(kCommand) + "ready = { exec = \"celery -A kano_konnect inspect ping\" }");
  EXPECT_EQ(p.ready->probe.kind, ProbeTarget::Kind::Exec);
  EXPECT_EQ(p.ready->probe.command, (std::vector<std::string>{"celery", "-A", "kano_konnect", "inspect", "ping"}));

  p = program(std::string(kCommand) + "ready = { log = '\\S+@\\S+ ready\\.' }");
  EXPECT_EQ(p.ready->probe.kind, ProbeTarget::Kind::Log);
  EXPECT_EQ(p.ready->probe.text, "\\S+@\\S+ ready\\.");
}

TEST_F(ConfigChecks, HealthDefaults) {
  ProgramConfig p = program(std::string(kCommand) + "health = { http = \"http://127.0.0.1:9090/\" }");
  ASSERT_TRUE(p.health);
  EXPECT_EQ(p.health->interval, 10s);
  EXPECT_EQ(p.health->timeout, 2s);
  EXPECT_EQ(p.health->failures, 3);
  p = program(std::string(kCommand) + "health = { exec = [\"true\"], interval = \"1s\", timeout = \"1s\", failures = 1 }");
  EXPECT_EQ(p.health->probe.kind, ProbeTarget::Kind::Exec);
  EXPECT_EQ(p.health->failures, 1);
}

TEST_F(ConfigChecks, BadValuesNameKeyAndWhatIsAccepted) {
  const std::string file = path("konnectd.toml");
  auto e = program_error(std::string(kCommand) + "ready = { tcp = \"9090\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.tcp", "expected an address such as \"127.0.0.1:9090\"");
  e = program_error(std::string(kCommand) + "ready = { tcp = \"::1:9090\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.tcp", "\"[::1]:9090\"");
  e = program_error(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:70000\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.tcp", "expected an address");
  e = program_error(std::string(kCommand) + "ready = { http = \"https://127.0.0.1/\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.http", "https is not supported");
  e = program_error(std::string(kCommand) + "ready = { http = \"127.0.0.1:9090\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.http", "expected an http:// URL");
  e = program_error(std::string(kCommand) + "ready = { log = \"(unclosed\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.log", "not a valid regular expression");
  e = program_error(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:1\", log = \"x\" }");
  // (toml++ gives the keys of a table in sorted order)
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.tcp", "only one check per table: 'log' is set already");
  e = program_error(std::string(kCommand) + "ready = { timeout = \"5s\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready", "missing the check; expected one of http, tcp, exec, log, notify");
  e = program_error(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:1\", every = \"1s\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.every",
                      "unknown key; accepted keys: http, tcp, exec, log, notify, timeout, interval, probe_timeout");
  e = program_error(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:1\", interval = 0 }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready.interval", "must be more than 0");
  e = program_error(std::string(kCommand) + "ready = \"tcp\"");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.ready", "expected an inline table");
  e = program_error(std::string(kCommand) + "health = { log = \"x\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.health.log", "accepted keys: http, tcp, exec, interval, timeout, failures");
  e = program_error(std::string(kCommand) + "health = { tcp = \"127.0.0.1:1\", failures = 0 }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.health.failures", "expected an integer");
  e = program_error(std::string(kCommand) + "stdout_log = \"none\"\nstderr_log = \"none\"\nready = { log = \"up\" }");
  EXPECT_CONFIG_ERROR(e, file, 5, "program.web.ready.log", "stdout_log and stderr_log are both \"none\"");
}

// stop_prelude = { signal, wait }: the signal is required, wait defaults to 200ms.
TEST_F(ConfigChecks, StopPrelude) {
  ProgramConfig p = program(std::string(kCommand) + "stop_prelude = { signal = \"TSTP\" }");
  ASSERT_TRUE(p.stop_prelude);
  EXPECT_EQ(p.stop_prelude->signal, SIGTSTP);
  EXPECT_EQ(p.stop_prelude->wait, 200ms);
  p = program(std::string(kCommand) + "stop_prelude = { signal = \"USR1\", wait = \"2s\" }");
  EXPECT_EQ(p.stop_prelude->signal, SIGUSR1);
  EXPECT_EQ(p.stop_prelude->wait, 2s);
  EXPECT_FALSE(program(kCommand).stop_prelude);

  const std::string file = path("konnectd.toml");
  auto e = program_error(std::string(kCommand) + "stop_prelude = { wait = \"1s\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.stop_prelude", "missing the signal");
  e = program_error(std::string(kCommand) + "stop_prelude = { signal = \"PAUSE\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.stop_prelude.signal", "expected a signal name");
  e = program_error(std::string(kCommand) + "stop_prelude = { signal = \"TSTP\", wait = \"2m\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.stop_prelude.wait", "must be at most 60s");
  e = program_error(std::string(kCommand) + "stop_prelude = { signal = \"TSTP\", wait = 0 }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.stop_prelude.wait", "must be more than 0");
  e = program_error(std::string(kCommand) + "stop_prelude = { signal = \"TSTP\", then = \"TERM\" }");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.stop_prelude.then", "unknown key; accepted keys: signal, wait");
  e = program_error(std::string(kCommand) + "stop_prelude = \"TSTP\"");
  EXPECT_CONFIG_ERROR(e, file, 3, "program.web.stop_prelude", "expected an inline table");
}

// A change of ready or health is a change of the program, applied in place.
TEST_F(ConfigChecks, ChangesAreInPlace) {
  ProgramConfig a = program(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:1\" }");
  ProgramConfig b = program(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:2\" }");
  ProgramConfig c = program(std::string(kCommand) + "ready = { tcp = \"127.0.0.1:2\" }\nhealth = { tcp = \"127.0.0.1:2\" }");
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(b == c);
  EXPECT_FALSE(needs_restart(a, b));
  EXPECT_FALSE(needs_restart(b, c));
}

}  // namespace
}  // namespace konnect
