// tests ctl/output.cpp: supervisorctl's status columns and per-process action lines.
#include "ctl/output.hpp"

#include <gtest/gtest.h>

namespace konnect::ctl {
namespace {

StatusRow process(std::string name, std::string state, std::string description) {
  return {std::move(name), std::move(state), std::move(description)};
}

// Short names get the 30-column floor plus 3: state starts at column 33, description at 43.
TEST(OutputTest, StatusShortNamesUseThirtyColumnFloor) {
  std::vector<StatusRow> processes{process("web", "RUNNING", "pid 1234, uptime 0:01:02"),
                                   process("worker", "STOPPED", "Not started")};
  EXPECT_EQ(status_name_width(processes), 33u);
  EXPECT_EQ(format_status(processes),
            "web                              RUNNING   pid 1234, uptime 0:01:02\n"
            "worker                           STOPPED   Not started\n");
}

// A 40-character name widens the column for every line to 43.
TEST(OutputTest, StatusLongNameWidensColumn) {
  std::string long_name(40, 'n');
  std::vector<StatusRow> processes{process(long_name, "RUNNING", "pid 7, uptime 1 day, 2:03:04"),
                                   process("web", "FATAL", "Exited too quickly (process log may have details)")};
  EXPECT_EQ(status_name_width(processes), 43u);
  std::string out = format_status(processes);
  EXPECT_EQ(out, long_name + "   RUNNING   pid 7, uptime 1 day, 2:03:04\n" + "web" + std::string(40, ' ') +
                     "FATAL     Exited too quickly (process log may have details)\n");
}

// An empty description leaves the template's padding: no trimming.
TEST(OutputTest, StatusEmptyDescriptionKeepsPadding) {
  EXPECT_EQ(format_status_line("web", "STARTING", "", 33), "web" + std::string(30, ' ') + "STARTING  ");
}

// Widths count characters, not bytes (Python's "%-33s" does).
TEST(OutputTest, StatusWidthCountsCodePoints) {
  std::string line = format_status_line("caf\xc3\xa9", "RUNNING", "x", 33);
  EXPECT_EQ(line, "caf\xc3\xa9" + std::string(29, ' ') + "RUNNING   x");
}

// A state wider than its column is not cut (supervisorctl does not cut either).
TEST(OutputTest, StatusLongFieldsAreNotTruncated) {
  EXPECT_EQ(format_status_line("a", "VERYLONGSTATE", "d", 2), "a VERYLONGSTATEd");
}

TEST(OutputTest, StatusOfNoProcessesIsEmpty) {
  EXPECT_EQ(format_status({}), "");
  EXPECT_EQ(format_status(status_rows(Json::array())), "");
  EXPECT_EQ(format_status(status_rows(Json())), "");
}

TEST(OutputTest, ErrorCodePhrase) {
  EXPECT_EQ(error_code_phrase("NO_SUCH_PROCESS"), "no such process");
  EXPECT_EQ(error_code_phrase("SPAWN_ERROR"), "spawn error");
  EXPECT_EQ(error_code_phrase("FAILED"), "failed");
}

// ok processes print one line per verb; failed ones their error with code and message.
TEST(OutputTest, ActionLinesForOkAndFailed) {
  Json processes = Json::parse(R"([
    {"name":"web","ok":true,"state":"RUNNING"},
    {"name":"worker","ok":false,"state":"FATAL",
     "error":{"code":"SPAWN_ERROR","message":"Exited too quickly"}}])");
  EXPECT_EQ(format_action_lines(processes, {"started"}),
            "web: started\nworker: ERROR (spawn error: Exited too quickly)\n");
}

// restart prints "stopped" then "started" for each ok process.
TEST(OutputTest, RestartPrintsTwoLinesPerProcess) {
  Json processes = Json::parse(R"([{"name":"a","ok":true},{"name":"g:b","ok":true}])");
  EXPECT_EQ(format_action_lines(processes, {"stopped", "started"}),
            "a: stopped\na: started\ng:b: stopped\ng:b: started\n");
}

TEST(OutputTest, SignalNotRunningLine) {
  Json processes =
      Json::parse(R"([{"name":"web","ok":false,"state":"STOPPED","error":{"code":"FAILED","message":"not running"}}])");
  EXPECT_EQ(format_action_lines(processes, {"signalled"}), "web: ERROR (failed: not running)\n");
}

// A failed process without an error object or message still says what it can.
TEST(OutputTest, ProcessErrorWithoutDetails) {
  EXPECT_EQ(format_process_error("web", Json()), "web: ERROR (failed)");
  EXPECT_EQ(format_process_error("web", Json{{"code", "SPAWN_ERROR"}}), "web: ERROR (spawn error)");
}

// Mistyped fields read as empty/0 instead of throwing.
TEST(OutputTest, FieldReadersTolerateMalformedJson) {
  Json obj = Json::parse(R"({"name":5,"pid":"x","ok":"yes","list":{}})");
  EXPECT_EQ(json_string(obj, "name"), "");
  EXPECT_EQ(json_integer(obj, "pid"), 0);
  EXPECT_FALSE(json_bool(obj, "ok"));
  EXPECT_TRUE(json_array(obj, "list").empty());
  EXPECT_EQ(json_string(Json::array(), "name"), "");
}

}  // namespace
}  // namespace konnect::ctl
