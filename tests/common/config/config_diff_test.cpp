// reread's diff: per program, added / changed / removed, groups included.

#include "common/config/config_diff.hpp"
#include "common/config/config_loader.hpp"

#include <gtest/gtest.h>

using namespace konnect;

namespace {

Config load(const std::string& text) {
  auto c = load_config_from_string(text, "/tmp/konnect-diff-test/konnectd.toml");
  EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
  return c ? *c : Config{};
}

const std::string kBase =
    "[program.web]\ncommand = \"/bin/web\"\n"
    "[program.worker]\ncommand = \"/bin/worker\"\n"
    "[program.cron]\ncommand = \"/bin/cron\"\n";

}  // namespace

// The same text twice: nothing to do.
TEST(ConfigDiff, IdenticalConfigsHaveNoChanges) {
  EXPECT_TRUE(diff_configs(load(kBase), load(kBase)).empty());
}

// One added, one changed, one removed; the rest untouched; lists sorted.
TEST(ConfigDiff, AddedChangedRemoved) {
  const auto next = load(
      "[program.web]\ncommand = \"/bin/web --fast\"\n"
      "[program.worker]\ncommand = \"/bin/worker\"\n"
      "[program.beat]\ncommand = \"/bin/beat\"\n"
      "[program.alpha]\ncommand = \"/bin/alpha\"\n");
  const auto d = diff_configs(load(kBase), next);
  EXPECT_EQ(d.added, (std::vector<std::string>{"alpha", "beat"}));
  EXPECT_EQ(d.changed, (std::vector<std::string>{"web"}));
  EXPECT_EQ(d.removed, (std::vector<std::string>{"cron"}));
}

// Moving a program into a group changes its name (group:name): it counts as changed.
TEST(ConfigDiff, GroupMembershipCountsAsAChange) {
  const auto d = diff_configs(load(kBase), load(kBase + "[group.app]\nprograms = [\"web\"]\n"));
  EXPECT_EQ(d.changed, (std::vector<std::string>{"web"}));
  EXPECT_TRUE(d.added.empty());
}

// Where a program is written (file, line) is not a change.
TEST(ConfigDiff, MovingTextIsNotAChange) {
  const auto reordered = load(
      "[program.cron]\ncommand = \"/bin/cron\"\n\n\n"
      "[program.worker]\ncommand = \"/bin/worker\"\n"
      "[program.web]\ncommand = \"/bin/web\"\n");
  EXPECT_TRUE(diff_configs(load(kBase), reordered).empty());
}
