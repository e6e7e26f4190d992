// Signal names <-> numbers for stopsignal, `konnectctl signal` and status output.
// The table is Linux's standard signals (signal(7)); real-time signals go by number.

#include "common/signal_names.hpp"

#include <csignal>

namespace konnect {
namespace {

struct SignalName {
  std::string_view name;
  int signo;
};

// The first entry for a number is its canonical name; the later ones are aliases.
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},     {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},     {"CONT", SIGCONT},     {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"PWR", SIGPWR},       {"SYS", SIGSYS},
    // Aliases, accepted but never printed.
    {"IOT", SIGABRT},      {"CLD", SIGCHLD},      {"POLL", SIGIO},
};

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 3) return std::nullopt;
    int n = 0;
    for (char c : text) n = n * 10 + (c - '0');
    // Signal 0 only probes for a process; it cannot stop or notify anything.
    if (n < 1 || n >= NSIG) return std::nullopt;
    return n;
  }
  std::string upper;
  for (char c : text) upper += to_upper(c);
  std::string_view name = upper;
  if (name.size() > 3 && name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (const auto& s : kSignals) {
    if (s.name == name) return s.signo;
  }
  return std::nullopt;
}

std::string signal_name(int signo) {
  for (const auto& s : kSignals) {
    if (s.signo == signo) return std::string(s.name);
  }
  return std::to_string(signo);
}

}  // namespace konnect
