// The control socket's locks (issue 5): who may connect and what they may do, checked with a
// real non-root user created for the test; limits on idle, half-sent, oversized and
// malformed connections while many clients ask status.

#include "accounts.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace konnect::test;

namespace {

// The test's user and groups (removed again at the end).
struct TestAccounts {
  TestUser user{"konnect-test-user"};
  TestGroup rw{"konnect-test-rw"};
  TestGroup ro{"konnect-test-ro"};
  bool ok = user.ok() && rw.ok() && ro.ok();
  uid_t uid = user.uid();

  CommandResult ctl_as(Konnectd& d, const std::vector<gid_t>& groups, const std::vector<std::string>& args) const {
    return user.ctl(d, groups, args);
  }
};

std::string program(const std::string& name) {
  return "[program." + name + "]\n" + testchild_command({}) + "startsecs = 0\n";
}

}  // namespace

// root:socket_group 0660 by default; with a read-only group 0666 and the peer check decides:
// outsiders are refused, read-only members may only look, socket_group members may act.
TEST(Access, PeerCredentialsDecide) {
  TestAccounts accounts;
  ASSERT_TRUE(accounts.ok) << "could not create the test user and groups";
  Konnectd d(program("web"), "socket_group = \"" + accounts.rw.name() + "\"\nsocket_readonly_group = \"" + accounts.ro.name() + "\"\n");
  ASSERT_EQ(::chmod(d.dir().c_str(), 0755), 0);  // the user must reach the socket; still root's to write
  ASSERT_TRUE(d.start()) << d.daemon_log();
  struct stat st{};
  ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, accounts.rw.gid());
  EXPECT_EQ(st.st_mode & 0777, 0666u);

  auto r = accounts.ctl_as(d, {}, {"status"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  r = accounts.ctl_as(d, {accounts.ro.gid()}, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("web "), std::string::npos);
  r = accounts.ctl_as(d, {accounts.ro.gid()}, {"stop", "web"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  r = accounts.ctl_as(d, {accounts.rw.gid()}, {"stop", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(d.state_of("web"), "STOPPED");
  EXPECT_NE(d.daemon_log().find("uid " + std::to_string(accounts.uid)), std::string::npos);
}

// Without groups the socket is root's alone (0660): another user cannot even connect.
TEST(Access, OnlyRootByDefault) {
  TestAccounts accounts;
  ASSERT_TRUE(accounts.ok);
  Konnectd d(program("web"));
  ASSERT_EQ(::chmod(d.dir().c_str(), 0755), 0);
  ASSERT_TRUE(d.start());
  struct stat st{};
  ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_uid, 0u);
  auto r = accounts.ctl_as(d, {}, {"status"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("ermission denied"), std::string::npos) << r.err;
}

// A socket directory that others may write is refused at start, with the reason; so is a
// config file they may write (unless --allow-insecure-config).
TEST(Access, WritableSocketDirectoryAndConfigAreRefused) {
  Konnectd d(program("web"));
  ASSERT_EQ(::chmod(d.config_file().c_str(), 0666), 0);
  EXPECT_FALSE(d.start());  // konnectd exits 1 before READY
  ASSERT_EQ(::chmod(d.config_file().c_str(), 0644), 0);
  Konnectd e(program("web"));
  ASSERT_EQ(::chmod(e.dir().c_str(), 0777), 0);
  e.allow_insecure_config();  // the config's directory is the socket's here
  EXPECT_FALSE(e.start());
  EXPECT_NE(e.daemon_log().find("is writable by others than root"), std::string::npos) << e.daemon_log();
  ::chmod(e.dir().c_str(), 0700);
}

// Config trust on the real binary: the error names the file; --check says it too.
TEST(Access, InsecureConfigFileIsNamed) {
  Konnectd d(program("web"));
  ASSERT_EQ(::chmod(d.config_file().c_str(), 0664), 0);
  auto r = run_command({kKonnectd, "--check", "-c", d.config_file().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(d.config_file().string() + ": the file (mode 0664"), std::string::npos) << r.err;
  EXPECT_EQ(run_command({kKonnectd, "--check", "--allow-insecure-config", "-c", d.config_file().string()}).exit_code, 0);
}

// Half-sent, idle, oversized and malformed connections do not keep 200 clients from their
// answers; the idle and half-sent ones are closed after client_idle_timeout, while a start
// that takes longer than that is still answered.
TEST(Access, HostileConnectionsAndManyClients) {
  Konnectd d(program("web") + "[program.slow]\n" + testchild_command({}) + "autostart = false\nstartsecs = 1\n",
             "client_idle_timeout = \"300ms\"\n");
  ASSERT_TRUE(d.start());
  std::vector<std::unique_ptr<RawClient>> hostile;
  for (int i = 0; i < 5; ++i) {
    hostile.push_back(std::make_unique<RawClient>(d.socket()));                        // idle
    hostile.push_back(std::make_unique<RawClient>(d.socket()));
    hostile.back()->send(R"({"id":1,"cmd":"sta)");                                    // half-sent
    hostile.push_back(std::make_unique<RawClient>(d.socket()));
    hostile.back()->send(std::string(2 * 1024 * 1024, 'x'));                           // oversized
    hostile.push_back(std::make_unique<RawClient>(d.socket()));
    hostile.back()->send("{not json\n");                                               // malformed
  }
  RunningCtl slow_start(d, {"start", "slow"});
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<RawClient>(d.socket()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    clients.back()->send("{\"id\":" + std::to_string(i) + ",\"cmd\":\"status\"}\n");
  }
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    auto a = clients[i]->answer();
    if (a.is_object() && a["id"] == i && a["ok"] == true) ++answered;
  }
  EXPECT_EQ(answered, 200);
  // The idle and half-sent connections are closed by the daemon: EOF well before 5 s.
  for (int i = 0; i < 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(hostile[i]->line(5s), "");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s) << "connection " << i << " was not closed";
  }
  EXPECT_EQ(hostile[2]->answer()["error"]["code"], "REQUEST_TOO_LARGE");
  EXPECT_EQ(hostile[3]->answer()["error"]["code"], "BAD_REQUEST");
  auto s = slow_start.wait();
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out, "slow: started\n");
}
