#pragma once
// A ProcessHost for unit tests: spawn hands out made-up pids (100, 101, ...), signals are
// recorded, exits are delivered by the test (Process::on_exit), and time is a FakeClock the
// test moves by hand. Nothing is started and nothing waits real time.

#include "daemon/supervision/process.hpp"
#include "daemon/supervision/process_host.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <utility>
#include <vector>

namespace konnect::test {

// wait(2) statuses.
inline int exited(int code) { return (code & 0xff) << 8; }
inline int killed(int sig) { return sig & 0x7f; }

struct FakeHost : ProcessHost {
  pid_t next_pid = 100;
  bool fail_spawn = false;
  int spawns = 0;
  std::vector<std::pair<pid_t, int>> signals;
  std::vector<State> states;
  std::vector<StateChange> changes;
  FakeClock fake_clock;

  Clock& clock() override { return fake_clock; }
  Result<Started> spawn(Process&) override {
    if (fail_spawn) return make_error(ErrorCode::SpawnError, "can't find command 'nope'");
    ++spawns;
    return Started{next_pid++, static_cast<std::uint64_t>(spawns)};
  }
  int send_signal(pid_t pid, int signo) override {
    signals.emplace_back(pid, signo);
    return 0;
  }
  void on_state_change(Process& p, State from) override {
    states.push_back(p.state());
    changes.push_back(p.change_from(from));
  }
};

}  // namespace konnect::test
