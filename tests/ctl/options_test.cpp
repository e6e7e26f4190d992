// tests ctl/options.cpp: global options before the command, the rest handed over untouched.
#include "ctl/options.hpp"

#include <gtest/gtest.h>

namespace konnect::ctl {
namespace {

Invocation parse_ok(const std::vector<std::string>& args) {
  auto inv = parse_options(args);
  EXPECT_TRUE(inv.has_value()) << (inv ? "" : inv.error().message);
  return inv ? *inv : Invocation{};
}

std::string parse_error(const std::vector<std::string>& args) {
  auto inv = parse_options(args);
  EXPECT_FALSE(inv.has_value());
  if (inv) return {};
  EXPECT_EQ(inv.error().code, ErrorCode::BadArguments);
  return inv.error().message;
}

// No arguments at all means `status` of everything, with no option set.
TEST(OptionsTest, NoCommandMeansStatus) {
  Invocation inv = parse_ok({});
  EXPECT_EQ(inv.command, "status");
  EXPECT_TRUE(inv.args.empty());
  EXPECT_TRUE(inv.config_file.empty());
  EXPECT_TRUE(inv.socket.empty());
  EXPECT_FALSE(inv.json);
  EXPECT_FALSE(inv.help);
}

// Options alone still default the command to status.
TEST(OptionsTest, OptionsWithoutCommandMeanStatus) {
  Invocation inv = parse_ok({"--json", "-s", "/tmp/k.sock"});
  EXPECT_EQ(inv.command, "status");
  EXPECT_TRUE(inv.json);
  EXPECT_EQ(inv.socket, "/tmp/k.sock");
}

// The command and its arguments come through as written, targets included.
TEST(OptionsTest, CommandAndArgumentsAsWritten) {
  Invocation inv = parse_ok({"restart", "web", "workers:*", "workers:w_01", "all"});
  EXPECT_EQ(inv.command, "restart");
  EXPECT_EQ(inv.args, (std::vector<std::string>{"web", "workers:*", "workers:w_01", "all"}));
}

// -c takes its value in all four spellings.
TEST(OptionsTest, ConfigOptionSpellings) {
  EXPECT_EQ(parse_ok({"-c", "/etc/a.toml", "status"}).config_file, "/etc/a.toml");
  EXPECT_EQ(parse_ok({"-c/etc/b.toml"}).config_file, "/etc/b.toml");
  EXPECT_EQ(parse_ok({"--config", "c.toml"}).config_file, "c.toml");
  EXPECT_EQ(parse_ok({"--config=d.toml", "pid"}).config_file, "d.toml");
}

// -s takes its value in all four spellings.
TEST(OptionsTest, SocketOptionSpellings) {
  EXPECT_EQ(parse_ok({"-s", "/run/a.sock"}).socket, "/run/a.sock");
  EXPECT_EQ(parse_ok({"-s/run/b.sock"}).socket, "/run/b.sock");
  EXPECT_EQ(parse_ok({"--socket", "c.sock"}).socket, "c.sock");
  EXPECT_EQ(parse_ok({"--socket=d.sock"}).socket, "d.sock");
}

// Every global option at once, in any order, before the command.
TEST(OptionsTest, AllGlobalOptionsTogether) {
  Invocation inv = parse_ok({"--json", "-c", "k.toml", "-s", "k.sock", "stop", "web"});
  EXPECT_TRUE(inv.json);
  EXPECT_EQ(inv.config_file, "k.toml");
  EXPECT_EQ(inv.socket, "k.sock");
  EXPECT_EQ(inv.command, "stop");
  EXPECT_EQ(inv.args, std::vector<std::string>{"web"});
}

// -h and --help set help, with or without a command.
TEST(OptionsTest, HelpFlags) {
  EXPECT_TRUE(parse_ok({"-h"}).help);
  EXPECT_TRUE(parse_ok({"--help", "status"}).help);
  EXPECT_FALSE(parse_ok({"status"}).help);
}

// Words after the command are the command's, even when they look like global options.
TEST(OptionsTest, OptionsAfterCommandBelongToIt) {
  Invocation inv = parse_ok({"status", "--json", "-s", "x"});
  EXPECT_FALSE(inv.json);
  EXPECT_TRUE(inv.socket.empty());
  EXPECT_EQ(inv.args, (std::vector<std::string>{"--json", "-s", "x"}));
}

// "--" ends the options; the next word is the command.
TEST(OptionsTest, DoubleDashEndsOptions) {
  Invocation inv = parse_ok({"--json", "--", "pid", "web"});
  EXPECT_TRUE(inv.json);
  EXPECT_EQ(inv.command, "pid");
  EXPECT_EQ(inv.args, std::vector<std::string>{"web"});
}

TEST(OptionsTest, UnknownOptionIsUsageError) {
  EXPECT_EQ(parse_error({"-x", "status"}), "unknown option '-x'");
  EXPECT_EQ(parse_error({"--jsonx"}), "unknown option '--jsonx'");
  EXPECT_EQ(parse_error({"--configfile=a"}), "unknown option '--configfile=a'");
}

TEST(OptionsTest, MissingOptionValueIsUsageError) {
  EXPECT_EQ(parse_error({"-c"}), "option '-c' requires an argument");
  EXPECT_EQ(parse_error({"--socket"}), "option '--socket' requires an argument");
}

TEST(OptionsTest, EmptyOptionValueIsUsageError) {
  EXPECT_EQ(parse_error({"-s", ""}), "option '-s' requires a non-empty argument");
  EXPECT_EQ(parse_error({"--config="}), "option '--config' requires a non-empty argument");
}

}  // namespace
}  // namespace konnect::ctl
