#include "common/cgroup_path.hpp"

#include <gtest/gtest.h>

using namespace konnect;

TEST(CgroupPath, FindsTheCgroup2MountOnPureAndHybridSystems) {
  const char* pure =
      "22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
      "26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
  EXPECT_EQ(cgroup2_mount(pure), std::filesystem::path("/sys/fs/cgroup"));
  const char* hybrid =
      "30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "31 30 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 30 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  EXPECT_EQ(cgroup2_mount(hybrid), std::filesystem::path("/sys/fs/cgroup/unified"));
  EXPECT_FALSE(cgroup2_mount("31 30 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"));
  // A bind mount of a sub-cgroup (a container's view) is not the hierarchy's root.
  EXPECT_FALSE(cgroup2_mount("40 30 0:35 /lxc/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"));
}

TEST(CgroupPath, ReadsTheUnifiedLineOfProcCgroup) {
  EXPECT_EQ(unified_cgroup("0::/system.slice/konnectd.service\n"), "/system.slice/konnectd.service");
  EXPECT_EQ(unified_cgroup("9:name=systemd:/\n4:memory:/x\n0::/\n"), "/");
  EXPECT_FALSE(unified_cgroup("4:memory:/x\n"));
}
