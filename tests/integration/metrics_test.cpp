// /metrics (issue 19) on the real binaries: what a scrape says of real programs (state,
// restarts, log bytes, the CPU and memory of a program's whole process tree), that promtool
// accepts it, that basic auth guards it only with metrics_auth, and that a real Prometheus
// server from Debian scrapes konnectd and answers konnect_process_up for each program.

#include "harness.hpp"
#include "net_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <thread>
#include <optional>

using namespace konnect::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// sha1("s3cret")
constexpr const char* kShaPassword = "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98";
constexpr const char* kAdminAuth = "Authorization: Basic YWRtaW46czNjcmV0\r\n";

std::string http_daemon(int port, bool metrics_auth = false) {
  return "http = \"127.0.0.1:" + std::to_string(port) + "\"\nhttp_username = \"admin\"\nhttp_password = \"" +
         kShaPassword + "\"\n" + (metrics_auth ? "metrics_auth = true\n" : "");
}

// web prints a line and runs; hog's child burns a second and a half of CPU and holds 64 MiB
// (its parent only waits: the figures are the tree's); idle is never started.
std::string programs() {
  return "[program.web]\n" + testchild_command({"--print", "hello"}) +
         "\nstartsecs = 0\n\n"
         "[program.hog]\ncommand = [\"/usr/bin/python3\", \"-c\", \"import os, time\\n"
         "if os.fork() == 0:\\n    end = time.process_time() + 1.5\\n    while time.process_time() < end: pass\\n"
         "    keep = b'x' * (64 << 20)\\n    print('held', flush=True)\\n    time.sleep(3600)\\nos.wait()\\n\"]\n"
         "startsecs = 0\n\n"
         "[program.idle]\n" + testchild_command({}) + "\nstartsecs = 0\nautostart = false\n";
}

// The whole answer (head and body) of GET path.
std::string get(int port, const std::string& path, const std::string& headers = "") {
  return ask_tcp(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n");
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// The value of the series `series` ("konnect_process_up{name=\"web\",group=\"web\"}").
std::optional<double> value(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(text.substr(at + 1 + series.size() + 1));
}

std::string labels(const std::string& name) { return "{name=\"" + name + "\",group=\"" + name + "\"}"; }

}  // namespace

TEST(Metrics, AScrapeSaysWhatRunsAndWhatItUses) {
  const int port = free_port();
  Konnectd d(programs(), http_daemon(port));
  ASSERT_TRUE(d.start()) << d.daemon_log();
  ASSERT_TRUE(d.wait_state("web", "RUNNING"));
  ASSERT_TRUE(wait_until([&] { return read_file(d.log_dir() / "hog.out.log") == "held\n"; }, 20s)) << d.daemon_log();

  // No credentials needed for /metrics; everything else still wants them.
  const std::string response = get(port, "/metrics");
  ASSERT_NE(response.find("HTTP/1.1 200"), std::string::npos) << response;
  EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << response;
  for (const char* path : {"/", "/events", "/RPC2", "/api", "/logtail/web", "/mainlogtail"}) {
    EXPECT_NE(get(port, path).find("HTTP/1.1 401"), std::string::npos) << path;
  }
  EXPECT_NE(get(port, "/", kAdminAuth).find("HTTP/1.1 200"), std::string::npos);
  const std::string text = body_of(response);
  EXPECT_EQ(value(text, "konnect_process_up" + labels("web")), 1.0) << text;
  EXPECT_EQ(value(text, "konnect_process_up" + labels("idle")), 0.0) << text;
  EXPECT_EQ(value(text, "konnect_process_state{name=\"idle\",group=\"idle\",state=\"STOPPED\"}"), 1.0) << text;
  EXPECT_EQ(value(text, "konnect_log_bytes_total{name=\"web\",group=\"web\",stream=\"stdout\"}"), 6.0) << text;
  EXPECT_EQ(value(text, "konnect_process_restarts_total" + labels("web")), 0.0) << text;
  EXPECT_GT(value(text, "konnect_process_start_time_seconds" + labels("web")).value_or(0), 1.7e9) << text;
  const double cpu = value(text, "konnect_process_cpu_seconds_total" + labels("hog")).value_or(-1);
  EXPECT_GE(cpu, 1.4) << text;
  EXPECT_LT(cpu, 30) << text;
  EXPECT_GE(value(text, "konnect_process_memory_bytes" + labels("hog")).value_or(0), 64.0 * 1024 * 1024) << text;
  EXPECT_FALSE(value(text, "konnect_process_cpu_seconds_total" + labels("idle"))) << "nothing runs: no figure";

  // promtool, Prometheus' own checker, finds nothing wrong.
  const fs::path scrape = d.dir() / "scrape.txt";
  std::ofstream(scrape) << text;
  const auto check = run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + scrape.string()}, 30s);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  ASSERT_EQ(d.ctl({"restart", "web"}).exit_code, 0);
  ASSERT_TRUE(wait_until([&] { return read_file(d.log_dir() / "web.out.log") == "hello\nhello\n"; }));
  const std::string after = body_of(get(port, "/metrics"));
  EXPECT_EQ(value(after, "konnect_process_restarts_total" + labels("web")), 1.0) << after;
  EXPECT_EQ(value(after, "konnect_log_bytes_total{name=\"web\",group=\"web\",stream=\"stdout\"}"), 12.0) << after;
  // The same over the control socket, with its peer credentials.
  EXPECT_NE(ask_unix(d.socket(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").find("konnect_build_info"),
            std::string::npos);
}

TEST(Metrics, MetricsAuthAsksForTheCredentialsToo) {
  const int port = free_port();
  Konnectd d(programs(), http_daemon(port, true));
  ASSERT_TRUE(d.start()) << d.daemon_log();
  EXPECT_NE(get(port, "/metrics").find("HTTP/1.1 401"), std::string::npos);
  EXPECT_NE(get(port, "/metrics", kAdminAuth).find("konnect_build_info{version="), std::string::npos);
  EXPECT_NE(ask_tcp(port, "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + std::string(kAdminAuth) +
                              "Content-Length: 0\r\n\r\n")
                .find("405"),
            std::string::npos);
}

// A real Prometheus server (Debian's), on loopback, scrapes konnectd every second; its query
// API then has konnect_process_up for each program.
TEST(Metrics, PrometheusScrapesKonnectd) {
  const int port = free_port();
  Konnectd d(programs(), http_daemon(port));
  ASSERT_TRUE(d.start()) << d.daemon_log();
  const int prometheus_port = free_port();
  const fs::path config = d.dir() / "prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: konnect\n"
                           "    static_configs:\n      - targets: ['127.0.0.1:" << port << "']\n";
  Background prometheus({"/usr/bin/prometheus", "--config.file=" + config.string(),
                         "--storage.tsdb.path=" + (d.dir() / "tsdb").string(),
                         "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port), "--log.level=warn"});
  nlohmann::json result;
  const bool scraped = wait_until(
      [&] {
        const auto answer = nlohmann::json::parse(body_of(get(prometheus_port, "/api/v1/query?query=konnect_process_up")),
                                                  nullptr, false);
        if (!answer.is_discarded() && answer.value("status", "") == "success") result = answer["data"]["result"];
        if (result.size() == 3) return true;
        std::this_thread::sleep_for(100ms);  // a query every 100 ms is enough for a 1 s scrape interval
        return false;
      },
      60s);
  ASSERT_TRUE(scraped) << result.dump() << "\nprometheus' targets: " << body_of(get(prometheus_port, "/api/v1/targets"));
  std::map<std::string, std::string> up;
  for (const auto& series : result) up[series["metric"]["name"]] = series["value"][1];
  EXPECT_EQ(up, (std::map<std::string, std::string>{{"hog", "1"}, {"idle", "0"}, {"web", "1"}}));
}
