// konnectd's HTTP interface (issue 18) on the real binaries: [konnectd] http with basic auth
// and its refusals, the XML-RPC methods supervisorctl does not use (through Python's own
// xmlrpc.client), supervisorctl's tail -f, and hostile clients: oversized headers and
// bodies, garbage, XML entities, method names outside the table, slow clients, 200 at once.

#include "harness.hpp"
#include "net_client.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace konnect::test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// "{SHA}" + sha1("s3cret")
constexpr const char* kShaPassword = "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98";

std::string programs() {
  return "[program.web]\n" + testchild_command({"--print", "hello", "--stderr", "oops"}) +
         "\nstartsecs = 0\n\n[program.idle]\n" + testchild_command({}) + "\nstartsecs = 0\nautostart = false\n";
}

std::string http_daemon(int port) {
  return "http = \"127.0.0.1:" + std::to_string(port) + "\"\nhttp_username = \"admin\"\nhttp_password = \"" +
         kShaPassword + "\"\n";
}

CommandResult python(const std::string& script) { return run_command({"/usr/bin/python3", "-c", script}, 60s); }

std::string http_get(int port, const std::string& path, const std::string& headers = "") {
  return ask_tcp(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n");
}

std::string rpc_post(int port, const std::string& body) {
  return ask_tcp(port, "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n"
                       "Content-Type: text/xml\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
}

}  // namespace

// Basic auth with a {SHA} password; every method supervisorctl leaves out, as Python's own
// XML-RPC client sees them.
TEST(Http, PythonXmlRpcClientWithBasicAuth) {
  const int port = free_port();
  Konnectd d(programs(), http_daemon(port));
  ASSERT_TRUE(d.start()) << d.daemon_log();
  ASSERT_TRUE(d.wait_state("web", "RUNNING"));
  ASSERT_TRUE(wait_until([&] { return read_file(d.log_dir() / "web.out.log") == "hello\n"; }));

  EXPECT_NE(http_get(port, "/RPC2").find("401 Unauthorized"), std::string::npos);
  EXPECT_NE(http_get(port, "/RPC2", "Authorization: Basic YWRtaW46d3Jvbmc=\r\n").find("401"), std::string::npos)
      << "admin:wrong";

  const std::string url = "http://admin:s3cret@127.0.0.1:" + std::to_string(port) + "/RPC2";
  const auto r = python(R"(
import xmlrpc.client as x, sys
s = x.ServerProxy(")" + url + R"(").supervisor
def fault(f, *a):
    try:
        f(*a)
    except x.Fault as e:
        return e.faultCode, e.faultString
    return None
print(s.getAPIVersion(), s.getIdentification(), s.getState()["statename"])
print("startProcess" in str(x.ServerProxy(")" + url + R"(").system.listMethods()))
info = s.getProcessInfo("web")
print(info["name"], info["group"], info["statename"], info["state"], info["pid"] > 0, info["stdout_logfile"].endswith("web.out.log"))
print(repr(s.readProcessStdoutLog("web", -100, 0)), repr(s.readProcessStderrLog("web", -2, 0)))
print(repr(s.readProcessStdoutLog("web", 1, 3)), repr(s.readProcessStdoutLog("web", 2, 0)), repr(s.readProcessStdoutLog("web", 100, 0)))
print(fault(s.readProcessStdoutLog, "web", -1, 5)[0], fault(s.readProcessStdoutLog, "web", 0, -1)[0])
print(len(s.readLog(0, 10)), s.readLog(0, 0)[:10] == s.readLog(0, 10), fault(s.readLog, -5, 5)[0])
import time
before, deadline = len(s.readLog(0, 0)), time.time() + 10
print(s.clearLog())
while 'Cleared the log (clearLog)' not in s.readLog(0, 0) and time.time() < deadline: time.sleep(0.05)
print(s.readLog(0, 0).split("\n")[0].endswith(": )" + (d.dir() / "konnectd.log").string() + R"("), before > 200)
data, offset, overflow = s.tailProcessStdoutLog("web", 0, 3)
print(repr(data), offset, overflow)
print(s.tailProcessStdoutLog("web", offset, 100))
print(fault(s.getProcessInfo, "nosuch"))
print(fault(s.startProcess, "web"), fault(s.stopProcess, "idle"))
print(fault(s.sendProcessStdin, "web", "x"))
print(fault(getattr(s, "supervisord.options.execve"), "/bin/sh"))
res = x.ServerProxy(")" + url + R"(").system.multicall([
    {"methodName": "supervisor.getPID", "params": []},
    {"methodName": "supervisor.getProcessInfo", "params": ["nosuch"]},
    {"methodName": "supervisor.startProcess", "params": ["idle"]}])
print(res[0][0] > 0, res[1]["faultCode"], res[2][0])
print(s.getProcessInfo("idle")["statename"])
print(s.signalProcess("idle", "CONT"), fault(s.signalProcess, "idle", "NOPE"))
print(len(s.stopAllProcesses()), s.getProcessInfo("idle")["statename"])
)");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> got;
  for (std::string l; std::getline(lines, l);) got.push_back(l);
  const std::vector<std::string> expected = {
      "3.0 supervisor RUNNING",
      "True",
      "web web RUNNING 20 True True",
      "'hello\\n' 's\\n'",
      "'ell' 'llo\\n' ''",
      "3 3",
      "10 True 3",
      "True",
      "True True",
      "'lo\\n' 6 True",
      "['', 6, False]",
      "(10, 'BAD_NAME: nosuch')",
      "(60, 'ALREADY_STARTED: web') (70, 'NOT_RUNNING: idle')",
      "(20, 'NO_FILE: web: konnectd gives its programs no stdin')",
      "(1, 'UNKNOWN_METHOD')",
      "True 10 True",
      "RUNNING",
      "True (11, 'BAD_SIGNAL: NOPE')",
      "2 STOPPED",
  };
  EXPECT_EQ(got, expected) << r.out;
}

// supervisorctl tail -f over HTTP: what the program writes after it began arrives.
TEST(Http, SupervisorctlTailFollowsTheLog) {
  Konnectd d("[program.web]\n" + testchild_command({"--print", "first", "--sleep", "1500", "--print", "later"}) +
             "\nstartsecs = 0\nautorestart = false\n");
  ASSERT_TRUE(d.start()) << d.daemon_log();
  Background tail({"/usr/bin/supervisorctl", "-s", "unix://" + d.socket().string(), "tail", "-f", "web"});
  std::string seen;
  EXPECT_TRUE(wait_until(
      [&] {
        seen += tail.line(200ms) + "\n";
        return seen.find("later") != std::string::npos;
      },
      15s))
      << seen;
  EXPECT_NE(seen.find("first"), std::string::npos) << "the tail before what follows: " << seen;
}

// Hostile HTTP clients get an answer and konnectd keeps answering everyone else.
TEST(Http, HostileClientsGetErrorsAndTheDaemonKeepsAnswering) {
  const int port = free_port();
  Konnectd d(programs(), http_daemon(port) + "client_idle_timeout = \"1s\"\n");
  ASSERT_TRUE(d.start()) << d.daemon_log();

  EXPECT_NE(ask_tcp(port, "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n").find("431"), std::string::npos);
  EXPECT_NE(ask_tcp(port, "POST /RPC2 HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n").find("413"), std::string::npos);
  EXPECT_NE(ask_tcp(port, "GARBAGE\r\n\r\n").find("400"), std::string::npos);
  EXPECT_NE(ask_tcp(port, "GET /nothing HTTP/1.1\r\nConnection: close\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n\r\n")
                .find("404"),
            std::string::npos);
  // XML entities: refused, not expanded, nothing fetched.
  const std::string xxe = rpc_post(port,
                                   "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                   "<methodCall><methodName>&x;</methodName></methodCall>");
  EXPECT_NE(xxe.find("a DOCTYPE is not accepted"), std::string::npos) << xxe;
  EXPECT_EQ(xxe.find("root:"), std::string::npos);
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">";
  for (char c = 'b'; c <= 'j'; ++c) {
    laughs += std::string("<!ENTITY ") + c + " \"" + std::string(10, '&') + "\">";
  }
  laughs += "]><methodCall><methodName>&j;</methodName></methodCall>";
  EXPECT_NE(rpc_post(port, laughs).find("faultCode"), std::string::npos);
  // A multicall of 1000 calls that answer at once: one answer (a loop, not a recursion that
  // a bigger one would overflow); 1001 are refused.
  auto multicall = [&](int n) {
    std::string calls;
    for (int i = 0; i < n; ++i) {
      calls += "<value><struct><member><name>methodName</name><value>supervisor.getAPIVersion</value></member>"
               "</struct></value>";
    }
    return rpc_post(port, "<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>" +
                              calls + "</data></array></value></param></params></methodCall>");
  };
  const std::string many = multicall(1000);
  std::size_t answers = 0;
  for (auto p = many.find("<string>3.0</string>"); p != std::string::npos; p = many.find("<string>3.0</string>", p + 1)) ++answers;
  EXPECT_EQ(answers, 1000u);
  EXPECT_NE(multicall(1001).find("at most 1000 calls"), std::string::npos);
  // HEAD: the head alone; /api does not stream.
  const std::string head = ask_tcp(port, "HEAD /RPC2 HTTP/1.1\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n\r\n");
  EXPECT_NE(head.find("405"), std::string::npos) << head;
  EXPECT_EQ(head.find("POST only"), std::string::npos) << "no body: " << head;
  const std::string body = R"({"id":1,"cmd":"tail","args":{"name":"web","follow":true}})";
  const std::string api = ask_tcp(port, "POST /api HTTP/1.1\r\nConnection: close\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n"
                                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_NE(api.find("400"), std::string::npos) << api;
  EXPECT_NE(api.find("not served over POST /api"), std::string::npos) << api;
  const std::string status = R"({"id":7,"cmd":"status","args":{"targets":["web"]}})";
  const std::string answer = ask_tcp(port, "POST /api HTTP/1.1\r\nConnection: close\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\n"
                                           "Content-Length: " + std::to_string(status.size()) + "\r\n\r\n" + status);
  EXPECT_NE(answer.find("application/json"), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"({"id":7,"ok":true,"result":{"processes":[{)"), std::string::npos) << answer;
  EXPECT_NE(answer.find(R"("name":"web")"), std::string::npos) << answer;
  // A slow client: closed at the idle timeout, never answered in part.
  const auto t0 = std::chrono::steady_clock::now();
  const std::string slow = ask_tcp(port, "POST /RPC2 HTTP/1.1\r\nContent-Length: 100\r\n\r\n<methodCall>", 10s);
  EXPECT_EQ(slow, "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);

  // 200 clients at once, each asking over its own keep-alive connection.
  std::vector<std::thread> clients;
  std::atomic<int> answered{0};
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&] {
      const std::string a = rpc_post(port, "<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName></methodCall>");
      if (a.find("<int>" + std::to_string(d.pid()) + "</int>") != std::string::npos) ++answered;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered.load(), 200);
  EXPECT_EQ(d.ctl({"status", "web"}).exit_code, 0) << "the control socket answers too";
}

// An http address others can reach needs credentials: konnectd refuses to start without.
TEST(Http, RefusesANonLoopbackAddressWithoutCredentials) {
  Konnectd d(programs(), "http = \"0.0.0.0:" + std::to_string(free_port()) + "\"\n");
  const auto r = run_command({kKonnectd, "--check", "-c", d.config_file().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE((r.out + r.err).find("konnectd.http"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("not a loopback address"), std::string::npos) << r.out << r.err;
}

// konnectctl reexec hands the HTTP listener and the supervisor_socket over: both answer
// supervisorctl afterwards, bound by nobody new (the same sockets).
TEST(Http, ListenersLiveThroughAReexec) {
  const int port = free_port();
  Konnectd d(programs(), http_daemon(port) + "supervisor_socket = \"supervisor.sock\"\n");
  ASSERT_TRUE(d.start()) << d.daemon_log();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::vector<std::string> over_http = {"/usr/bin/supervisorctl", "-s", url, "-u", "admin", "-p", "s3cret", "status", "web"};
  const std::vector<std::string> over_unix = {"/usr/bin/supervisorctl", "-s", "unix://" + (d.dir() / "supervisor.sock").string(),
                                              "status", "web"};
  for (int i = 0; i < 2; ++i) {
    const auto h = run_command(over_http);
    EXPECT_EQ(h.exit_code, 0) << h.out << h.err;
    EXPECT_NE(h.out.find("RUNNING"), std::string::npos) << h.out;
    const auto u = run_command(over_unix);
    EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
    EXPECT_NE(u.out.find("RUNNING"), std::string::npos) << u.out;
    if (i == 0) {
      ASSERT_EQ(d.ctl({"reexec"}).exit_code, 0) << d.daemon_log();
    }
  }
  EXPECT_EQ(d.daemon_log().find("Serving HTTP on"), d.daemon_log().rfind("Serving HTTP on")) << "bound once, then adopted";
}
