// AccessPolicy: root and konnectd's own user get everything, socket_group members
// everything, socket_readonly_group members read-only, anyone else nothing. Membership is
// the peer's effective gid or a supplementary group read from its /proc/PID/status: a real
// child with groups of its own stands in for a client.

#include "daemon/control/access_policy.hpp"

#include <gtest/gtest.h>

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace konnect;

namespace {

// A child whose supplementary groups are exactly `groups`; killed and reaped on destruction.
struct PeerProcess {
  explicit PeerProcess(std::vector<gid_t> groups) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      const char ok = ::setgroups(groups.size(), groups.data()) == 0 ? '1' : '0';
      (void)!::write(ready[1], &ok, 1);
      ::pause();
      ::_exit(0);
    }
    ::close(ready[1]);
    char ok = 0;
    EXPECT_EQ(::read(ready[0], &ok, 1), 1);
    EXPECT_EQ(ok, '1') << "setgroups in the child (the tests run as root)";
    ::close(ready[0]);
  }
  ~PeerProcess() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  pid_t pid = -1;
};

constexpr uid_t kStranger = 4321;
constexpr gid_t kDaemonGroup = 1;  // "daemon" and "bin" on Debian
constexpr gid_t kBinGroup = 2;

DaemonConfig groups(std::string full, std::string read_only) {
  DaemonConfig config;
  config.socket_group = std::move(full);
  config.socket_readonly_group = std::move(read_only);
  return config;
}

}  // namespace

TEST(AccessPolicyTest, RootAndOwnUserHaveFullAccessOthersNone) {
  AccessPolicy policy = *AccessPolicy::create(DaemonConfig{});
  EXPECT_EQ(policy.decide({1, 0, 0}), Access::Full);
  EXPECT_EQ(policy.decide({1, ::geteuid(), 0}), Access::Full);
  EXPECT_TRUE(policy.is_privileged({1, ::geteuid(), 0}));
  EXPECT_EQ(policy.decide({::getpid(), kStranger, 5555}), Access::None);
  EXPECT_FALSE(policy.is_privileged({1, kStranger, 5555}));
  EXPECT_FALSE(policy.socket_gid());
}

TEST(AccessPolicyTest, EffectiveGroupDecides) {
  AccessPolicy policy = *AccessPolicy::create(groups("daemon", "bin"));
  EXPECT_EQ(policy.socket_gid(), kDaemonGroup);
  EXPECT_TRUE(policy.has_read_only_group());
  PeerProcess peer({});
  EXPECT_EQ(policy.decide({peer.pid, kStranger, kDaemonGroup}), Access::Full);
  EXPECT_EQ(policy.decide({peer.pid, kStranger, kBinGroup}), Access::ReadOnly);
  EXPECT_EQ(policy.decide({peer.pid, kStranger, 5555}), Access::None);
}

TEST(AccessPolicyTest, SupplementaryGroupsComeFromTheClientsProc) {
  AccessPolicy policy = *AccessPolicy::create(groups("daemon", "bin"));
  {
    PeerProcess full({7, kDaemonGroup});
    EXPECT_EQ(policy.decide({full.pid, kStranger, 5555}), Access::Full);
  }
  {
    PeerProcess both({kBinGroup, kDaemonGroup});
    EXPECT_EQ(policy.decide({both.pid, kStranger, 5555}), Access::Full) << "the larger right wins";
  }
  PeerProcess read_only({kBinGroup});
  EXPECT_EQ(policy.decide({read_only.pid, kStranger, 5555}), Access::ReadOnly);
  PeerProcess neither({7, 8});
  EXPECT_EQ(policy.decide({neither.pid, kStranger, 5555}), Access::None);
}

TEST(AccessPolicyTest, APeerThatIsGoneGetsNothingThroughGroups) {
  AccessPolicy policy = *AccessPolicy::create(groups("daemon", ""));
  pid_t gone = 0;
  {
    PeerProcess peer({kDaemonGroup});
    gone = peer.pid;
  }
  EXPECT_EQ(policy.decide({gone, kStranger, 5555}), Access::None);
}

TEST(AccessPolicyTest, AnUnknownGroupIsAConfigError) {
  auto policy = AccessPolicy::create(groups("no-such-group-konnect", ""));
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().code, ErrorCode::Config);
  EXPECT_EQ(policy.error().message, "no such group 'no-such-group-konnect'");
}
