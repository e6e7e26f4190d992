// reload's plan: what is added, restarted, updated in place and removed, and the config
// that runs afterwards; update NAME, add and remove on top of it.

#include "common/config/config_diff.hpp"
#include "common/config/config_loader.hpp"
#include "common/config/reload_plan.hpp"

#include <gtest/gtest.h>

using namespace konnect;

namespace {

using Names = std::vector<std::string>;

Config load(const std::string& text) {
  auto c = load_config_from_string(text, "/tmp/konnect-plan-test/konnectd.toml");
  EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
  return c ? *c : Config{};
}

ReloadPlan plan(const Config& running, const Config& next, const Names& only = {}) {
  auto p = plan_reload(running, next, only);
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return p ? *p : ReloadPlan{};
}

const std::string kBase =
    "[program.web]\ncommand = \"/bin/web\"\n"
    "[program.worker]\ncommand = \"/bin/worker\"\n"
    "[program.cron]\ncommand = \"/bin/cron\"\n";

}  // namespace

// Nothing differs: an empty plan, and the result is the running config.
TEST(ReloadPlan, SameConfigIsAnEmptyPlan) {
  const auto p = plan(load(kBase), load(kBase));
  EXPECT_TRUE(p.empty());
  EXPECT_TRUE(diff_configs(load(kBase), p.result).empty());
}

// A new command restarts, a new startretries only updates, a new program is added and a
// missing one removed; the untouched program is in no list.
TEST(ReloadPlan, SortsChangesIntoRestartAndInPlace) {
  const auto p = plan(load(kBase), load("[program.web]\ncommand = \"/bin/web --fast\"\n"
                                        "[program.worker]\ncommand = \"/bin/worker\"\nstartretries = 9\n"
                                        "[program.beat]\ncommand = \"/bin/beat\"\n"));
  EXPECT_EQ(p.added, Names{"beat"});
  EXPECT_EQ(p.restarted, Names{"web"});
  EXPECT_EQ(p.updated, Names{"worker"});
  EXPECT_EQ(p.removed, Names{"cron"});
  ASSERT_NE(p.result.find_program("worker"), nullptr);
  EXPECT_EQ(p.result.find_program("worker")->startretries, 9);
  EXPECT_EQ(p.result.find_program("cron"), nullptr);
}

// Each setting that shapes the process restarts it; the others apply in place.
TEST(ReloadPlan, WhichSettingsNeedARestart) {
  const std::string head = "[program.web]\ncommand = \"/bin/web\"\n";
  for (const std::string line : {"directory = \"/srv\"", "environment = { A = \"1\" }", "numprocs = 2",
                                  "user = \"nobody\"", "umask = \"022\"", "redirect_stderr = true",
                                  "stdout_log = \"none\"", "stderr_log = \"/var/log/x.log\""}) {
    EXPECT_EQ(plan(load(head), load(head + line + "\n")).restarted, Names{"web"}) << line;
  }
  for (const std::string line : {"autorestart = true", "startretries = 1", "startsecs = 5", "stopsignal = \"QUIT\"",
                                  "stopwaitsecs = 600", "stopasgroup = true", "exitcodes = [0, 2]", "priority = 5",
                                  "stdout_log_maxbytes = \"1MB\"", "stderr_log_backups = 2", "log_timestamps = true",
                                  "autostart = false"}) {
    const auto p = plan(load(head), load(head + line + "\n"));
    EXPECT_EQ(p.updated, Names{"web"}) << line;
    EXPECT_TRUE(p.restarted.empty()) << line;
  }
}

// Joining a group changes the process name (group:name): a restart. A group's new priority
// alone is applied in place.
TEST(ReloadPlan, GroupsMembershipRestartsPriorityUpdates) {
  const auto grouped = load(kBase + "[group.app]\nprograms = [\"web\", \"worker\"]\n");
  EXPECT_EQ(plan(load(kBase), grouped).restarted, (Names{"web", "worker"}));
  const auto p = plan(grouped, load(kBase + "[group.app]\nprograms = [\"web\", \"worker\"]\npriority = 5\n"));
  EXPECT_EQ(p.updated, (Names{"web", "worker"}));
  EXPECT_TRUE(p.restarted.empty());
}

// A new log_dir moves "auto" log files: those programs restart, the one with a path does not.
TEST(ReloadPlan, NewLogDirRestartsAutoLogsOnly) {
  const std::string programs = "[program.web]\ncommand = \"/bin/web\"\n"
                               "[program.quiet]\ncommand = \"/bin/q\"\nstdout_log = \"none\"\nstderr_log = \"none\"\n";
  const auto p = plan(load("[konnectd]\nlog_dir = \"/a\"\n" + programs), load("[konnectd]\nlog_dir = \"/b\"\n" + programs));
  EXPECT_EQ(p.restarted, Names{"web"});
  EXPECT_TRUE(p.updated.empty());
}

// The daemon's own files keep the values in use, with a warning; log_level applies.
TEST(ReloadPlan, DaemonFilesWaitForTheNextStart) {
  const auto p = plan(load("[konnectd]\nsocket = \"/run/a.sock\"\n" + kBase),
                      load("[konnectd]\nsocket = \"/run/b.sock\"\nlog_level = \"debug\"\n" + kBase));
  EXPECT_EQ(p.result.daemon.socket, "/run/a.sock");
  EXPECT_EQ(p.result.daemon.log_level, "debug");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("socket"), std::string::npos);
}

// update NAME: only that program is applied; the rest of the difference stays for later.
TEST(ReloadPlan, OnlyNamedProgramsAreApplied) {
  const auto running = load(kBase);
  const auto next = load("[program.web]\ncommand = \"/bin/web --fast\"\n"
                         "[program.worker]\ncommand = \"/bin/worker2\"\n"
                         "[program.beat]\ncommand = \"/bin/beat\"\n");
  const auto p = plan(running, next, {"web", "beat"});
  EXPECT_EQ(p.restarted, Names{"web"});
  EXPECT_EQ(p.added, Names{"beat"});
  EXPECT_TRUE(p.removed.empty());
  const auto rest = diff_configs(p.result, next);
  EXPECT_EQ(rest.changed, Names{"worker"});
  EXPECT_EQ(rest.removed, Names{"cron"});
  EXPECT_TRUE(rest.added.empty());
}

// A group name stands for its programs, in either config; "all" means everything.
TEST(ReloadPlan, GroupNamesAndAll) {
  const auto running = load(kBase);
  const auto next = load(kBase + "[program.beat]\ncommand = \"/bin/beat\"\n[group.jobs]\nprograms = [\"beat\", \"cron\"]\n");
  const auto p = plan(running, next, {"jobs"});
  EXPECT_EQ(p.added, Names{"beat"});
  EXPECT_EQ(p.restarted, Names{"cron"});
  ASSERT_EQ(p.result.groups.size(), 1u);
  EXPECT_EQ(p.result.groups[0].name, "jobs");
  EXPECT_EQ(plan(running, next, {"all"}).added, Names{"beat"});
  auto unknown = plan_reload(running, next, {"nope"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::NoSuchProcess);
}

// add: only what does not run yet; a running name is "already active", an unknown one an error.
TEST(ReloadPlan, AddTakesOnlyNewPrograms) {
  const auto running = load(kBase);
  const auto next = load(kBase + "[program.beat]\ncommand = \"/bin/beat\"\n");
  auto p = plan_add(running, next, {"beat"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->added, Names{"beat"});
  EXPECT_NE(p->result.find_program("beat"), nullptr);
  auto active = plan_add(running, next, {"web"});
  ASSERT_FALSE(active);
  EXPECT_NE(active.error().message.find("already active"), std::string::npos);
  EXPECT_EQ(plan_add(running, next, {"nope"}).error().code, ErrorCode::NoSuchProcess);
}

// remove: a program, or every program of a group; the group goes with its last member.
TEST(ReloadPlan, RemoveDropsProgramsAndEmptyGroups) {
  const auto running = load(kBase + "[group.app]\nprograms = [\"web\", \"worker\"]\n");
  auto p = plan_remove(running, {"app"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->removed, (Names{"web", "worker"}));
  EXPECT_TRUE(p->result.groups.empty());
  ASSERT_EQ(p->result.programs.size(), 1u);
  EXPECT_EQ(p->result.programs[0].name, "cron");
  EXPECT_EQ(plan_remove(running, {"nope"}).error().code, ErrorCode::NoSuchProcess);
}

// update NAME of one member of a group whose priority changed: the group keeps the priority
// it runs with until all its members are applied (then reread has nothing left).
TEST(ReloadPlan, GroupPriorityWaitsForTheWholeGroup) {
  const auto running = load(kBase + "[group.app]\nprograms = [\"web\", \"worker\"]\n");
  const auto next = load(kBase + "[group.app]\nprograms = [\"web\", \"worker\"]\npriority = 5\n");
  const auto one = plan(running, next, {"web"});
  EXPECT_EQ(one.updated, Names{"web"});
  ASSERT_EQ(one.result.groups.size(), 1u);
  EXPECT_EQ(one.result.groups[0].priority, 999);
  EXPECT_EQ(diff_configs(one.result, next).changed, (Names{"web", "worker"}));
  const auto both = plan(running, next, {"app"});
  EXPECT_EQ(both.result.groups[0].priority, 5);
  EXPECT_TRUE(diff_configs(both.result, next).empty());
}
