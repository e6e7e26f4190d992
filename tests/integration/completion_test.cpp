// packaging/konnectctl.bash: bash completes konnectctl's commands, and program names from the
// running daemon.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

using namespace konnect::test;

namespace {

// What bash offers for the words of `line` (the last word is being completed, "" for a new one).
std::vector<std::string> complete(const std::vector<std::string>& words) {
  std::string array;
  for (const auto& w : words) array += "'" + w + "' ";
  const std::string script =
      "source /usr/share/bash-completion/bash_completion\n"
      "source " KONNECT_SOURCE_DIR "/packaging/konnectctl.bash\n"
      "COMP_WORDS=(" + array + ")\n"
      "COMP_CWORD=" + std::to_string(words.size() - 1) + "\n"
      "COMP_LINE=\"${COMP_WORDS[*]}\"\nCOMP_POINT=${#COMP_LINE}\n"
      "_konnectctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
  const auto dir = std::filesystem::path(kKonnectctl).parent_path().string();
  const auto r = run_command({"/bin/bash", "-c", script}, 20s, {"PATH=" + dir + ":/usr/bin:/bin"});
  std::vector<std::string> out;
  std::istringstream lines(r.out);
  for (std::string l; std::getline(lines, l);) {
    if (!l.empty()) out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

using Words = std::vector<std::string>;

}  // namespace

TEST(Completion, CommandsAndProgramNamesFromTheDaemon) {
  Konnectd d("[program.web]\n" + testchild_command({}) + "startsecs = 0\n" +
             "[program.worker]\n" + testchild_command({}) + "startsecs = 0\nnumprocs = 2\n");
  ASSERT_TRUE(d.start());
  const std::string sock = d.socket().string();
  EXPECT_EQ(complete({"konnectctl", "res"}), (Words{"restart"}));
  EXPECT_EQ(complete({"konnectctl", "-s", sock, "st"}), (Words{"start", "status", "stop"}));
  EXPECT_EQ(complete({"konnectctl", "-s", sock, "restart", ""}),
            (Words{"all", "web", "worker:*", "worker:worker_00", "worker:worker_01"}));
  EXPECT_EQ(complete({"konnectctl", "-s", sock, "stop", "w"}),
            (Words{"web", "worker:*", "worker:worker_00", "worker:worker_01"}));
  EXPECT_EQ(complete({"konnectctl", "-s", sock, "signal", "HU"}), (Words{"HUP"}));
  EXPECT_EQ(complete({"konnectctl", "-s", sock, "tail", "-f", "web", ""}), (Words{"stderr", "stdout"}));
  EXPECT_EQ(complete({"konnectctl", "-s", sock, "tail", "-n", "5", "we"}), (Words{"web"}));
  // No daemon there: commands still complete, names are simply none.
  EXPECT_EQ(complete({"konnectctl", "-s", "/nonexistent.sock", "stop", ""}), (Words{"all"}));
}
