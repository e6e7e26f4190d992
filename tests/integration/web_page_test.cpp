// The web page (issue 19) in a real browser: Debian's headless Chromium, driven through
// chromium-driver by python3-selenium, loads konnectd's page with basic auth, shows every
// program with its state, follows state changes live, and its Restart and Start buttons act;
// a log's tail shows stdout, then stderr;
// on a phone-sized screen nothing is wider than the screen. Screenshots of both go to
// build/test-output/. A browser's POST without the page's token is refused (CSRF).

#include "harness.hpp"
#include "net_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace konnect::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* kShaPassword = "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98";  // sha1("s3cret")

// Prints one JSON line per step; the test reads them.
constexpr const char* kDriver = R"(import base64, json, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, shots, profile = sys.argv[1], sys.argv[2], sys.argv[3]
o = Options()
o.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900",
          "--user-data-dir=" + profile):
    o.add_argument(a)
o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
def say(**k): print(json.dumps(k), flush=True)
try:
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": "Basic " + base64.b64encode(b"admin:s3cret").decode()}})
    d.get(url)
    wait = WebDriverWait(d, 20, poll_frequency=0.05)
    def row(name): return d.find_element(By.CSS_SELECTOR, '.proc[data-name="%s"]' % name)
    def state(name): return row(name).find_element(By.CSS_SELECTOR, ".state").text
    def pid(name): return row(name).find_element(By.CSS_SELECTOR, ".pid .num").text
    wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, ".proc")) == 4)
    wait.until(lambda _: d.find_element(By.ID, "live").text == "live")
    wait.until(lambda _: state("web") == "RUNNING" and pid("web") not in ("", "–"))
    wait.until(lambda _: row("web").find_element(By.CSS_SELECTOR, ".mem .num").text not in ("", "–"))
    say(step="loaded", names=sorted(r.get_attribute("data-name") for r in d.find_elements(By.CSS_SELECTOR, ".proc")),
        states={n: state(n) for n in ("web", "idle", "worker:worker_00", "worker:worker_01")},
        web_pid=pid("web"), groups=[h.text for h in d.find_elements(By.CSS_SELECTOR, "h2")])
    d.save_screenshot(shots + "/web-page.png")
    before = pid("web")
    row("web").find_element(By.CSS_SELECTOR, 'button[data-cmd="restart"]').click()
    wait.until(lambda _: state("web") == "RUNNING" and pid("web") not in ("", "–", before))
    say(step="restarted", before=before, after=pid("web"))
    row("idle").find_element(By.CSS_SELECTOR, 'button[data-cmd="start"]').click()
    wait.until(lambda _: state("idle") == "RUNNING")
    say(step="started", idle=state("idle"))
    # A change made elsewhere (konnectctl) shows without a reload: the test stops web now.
    say(step="waiting-for-stop")
    sys.stdin.readline()
    wait.until(lambda _: state("web") == "STOPPED")
    say(step="stopped-live", web=state("web"), reloads=d.execute_script("return performance.getEntriesByType('navigation').length"))
    row("idle").find_element(By.CSS_SELECTOR, 'button[data-cmd="log"]').click()
    wait.until(lambda _: "hello" in row("idle").find_element(By.CSS_SELECTOR, "pre.log").text)
    say(step="log", text=row("idle").find_element(By.CSS_SELECTOR, "pre.log").text)
    row("idle").find_element(By.CSS_SELECTOR, 'button[data-stream="stderr"]').click()
    wait.until(lambda _: "oops" in row("idle").find_element(By.CSS_SELECTOR, "pre.log").text)
    say(step="stderr", text=row("idle").find_element(By.CSS_SELECTOR, "pre.log").text)
    d.set_window_size(390, 844)
    time.sleep(0.3)  # the resize is laid out
    d.save_screenshot(shots + "/web-page-phone.png")
    say(step="phone", overflow=d.execute_script("return document.documentElement.scrollWidth - window.innerWidth"))
    severe = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
    say(step="console", severe=severe)
finally:
    d.quit()
)";

}  // namespace

TEST(WebPage, ChromiumShowsTheProgramsAndItsButtonsAct) {
  const int port = free_port();
  Konnectd k("[program.web]\n" + testchild_command({}) + "\nstartsecs = 0\n\n"
             "[program.idle]\n" + testchild_command({"--print", "hello", "--stderr", "oops"}) + "\nstartsecs = 0\nautostart = false\n\n"
             "[program.worker]\n" + testchild_command({}) + "\nnumprocs = 2\nstartsecs = 0\n",
             "http = \"127.0.0.1:" + std::to_string(port) + "\"\nhttp_username = \"admin\"\nhttp_password = \"" +
                 kShaPassword + "\"\n");
  ASSERT_TRUE(k.start()) << k.daemon_log();
  const fs::path shots = fs::path(kKonnectd).parent_path().parent_path() / "test-output";
  fs::create_directories(shots);
  std::ofstream(k.dir() / "driver.py") << kDriver;
  // web's pid before the driver can click its restart (it clicks as soon as it has said
  // "loaded": a pid read after that line may already be the new one).
  const pid_t first = k.pid_of("web");
  ASSERT_GT(first, 0);
  Background driver({"/usr/bin/python3", (k.dir() / "driver.py").string(), "http://127.0.0.1:" + std::to_string(port) + "/",
                     shots.string(), (k.dir() / "chromium-profile").string()});
  auto next = [&](const std::string& step) {
    const std::string line = driver.line(60s);
    const auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "the driver said '" << line << "'\n" << k.daemon_log();
    if (!j.is_discarded()) {
      EXPECT_EQ(j.value("step", ""), step) << line;
    }
    return j.is_discarded() ? nlohmann::json::object() : j;
  };
  const auto loaded = next("loaded");
  ASSERT_FALSE(loaded.empty());
  EXPECT_EQ(loaded["names"], (nlohmann::json{"idle", "web", "worker:worker_00", "worker:worker_01"}));
  EXPECT_EQ(loaded["states"]["web"], "RUNNING");
  EXPECT_EQ(loaded["states"]["idle"], "STOPPED");
  EXPECT_EQ(loaded["web_pid"], std::to_string(first));
  const auto restarted = next("restarted");
  EXPECT_EQ(restarted["before"], std::to_string(first));
  EXPECT_NE(k.pid_of("web"), first);
  EXPECT_EQ(restarted["after"], std::to_string(k.pid_of("web")));
  EXPECT_EQ(next("started")["idle"], "RUNNING");
  EXPECT_EQ(k.state_of("idle"), "RUNNING");
  next("waiting-for-stop");
  ASSERT_EQ(k.ctl({"stop", "web"}).exit_code, 0);
  driver.write_line("go");
  const auto live = next("stopped-live");
  EXPECT_EQ(live["reloads"], 1) << "the page followed the stop without reloading";
  EXPECT_NE(next("log")["text"].get<std::string>().find("hello"), std::string::npos);
  const std::string stderr_text = next("stderr")["text"].get<std::string>();
  EXPECT_NE(stderr_text.find("oops"), std::string::npos);
  EXPECT_EQ(stderr_text.find("hello"), std::string::npos) << "stderr's tail alone: " << stderr_text;
  EXPECT_LE(next("phone")["overflow"].get<int>(), 0) << "wider than a phone's screen";
  EXPECT_EQ(next("console")["severe"], nlohmann::json::array());
  std::cout << "screenshots: " << (shots / "web-page.png").string() << ", " << (shots / "web-page-phone.png").string() << "\n";
}

// A browser's POST (it sends Origin) without the page's token is refused; with it, served.
// Clients that are not browsers send no Origin and need no token.
TEST(WebPage, ABrowsersPostNeedsThePagesToken) {
  const int port = free_port();
  Konnectd k("[program.web]\n" + testchild_command({}) + "\nstartsecs = 0\n", "http = \"127.0.0.1:" + std::to_string(port) + "\"\n");
  ASSERT_TRUE(k.start()) << k.daemon_log();
  const std::string page = ask_tcp(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  ASSERT_NE(page.find("HTTP/1.1 200"), std::string::npos) << page.substr(0, 300);
  EXPECT_NE(page.find("Content-Security-Policy: default-src 'none'"), std::string::npos);
  const auto at = page.find("name=\"konnect-token\" content=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string token = page.substr(at + 30, 32);
  auto post = [&](const std::string& headers) {
    const std::string body = R"({"id":1,"cmd":"stop","args":{"targets":["web"]}})";
    return ask_tcp(port, "POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n" + headers +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  EXPECT_NE(post("Origin: http://evil.example\r\n").find("403 Forbidden"), std::string::npos);
  EXPECT_NE(post("Sec-Fetch-Site: cross-site\r\nX-Konnect-Token: " + std::string(32, '0') + "\r\n").find("403"), std::string::npos);
  EXPECT_EQ(k.state_of("web"), "RUNNING");
  EXPECT_NE(post("Origin: http://127.0.0.1\r\nX-Konnect-Token: " + token + "\r\n").find("\"ok\":true"), std::string::npos);
  EXPECT_EQ(k.state_of("web"), "STOPPED");
  // A page of another site whose name was made to resolve to 127.0.0.1 (DNS rebinding) is
  // same-origin with konnectd: it sends its own name as Host, and gets nothing.
  EXPECT_NE(ask_tcp(port, "GET / HTTP/1.1\r\nHost: evil.example:" + std::to_string(port) + "\r\nConnection: close\r\n\r\n")
                .find("403 Forbidden: Host 'evil.example:"),
            std::string::npos);
  const std::string start = R"({"id":1,"cmd":"start","args":{"targets":["web"]}})";
  EXPECT_NE(ask_tcp(port, "POST /api HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\nOrigin: http://evil.example\r\n"
                          "X-Konnect-Token: " + token + "\r\nContent-Length: " + std::to_string(start.size()) + "\r\n\r\n" + start)
                .find("403"),
            std::string::npos);
  EXPECT_EQ(k.state_of("web"), "STOPPED");
  // A GET never acts: / is the page, whatever its query says.
  EXPECT_NE(ask_tcp(port, "GET /?cmd=start HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").find("200"), std::string::npos);
  EXPECT_EQ(k.state_of("web"), "STOPPED");
  // The token survives a reexec: an open page goes on acting.
  ASSERT_EQ(k.ctl({"reexec"}).exit_code, 0);
  EXPECT_NE(post("Origin: http://127.0.0.1\r\nX-Konnect-Token: " + token + "\r\n").find("\"ok\":true"), std::string::npos);
}
