#pragma once
// Real users and groups made for a test (useradd, groupadd) and removed again, and the
// setpriv prefix that runs a command as one of them: the access tests' peers.

#include "harness.hpp"

#include <grp.h>
#include <pwd.h>

#include <string>
#include <vector>

namespace konnect::test {

class TestGroup {
 public:
  explicit TestGroup(std::string name) : name_(std::move(name)) {
    run_command({"/usr/sbin/groupadd", "-f", name_});
    if (const group* gr = ::getgrnam(name_.c_str())) gid_ = gr->gr_gid;
  }
  ~TestGroup() { run_command({"/usr/sbin/groupdel", name_}); }
  TestGroup(const TestGroup&) = delete;
  TestGroup& operator=(const TestGroup&) = delete;
  bool ok() const { return gid_ != static_cast<gid_t>(-1); }
  const std::string& name() const { return name_; }
  gid_t gid() const { return gid_; }

 private:
  std::string name_;
  gid_t gid_ = static_cast<gid_t>(-1);
};

class TestUser {
 public:
  explicit TestUser(std::string name) : name_(std::move(name)) {
    if (::getpwnam(name_.c_str()) == nullptr) {
      run_command({"/usr/sbin/useradd", "-M", "-N", "-g", "nogroup", "-s", "/usr/sbin/nologin", name_});
    }
    if (const passwd* pw = ::getpwnam(name_.c_str())) {
      ok_ = true;
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
    }
  }
  ~TestUser() { run_command({"/usr/sbin/userdel", name_}); }
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;
  bool ok() const { return ok_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

  // argv run as this user with exactly these supplementary groups.
  std::vector<std::string> as(const std::vector<gid_t>& groups, const std::vector<std::string>& argv) const {
    std::vector<std::string> out{"/usr/bin/setpriv", "--reuid=" + std::to_string(uid_), "--regid=" + std::to_string(gid_)};
    if (groups.empty()) {
      out.push_back("--clear-groups");
    } else {
      std::string list;
      for (gid_t g : groups) list += (list.empty() ? "" : ",") + std::to_string(g);
      out.push_back("--groups=" + list);
    }
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }
  // konnectctl against d as this user.
  CommandResult ctl(Konnectd& d, const std::vector<gid_t>& groups, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{kKonnectctl, "-s", d.socket().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(as(groups, argv));
  }

 private:
  std::string name_;
  bool ok_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace konnect::test
