// Tests for common/config/config.cpp: ProgramConfig equality (what reload compares) and lookups.

#include "common/config/config.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using namespace std::chrono_literals;

TEST(ProgramConfigEquality, IgnoresOnlyWhereItWasWritten) {
  ProgramConfig a;
  a.name = "web";
  a.command = {"/bin/true"};
  ProgramConfig b = a;
  b.source_file = "/elsewhere.toml";
  b.source_line = 42;
  EXPECT_EQ(a, b);
  std::vector<void (*)(ProgramConfig&)> changes = {
      [](ProgramConfig& p) { p.name = "x"; },
      [](ProgramConfig& p) { p.command.push_back("-v"); },
      [](ProgramConfig& p) { p.directory = "/tmp"; },
      [](ProgramConfig& p) { p.user = "root"; },
      [](ProgramConfig& p) { p.group = "root"; },
      [](ProgramConfig& p) { p.umask = 022; },
      [](ProgramConfig& p) { p.environment["A"] = "1"; },
      [](ProgramConfig& p) { p.numprocs = 2; },
      [](ProgramConfig& p) { p.numprocs_start = 1; },
      [](ProgramConfig& p) { p.priority = 1; },
      [](ProgramConfig& p) { p.autostart = false; },
      [](ProgramConfig& p) { p.autorestart = AutoRestart::Always; },
      [](ProgramConfig& p) { p.exitcodes = {0, 2}; },
      [](ProgramConfig& p) { p.startsecs = 2s; },
      [](ProgramConfig& p) { p.startretries = 4; },
      [](ProgramConfig& p) { p.stopsignal = SIGQUIT; },
      [](ProgramConfig& p) { p.stopwaitsecs = 1s; },
      [](ProgramConfig& p) { p.stopasgroup = true; },
      [](ProgramConfig& p) { p.killasgroup = false; },
      [](ProgramConfig& p) { p.redirect_stderr = true; },
      [](ProgramConfig& p) { p.stdout_log.kind = LogTarget::Kind::None; },
      [](ProgramConfig& p) { p.stderr_log = {LogTarget::Kind::Path, "/x"}; },
      [](ProgramConfig& p) { p.stdout_log_maxbytes = 1; },
      [](ProgramConfig& p) { p.stderr_log_maxbytes = 1; },
      [](ProgramConfig& p) { p.stdout_log_backups = 1; },
      [](ProgramConfig& p) { p.stderr_log_backups = 1; },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    ProgramConfig c = a;
    changes[i](c);
    EXPECT_FALSE(a == c) << "change #" << i;
  }
}

TEST(ConfigFindProgram, FindsByNameOrNull) {
  Config c;
  c.programs.resize(2);
  c.programs[0].name = "web";
  c.programs[1].name = "worker";
  ASSERT_NE(c.find_program("worker"), nullptr);
  EXPECT_EQ(c.find_program("worker"), &c.programs[1]);
  EXPECT_EQ(c.find_program("web"), &c.programs[0]);
  EXPECT_EQ(c.find_program("wor"), nullptr);
  EXPECT_EQ(c.find_program(""), nullptr);
}

}  // namespace
}  // namespace konnect
