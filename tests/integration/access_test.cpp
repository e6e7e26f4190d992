// The control socket's locks (issue 5): who may connect and what they may do, checked with a
// real non-root user created for the test; limits on idle, half-sent, oversized and
// malformed connections while many clients ask status.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <grp.h>
#include <pwd.h>

using namespace konnect::test;

namespace {

const std::string kUser = "konnect-test-user";
const std::string kRwGroup = "konnect-test-rw";
const std::string kRoGroup = "konnect-test-ro";

// Creates the test's user and groups (removed again by the destructor).
struct TestAccounts {
  TestAccounts() {
    run_command({"/usr/sbin/groupadd", "-f", kRwGroup});
    run_command({"/usr/sbin/groupadd", "-f", kRoGroup});
    if (::getpwnam(kUser.c_str()) == nullptr) {
      run_command({"/usr/sbin/useradd", "-M", "-N", "-g", "nogroup", "-s", "/usr/sbin/nologin", kUser});
    }
    const passwd* pw = ::getpwnam(kUser.c_str());
    ok = pw != nullptr && ::getgrnam(kRwGroup.c_str()) != nullptr && ::getgrnam(kRoGroup.c_str()) != nullptr;
    if (pw) {
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    }
  }
  ~TestAccounts() {
    run_command({"/usr/sbin/userdel", kUser});
    run_command({"/usr/sbin/groupdel", kRwGroup});
    run_command({"/usr/sbin/groupdel", kRoGroup});
  }
  gid_t group(const std::string& name) const { return ::getgrnam(name.c_str())->gr_gid; }

  // konnectctl as the test user, with these supplementary groups.
  CommandResult ctl_as(Konnectd& d, std::vector<gid_t> groups, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(gid)};
    if (groups.empty()) {
      argv.push_back("--clear-groups");
    } else {
      std::string list;
      for (gid_t g : groups) list += (list.empty() ? "" : ",") + std::to_string(g);
      argv.push_back("--groups=" + list);
    }
    argv.insert(argv.end(), {kKonnectctl, "-s", d.socket().string()});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  bool ok = false;
  uid_t uid = 0;
  gid_t gid = 0;
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
  Konnectd d(program("web"), "socket_group = \"" + kRwGroup + "\"\nsocket_readonly_group = \"" + kRoGroup + "\"\n");
  ASSERT_EQ(::chmod(d.dir().c_str(), 0755), 0);  // the user must reach the socket; still root's to write
  ASSERT_TRUE(d.start()) << d.daemon_log();
  struct stat st{};
  ASSERT_EQ(::stat(d.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, accounts.group(kRwGroup));
  EXPECT_EQ(st.st_mode & 0777, 0666u);

  auto r = accounts.ctl_as(d, {}, {"status"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  r = accounts.ctl_as(d, {accounts.group(kRoGroup)}, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("web "), std::string::npos);
  r = accounts.ctl_as(d, {accounts.group(kRoGroup)}, {"stop", "web"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_EQ(d.state_of("web"), "RUNNING");
  r = accounts.ctl_as(d, {accounts.group(kRwGroup)}, {"stop", "web"});
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
