// tests ctl/commands.cpp: requests built from arguments, and text + exit code rendered from
// answers shaped as docs/protocol.md shows them.
#include "ctl/commands.hpp"

#include "version.hpp"  // generated from common/version.hpp.in

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>

namespace konnect::ctl {
namespace {

const Command& command(std::string_view name) {
  const Command* c = find_command(name);
  if (c == nullptr) throw std::runtime_error("no command " + std::string(name));
  return *c;
}

std::string request_line(std::string_view name, const std::vector<std::string>& args) {
  auto request = build_request(command(name), args);
  EXPECT_TRUE(request.has_value()) << (request ? "" : request.error().message);
  return request ? encode_request(*request) : std::string();
}

// The request went out as one line (a single '\n', at the end) holding `expected`'s JSON;
// key order is the encoder's business.
void expect_request(std::string_view name, const std::vector<std::string>& args, std::string_view expected) {
  std::string line = request_line(name, args);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(Json::parse(line), Json::parse(expected)) << line;
}

std::string usage_error(std::string_view name, const std::vector<std::string>& args) {
  auto request = build_request(command(name), args);
  EXPECT_FALSE(request.has_value());
  return request ? std::string() : request.error().message;
}

void expect_same(const Outcome& a, const Outcome& b, std::string_view line) {
  EXPECT_EQ(a.out, b.out) << line;
  EXPECT_EQ(a.err, b.err) << line;
  EXPECT_EQ(a.exit_code, b.exit_code) << line;
}

// Renders an answer line as konnectctl would, text (json=false) or --json. Where the
// command's quick render_line() takes the line, it must give what the general way gives.
Outcome answer(std::string_view name, std::string_view line, bool json = false) {
  auto response = parse_response(line);
  EXPECT_TRUE(response.has_value()) << line;
  if (!response) return {};
  Outcome general = render_response(command(name), *response, line, json);
  if (auto quick = render_line(command(name), line, json)) expect_same(*quick, general, line);
  return general;
}

TEST(CommandsTest, TableHasThisSlicesCommands) {
  for (std::string_view name : {"status", "start", "stop", "restart", "signal", "pid", "shutdown", "version"}) {
    EXPECT_NE(find_command(name), nullptr) << name;
  }
  EXPECT_EQ(find_command("frobnicate"), nullptr);
  EXPECT_EQ(find_command(""), nullptr);
}

// status without targets omits args (all); with targets lists them as written.
TEST(CommandsTest, StatusRequest) {
  expect_request("status", {}, R"({"id":1,"cmd":"status"})");
  expect_request("status", {"web", "g:*"}, R"({"id":1,"cmd":"status","args":{"targets":["web","g:*"]}})");
}

TEST(CommandsTest, ActionRequests) {
  expect_request("restart", {"kano_konnect-uwsgi"}, R"({"id":1,"cmd":"restart","args":{"targets":["kano_konnect-uwsgi"]}})");
  expect_request("stop", {"all"}, R"({"id":1,"cmd":"stop","args":{"targets":["all"]}})");
}

// A signal name goes as written, a number as a JSON number; targets follow.
TEST(CommandsTest, SignalRequest) {
  expect_request("signal", {"HUP", "web"}, R"({"id":1,"cmd":"signal","args":{"signal":"HUP","targets":["web"]}})");
  expect_request("signal", {"9", "a", "b"}, R"({"id":1,"cmd":"signal","args":{"signal":9,"targets":["a","b"]}})");
}

TEST(CommandsTest, PidShutdownVersionRequests) {
  expect_request("pid", {}, R"({"id":1,"cmd":"pid"})");
  expect_request("pid", {"web"}, R"({"id":1,"cmd":"pid","args":{"targets":["web"]}})");
  expect_request("shutdown", {}, R"({"id":1,"cmd":"shutdown"})");
  expect_request("version", {}, R"({"id":1,"cmd":"version"})");
}

// supervisorctl's wording for a missing process name.
TEST(CommandsTest, MissingTargetIsUsageError) {
  EXPECT_EQ(usage_error("start", {}), "Error: start requires a process name");
  EXPECT_EQ(usage_error("stop", {}), "Error: stop requires a process name");
  EXPECT_EQ(usage_error("restart", {}), "Error: restart requires a process name");
  EXPECT_EQ(usage_error("signal", {}), "Error: signal requires a signal name and a process name");
  EXPECT_EQ(usage_error("signal", {"HUP"}), "Error: signal requires a signal name and a process name");
}

TEST(CommandsTest, ExtraArgumentsAndOptionsAreUsageErrors) {
  EXPECT_EQ(usage_error("shutdown", {"now"}), "Error: shutdown accepts no arguments");
  EXPECT_EQ(usage_error("version", {"x"}), "Error: version accepts no arguments");
  EXPECT_EQ(usage_error("status", {"--json"}), "konnectctl: status: unknown option '--json'");
  EXPECT_EQ(usage_error("stop", {"web", "-f"}), "konnectctl: stop: unknown option '-f'");
}

// Running or on the way (and a state this client does not know): text lines, exit 0.
TEST(CommandsTest, StatusAllRunningExitsZero) {
  Outcome o = answer("status", R"({"id":1,"ok":true,"result":{"processes":[
      {"name":"web","group":"web","process":"web","state":"RUNNING","pid":1234,"start":1,"stop":0,
       "now":63,"exitstatus":0,"spawnerr":"","description":"pid 1234, uptime 0:01:02"},
      {"name":"worker","state":"STARTING","description":""},
      {"name":"beat","state":"BACKOFF","description":"Exited too quickly"},
      {"name":"old","state":"STOPPING","description":""},
      {"name":"new","state":"HIBERNATING","description":""}]}})");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.out.substr(0, o.out.find('\n')), "web                              RUNNING   pid 1234, uptime 0:01:02");
  EXPECT_TRUE(render_line(command("status"), R"({"id":1,"ok":true,"result":{"processes":[{"name":"w"}]}})", false));
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 5);
  EXPECT_EQ(o.err, "");
}

// Any of STOPPED, EXITED, FATAL makes status exit 3, in text and --json mode.
TEST(CommandsTest, StatusDownStatesExitThree) {
  for (std::string state : {"STOPPED", "EXITED", "FATAL"}) {
    std::string line = R"({"id":1,"ok":true,"result":{"processes":[{"name":"web","state":"RUNNING","description":""},)"
                       R"({"name":"w","state":")" +
                       state + R"(","description":"Not started"}]}})";
    EXPECT_EQ(answer("status", line).exit_code, kExitNotRunning) << state;
    Outcome json = answer("status", line, true);
    EXPECT_EQ(json.exit_code, kExitNotRunning) << state;
    EXPECT_EQ(json.out, line + "\n");
  }
}

// The quick status reader against the general one, on answers that are broken, oddly
// shaped or odd but valid: where it takes a line, the output, stderr and exit code are the
// general way's; where it refuses one, konnectctl takes the general way. Some of these
// must be taken, or the quick way is never used.
TEST(CommandsTest, StatusQuickReaderMatchesTheGeneralOne) {
  const std::string base =
      R"({"id":1,"ok":true,"result":{"processes":[{"backoff_ms":0,"description":"pid 7, uptime 0:00:03",)"
      R"("exitstatus":0,"group":"web","log_error":"","name":"web","now":10,"pid":7,"process":"web",)"
      R"("spawnerr":"","start":7,"state":"RUNNING","stop":0},{"name":"caf\u00e9 \ud83d\ude00",)"
      R"("state":"FATAL","description":"tab\there \"q\" \\ / \/","extra":[1,-2.5e3,{"a":null},true,false]}]}})";
  const std::string too_big = R"({"ok":true,"result":{"processes":[{"name":"big","n":1e400}]}})";  // nlohmann refuses
  const std::string not_a_string = R"({"ok":true,"result":{"processes":[{"name":1,"state":"RUNNING"}]}})";
  const std::string stream = R"({"ok":true,"result":{"processes":[],"more":true}})";
  std::vector<std::string> lines = {
      base,
      too_big,
      not_a_string,
      stream,
      R"({"ok":true,"result":{"processes":[]}})",
      R"( {"result":{"processes":[{"name":"a"}],"x":{}},"ok":true} )",
      R"({"ok":true,"result":{"processes":["web"]}})",
      R"({"ok":true,"result":{}})",
      R"({"ok":true,"result":{"processes":[{"name":"a"}]},"ok":false,"error":{"code":"FAILED","message":"m"}})",
      R"({"ok":true,"result":{"processes":[{"name":"a","name":"b"}],"processes":[{"name":"c"}]}})",
      R"({"ok":true,"result":{"processes":[{"n\u0061me":"escaped key"}]}})",
      R"({"ok":true,"result":{"processes":[{"name":"lone \ud800"}]}})",
      R"({"ok":true,"result":{"processes":[{"name":"a"}]}} trailing)",
  };
  std::mt19937 random(7);
  for (int i = 0; i < 3000; ++i) {  // the base answer with a byte changed, or cut, or bytes dropped
    std::string line = base;
    const std::size_t at = random() % line.size();
    switch (random() % 3) {
      case 0: line[at] = static_cast<char>(random() % 256); break;
      case 1: line.resize(at); break;
      default: line.erase(at, 1 + random() % 8); break;
    }
    lines.push_back(std::move(line));
  }
  int taken = 0;
  for (const std::string& line : lines) {
    for (bool json : {false, true}) {
      auto quick = render_line(command("status"), line, json);
      if (!quick) continue;
      ++taken;
      auto response = parse_response(line);
      ASSERT_TRUE(response.has_value()) << "the quick reader took a line that nlohmann refuses: " << line;
      expect_same(*quick, render_response(command("status"), *response, line, json), line);
    }
  }
  EXPECT_GT(taken, 100);
  EXPECT_TRUE(render_line(command("status"), base, false));
  EXPECT_FALSE(render_line(command("status"), too_big, false));
  EXPECT_FALSE(render_line(command("status"), not_a_string, false));  // the general way prints it empty
  EXPECT_FALSE(render_line(command("status"), stream, false));        // only the general way follows one
  EXPECT_FALSE(render_line(command("stop"), base, false));  // only status has a quick way
}

TEST(CommandsTest, StatusOfNothingExitsZero) {
  Outcome o = answer("status", R"({"id":1,"ok":true,"result":{"processes":[]}})");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.out, "");
}

// A top-level error answer: message on stderr, exit 1; --json prints the line instead.
TEST(CommandsTest, DaemonErrorExitsOne) {
  std::string line =
      R"({"id":2,"ok":false,"error":{"code":"NO_SUCH_PROCESS","message":"no such process or group: nosuch"}})";
  Outcome o = answer("stop", line);
  EXPECT_EQ(o.exit_code, kExitFailed);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "konnectctl: ERROR (no such process): no such process or group: nosuch\n");
  Outcome json = answer("stop", line, true);
  EXPECT_EQ(json.exit_code, kExitFailed);
  EXPECT_EQ(json.out, line + "\n");
  EXPECT_EQ(json.err, "");
  EXPECT_EQ(answer("status", line).exit_code, kExitFailed);
}

TEST(CommandsTest, StartAllOkExitsZero) {
  Outcome o = answer("start", R"({"id":1,"ok":true,"result":{"processes":[
      {"name":"web","ok":true,"state":"RUNNING"},{"name":"g:w","ok":true,"state":"RUNNING"}]}})");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.out, "web: started\ng:w: started\n");
}

// One failed process among ok ones makes the whole command exit 1.
TEST(CommandsTest, StartOneFailedExitsOne) {
  Outcome o = answer("start", R"({"id":1,"ok":true,"result":{"processes":[
      {"name":"web","ok":true,"state":"RUNNING"},
      {"name":"bad","ok":false,"state":"FATAL","error":{"code":"SPAWN_ERROR","message":"Exited too quickly"}}]}})");
  EXPECT_EQ(o.exit_code, kExitFailed);
  EXPECT_EQ(o.out, "web: started\nbad: ERROR (spawn error: Exited too quickly)\n");
}

// Stopping a stopped process is success (SPEC.md).
TEST(CommandsTest, StopAlreadyStoppedExitsZero) {
  Outcome o = answer("stop", R"({"id":1,"ok":true,"result":{"processes":[{"name":"web","ok":true,"state":"STOPPED"}]}})");
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.out, "web: stopped\n");
}

TEST(CommandsTest, RestartAndSignalRender) {
  Outcome restart =
      answer("restart", R"({"id":1,"ok":true,"result":{"processes":[{"name":"kano_konnect-uwsgi","ok":true,"state":"RUNNING"}]}})");
  EXPECT_EQ(restart.out, "kano_konnect-uwsgi: stopped\nkano_konnect-uwsgi: started\n");
  EXPECT_EQ(restart.exit_code, kExitOk);
  Outcome signal = answer("signal", R"({"id":1,"ok":true,"result":{"processes":[
      {"name":"a","ok":true,"state":"RUNNING"},
      {"name":"b","ok":false,"state":"STOPPED","error":{"code":"FAILED","message":"not running"}}]}})");
  EXPECT_EQ(signal.out, "a: signalled\nb: ERROR (failed: not running)\n");
  EXPECT_EQ(signal.exit_code, kExitFailed);
}

// --json prints the answer line as received and keeps the text mode's exit code.
TEST(CommandsTest, JsonModeKeepsExitCodeOfFailedAction) {
  std::string line =
      R"({"id":1,"ok":true,"result":{"processes":[{"name":"b","ok":false,"state":"FATAL","error":{"code":"SPAWN_ERROR","message":"x"}}]}})";
  Outcome o = answer("restart", line, true);
  EXPECT_EQ(o.out, line + "\n");
  EXPECT_EQ(o.exit_code, kExitFailed);
}

TEST(CommandsTest, PidRender) {
  EXPECT_EQ(answer("pid", R"({"id":1,"ok":true,"result":{"pid":4242}})").out, "4242\n");
  Outcome o = answer("pid", R"({"id":1,"ok":true,"result":{"processes":[{"name":"web","pid":1234},{"name":"w","pid":0}]}})");
  EXPECT_EQ(o.out, "1234\n0\n");
  EXPECT_EQ(o.exit_code, kExitOk);
}

TEST(CommandsTest, ShutdownAndVersionRender) {
  EXPECT_EQ(answer("shutdown", R"({"id":1,"ok":true,"result":{"message":"Shut down"}})").out, "Shut down\n");
  EXPECT_TRUE(command("shutdown").waits_for_close);
  EXPECT_EQ(answer("version", R"({"id":1,"ok":true,"result":{"version":"0.1.0"}})").out, "konnectd 0.1.0\n");
  ASSERT_NE(command("version").local_text, nullptr);
  EXPECT_EQ(command("version").local_text(), std::string("konnectctl ") + kVersion + "\n");
}

// The daemon refuses actions while it stops: its code reads as words, exit 1.
TEST(CommandsTest, ShuttingDownError) {
  Outcome o = answer("start", R"({"id":1,"ok":false,"error":{"code":"SHUTTING_DOWN","message":"daemon is stopping"}})");
  EXPECT_EQ(o.err, "konnectctl: ERROR (shutting down): daemon is stopping\n");
  EXPECT_EQ(o.exit_code, kExitFailed);
}

TEST(CommandsTest, UsageTextListsEveryCommand) {
  std::string text = usage_text();
  for (const Command& c : commands()) EXPECT_NE(text.find("  " + std::string(c.synopsis)), std::string::npos) << c.name;
  EXPECT_NE(short_usage().find("--help"), std::string::npos);
}


// tail [-f] [-n LINES] NAME [stdout|stderr], in any order of options and words.
TEST(CommandsTest, TailRequests) {
  expect_request("tail", {"web"}, R"({"id":1,"cmd":"tail","args":{"name":"web","lines":10}})");
  expect_request("tail", {"-n", "5", "web", "stderr"},
                 R"({"id":1,"cmd":"tail","args":{"name":"web","lines":5,"stream":"stderr"}})");
  expect_request("tail", {"web", "-n20", "-f"}, R"({"id":1,"cmd":"tail","args":{"name":"web","lines":20,"follow":true}})");
  expect_request("tail", {"--lines=3", "g:web"}, R"({"id":1,"cmd":"tail","args":{"name":"g:web","lines":3}})");
  EXPECT_NE(usage_error("tail", {}).find("requires a process name"), std::string::npos);
  EXPECT_NE(usage_error("tail", {"-n", "many", "web"}).find("'many' is not a number"), std::string::npos);
  EXPECT_NE(usage_error("tail", {"-n"}).find("needs a number"), std::string::npos);
  EXPECT_NE(usage_error("tail", {"web", "sideways"}).find("neither stdout nor stderr"), std::string::npos);
  EXPECT_NE(usage_error("tail", {"web", "stdout", "x"}).find("one process name"), std::string::npos);
}

TEST(CommandsTest, MaintailClearLogreopenRequests) {
  expect_request("maintail", {}, R"({"id":1,"cmd":"maintail","args":{"lines":10}})");
  expect_request("maintail", {"-f", "-n", "2"}, R"({"id":1,"cmd":"maintail","args":{"lines":2,"follow":true}})");
  EXPECT_NE(usage_error("maintail", {"web"}).find("no process name"), std::string::npos);
  expect_request("clear", {"web", "g:*"}, R"({"id":1,"cmd":"clear","args":{"targets":["web","g:*"]}})");
  EXPECT_NE(usage_error("clear", {}).find("requires a process name"), std::string::npos);
  expect_request("logreopen", {}, R"({"id":1,"cmd":"logreopen"})");
}

// tail prints the data as it is; clear says "cleared" per process.
TEST(CommandsTest, TailAndClearOutput) {
  auto o = answer("tail", R"({"id":1,"ok":true,"result":{"name":"web","path":"/x","data":"a\nb\n"}})");
  EXPECT_EQ(o.out, "a\nb\n");
  EXPECT_EQ(o.exit_code, kExitOk);
  o = answer("clear", R"({"id":1,"ok":true,"result":{"processes":[{"name":"web","ok":true}]}})");
  EXPECT_EQ(o.out, "web: cleared\n");
}

}  // namespace
}  // namespace konnect::ctl

namespace konnect::ctl {
namespace {

// reload and update take --dry-run and names; any other option is a usage error.
TEST(CommandsTest, ReloadRequest) {
  expect_request("reload", {}, R"({"id":1,"cmd":"reload"})");
  expect_request("update", {"--dry-run", "web", "app"},
                 R"({"id":1,"cmd":"update","args":{"dry_run":true,"targets":["web","app"]}})");
  EXPECT_NE(usage_error("reload", {"--force"}).find("unknown option '--force'"), std::string::npos);
}

// supervisorctl update's lines: removed, changed, added; failures of the new processes and
// the daemon's warnings too.
TEST(CommandsTest, ReloadRendersSupervisorctlLines) {
  auto o = answer("reload",
                  R"({"id":1,"ok":true,"result":{"added":["new"],"restarted":["web"],"updated":["tuned"],"removed":["old"],)"
                  R"("warnings":["[konnectd] socket changed"],"dry_run":false,"processes":[{"name":"web","ok":true},)"
                  R"({"name":"new","ok":false,"error":{"code":"SPAWN_ERROR","message":"Exited too quickly"}}]}})");
  EXPECT_EQ(o.out,
            "old: stopped\nold: removed process group\nweb: stopped\nweb: updated process group\n"
            "tuned: updated in place\nnew: added process group\nnew: ERROR (spawn error: Exited too quickly)\n");
  EXPECT_EQ(o.err, "konnectctl: warning: [konnectd] socket changed\n");
  EXPECT_EQ(o.exit_code, kExitFailed);
  o = answer("reload", R"({"id":1,"ok":true,"result":{"added":[],"restarted":[],"updated":[],"removed":[],"processes":[]}})");
  EXPECT_EQ(o.out, "No config updates to processes\n");
  EXPECT_EQ(o.exit_code, kExitOk);
  o = answer("reload", R"({"id":1,"ok":true,"result":{"added":["new"],"restarted":[],"updated":[],"removed":[],"dry_run":true}})");
  EXPECT_EQ(o.out, "new: would be added\n");
}

// supervisorctl avail: name in 32 columns, in use / avail, auto / manual, priorities.
TEST(CommandsTest, AvailRendersSupervisorctlColumns) {
  auto o = answer("avail", R"({"id":1,"ok":true,"result":{"processes":[{"name":"app:web","in_use":true,"autostart":false,)"
                           R"("group_priority":5,"priority":999}]}})");
  EXPECT_EQ(o.out, "app:web                          in use    manual    5:999\n");
  EXPECT_NE(usage_error("avail", {"x"}).find("accepts no arguments"), std::string::npos);
  EXPECT_NE(usage_error("add", {}).find("requires a process name"), std::string::npos);
}

}  // namespace
}  // namespace konnect::ctl
