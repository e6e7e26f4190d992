// supervisord INI files on the real binaries: a supervisord.conf as konnectd's main file,
// the seed host's /etc/supervisor.d/*.conf as includes, konnectctl -c FILE.conf, reload of
// an edited .conf, and convert's output run by konnectd.

#include "harness.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace konnect::test;

namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A supervisord main file as supervisord's docs write it, with its paths in the test dir.
std::string main_conf() {
  return "[unix_http_server]\nfile=%(here)s/konnectd.sock   ; the socket\n\n"
         "[supervisord]\nlogfile=%(here)s/konnectd.log\npidfile=%(here)s/konnectd.pid\nchildlogdir=%(here)s/logs\n"
         "loglevel=debug\nnodaemon=true\n\n"
         "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
         "[supervisorctl]\nserverurl=unix://%(here)s/konnectd.sock\n\n"
         "[include]\nfiles = supervisor.d/*.conf\n";
}

// The seed's two programs as the host has them, with konnect-testchild standing in for
// uwsgi and celery (the end-to-end test of issue 6 runs the real ones).
std::string seed_uwsgi() {
  return "[program:kano_konnect-uwsgi]\ncommand=" + kTestChild + " --print uwsgi-up --term-exit 0\n"
         "directory=/tmp\nautostart=true\nautorestart=true\nredirect_stderr=true\nstartsecs=0\nstopsignal=QUIT\n";
}
std::string seed_celery() {
  return "[program:kano_konnect-celeryd]\ncommand=" + kTestChild + " --print celery-up\n"
         "directory=/tmp\nnumprocs=1\nautostart=true\nautorestart=true\nstartsecs=0\nstopwaitsecs = 600\n"
         "killasgroup=true\npriority=1000\n";
}

// Every [program:x] option of supervisord's configuration reference, in the order and with
// the values its example uses (paths and user made to fit the test).
std::string docs_program(const std::filesystem::path& dir) {
  return "[program:cat]\ncommand=" + kTestChild + " --env A\nprocess_name=%(program_name)s\nnumprocs=1\n"
         "directory=/tmp\numask=022\npriority=999\nautostart=true\nautorestart=unexpected\nstartsecs=1\n"
         "startretries=3\nexitcodes=0\nstopsignal=TERM\nstopwaitsecs=10\nstopasgroup=false\nkillasgroup=false\n"
         "user=nobody\nredirect_stderr=false\nstdout_logfile=" + (dir / "cat.out").string() + "\n"
         "stdout_logfile_maxbytes=1MB\nstdout_logfile_backups=10\nstdout_capture_maxbytes=1MB\n"
         "stdout_events_enabled=false\nstderr_logfile=" + (dir / "cat.err").string() + "\n"
         "stderr_logfile_maxbytes=1MB\nstderr_logfile_backups=10\nstderr_capture_maxbytes=1MB\n"
         "stderr_events_enabled=false\nenvironment=A=\"1\",B=\"2\"\nserverurl=AUTO\n\n"
         "[group:foo]\nprograms=cat\npriority=999\n";
}

}  // namespace

// supervisord's reference example of a program (every option) runs, and each option konnect
// does not implement is a warning in the daemon log (its *_events_enabled are implemented).
TEST(SupervisordIni, DocumentationExampleRuns) {
  Konnectd d("");
  write(d.dir() / "supervisord.conf", main_conf());
  write(d.dir() / "supervisor.d/cat.conf", docs_program(d.dir()));
  d.use_config(d.dir() / "supervisord.conf");
  ASSERT_TRUE(d.start()) << d.daemon_log();
  EXPECT_EQ(d.state_of("foo:cat"), "RUNNING");
  EXPECT_TRUE(wait_until([&] { return read_file(d.dir() / "cat.out") == "A=1\n"; })) << read_file(d.dir() / "cat.out");
  const std::string log = d.daemon_log();
  for (const char* option : {"stdout_capture_maxbytes", "stderr_capture_maxbytes", "serverurl"}) {
    EXPECT_NE(log.find("cat.conf"), std::string::npos);
    EXPECT_NE(log.find(std::string("[program:cat] ") + option + "': not implemented"), std::string::npos) << option << "\n" << log;
  }
}

// konnectd -c supervisord.conf runs the seed's programs from supervisor.d/; konnectctl finds
// the socket through -c FILE.conf; the daemon log lists what it does not implement.
TEST(SupervisordIni, MainConfAndSeedProgramsRun) {
  Konnectd d("");
  write(d.dir() / "supervisord.conf", main_conf());
  write(d.dir() / "supervisor.d/kano_konnect-uwsgi.conf", seed_uwsgi());
  write(d.dir() / "supervisor.d/kano_konnect-celeryd.conf", seed_celery());
  d.use_config(d.dir() / "supervisord.conf");
  ASSERT_TRUE(d.start()) << d.daemon_log();
  EXPECT_EQ(d.state_of("kano_konnect-uwsgi"), "RUNNING");
  EXPECT_EQ(d.state_of("kano_konnect-celeryd"), "RUNNING");
  EXPECT_TRUE(wait_until([&] { return read_file(d.log_dir() / "kano_konnect-uwsgi.out.log") == "uwsgi-up\n"; }));
  auto r = run_command({kKonnectctl, "-c", (d.dir() / "supervisord.conf").string(), "restart", "kano_konnect-uwsgi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "kano_konnect-uwsgi: stopped\nkano_konnect-uwsgi: started\n");
  EXPECT_NE(d.daemon_log().find("[supervisorctl]"), std::string::npos) << d.daemon_log();
}

// Editing a .conf and reloading restarts only that program.
TEST(SupervisordIni, ReloadOfAnEditedConf) {
  Konnectd d("", "include = [\"supervisor.d/*.conf\"]\n");
  write(d.dir() / "supervisor.d/kano_konnect-uwsgi.conf", seed_uwsgi());
  write(d.dir() / "supervisor.d/kano_konnect-celeryd.conf", seed_celery());
  ASSERT_TRUE(d.start()) << d.daemon_log();
  const pid_t uwsgi = d.pid_of("kano_konnect-uwsgi"), celery = d.pid_of("kano_konnect-celeryd");
  write(d.dir() / "supervisor.d/kano_konnect-celeryd.conf", seed_celery() + "environment=C_FORCE_ROOT=\"1\"\n");
  auto r = d.ctl({"reload"});
  EXPECT_EQ(r.out, "kano_konnect-celeryd: stopped\nkano_konnect-celeryd: updated process group\n") << r.err;
  EXPECT_EQ(d.pid_of("kano_konnect-uwsgi"), uwsgi);
  EXPECT_NE(d.pid_of("kano_konnect-celeryd"), celery);
  // A broken .conf is refused with its file and line.
  write(d.dir() / "supervisor.d/kano_konnect-uwsgi.conf", seed_uwsgi() + "startsecs=soon\n");
  r = d.ctl({"reload"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("kano_konnect-uwsgi.conf:9: key '[program:kano_konnect-uwsgi] startsecs'"), std::string::npos) << r.err;
  EXPECT_EQ(d.pid_of("kano_konnect-uwsgi"), uwsgi);
}

// convert prints TOML that konnectd accepts and runs the same way (same names, groups).
TEST(SupervisordIni, ConvertOutputRuns) {
  Konnectd d("");
  write(d.dir() / "supervisord.conf", main_conf() + "\n[group:kano]\nprograms=kano_konnect-uwsgi\n");
  write(d.dir() / "supervisor.d/kano_konnect-uwsgi.conf", seed_uwsgi());
  write(d.dir() / "supervisor.d/workers.conf",
        "[program:w]\ncommand=" + kTestChild + " --print w%(process_num)d\nprocess_name=w-%(process_num)d\nnumprocs=2\nstartsecs=0\n");
  auto r = run_command({kKonnectctl, "convert", (d.dir() / "supervisord.conf").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[program.kano_konnect-uwsgi]"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("warning:"), std::string::npos) << r.err;  // [supervisorctl] is not read
  write(d.dir() / "converted.toml", r.out);
  auto check = run_command({kKonnectd, "--check", "-c", (d.dir() / "converted.toml").string()});
  EXPECT_EQ(check.exit_code, 0) << check.err << r.out;
  d.use_config(d.dir() / "converted.toml");
  ASSERT_TRUE(d.start()) << d.daemon_log();
  auto status = d.ctl({"status"});
  EXPECT_NE(status.out.find("kano:kano_konnect-uwsgi "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("w:w-0 "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("w:w-1 "), std::string::npos) << status.out;
  EXPECT_EQ(run_command({kKonnectctl, "convert"}).exit_code, 2);
  EXPECT_EQ(run_command({kKonnectctl, "convert", (d.dir() / "missing.conf").string()}).exit_code, 1);
}
