// Tests for common/signal_names.cpp: signal names and numbers both ways.

#include "common/signal_names.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace konnect {
namespace {

TEST(ParseSignal, AcceptsNamePrefixedLowercaseAndNumber) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(parse_signal("term"), SIGTERM);
  EXPECT_EQ(parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(parse_signal("15"), SIGTERM);
  EXPECT_EQ(parse_signal("QUIT"), SIGQUIT);
  EXPECT_EQ(parse_signal("9"), SIGKILL);
}

TEST(ParseSignal, KnowsEveryStandardLinuxSignal) {
  const std::pair<const char*, int> expected[] = {
      {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},   {"TRAP", SIGTRAP},
      {"ABRT", SIGABRT},   {"BUS", SIGBUS},       {"FPE", SIGFPE},     {"KILL", SIGKILL}, {"USR1", SIGUSR1},
      {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
      {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
      {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
      {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},
      {"SYS", SIGSYS},
  };
  for (const auto& [name, signo] : expected) {
    EXPECT_EQ(parse_signal(name), signo) << name;
    EXPECT_EQ(parse_signal(std::string("SIG") + name), signo) << name;
    EXPECT_EQ(signal_name(signo), name);
  }
}

TEST(ParseSignal, AcceptsAliases) {
  EXPECT_EQ(parse_signal("IOT"), SIGABRT);
  EXPECT_EQ(parse_signal("CLD"), SIGCHLD);
  EXPECT_EQ(parse_signal("POLL"), SIGIO);
  EXPECT_EQ(signal_name(SIGABRT), "ABRT");
}

TEST(ParseSignal, RealTimeSignalsGoByNumber) {
  EXPECT_EQ(parse_signal(std::to_string(SIGRTMIN)), SIGRTMIN);
  EXPECT_EQ(parse_signal("64"), 64);
  EXPECT_EQ(signal_name(SIGRTMIN), std::to_string(SIGRTMIN));
}

TEST(ParseSignal, RejectsJunk) {
  for (const char* junk : {"", "SIG", "FOO", "SIGFOO", "0", "65", "1000", "-15", "15x", " TERM", "TERM ",
                           "SIG15"}) {
    EXPECT_EQ(parse_signal(junk), std::nullopt) << junk;
  }
}

TEST(SignalName, UnknownNumberPrintsNumber) {
  EXPECT_EQ(signal_name(SIGTERM), "TERM");
  EXPECT_EQ(signal_name(200), "200");
}

}  // namespace
}  // namespace konnect
