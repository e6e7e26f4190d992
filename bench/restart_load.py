#!/usr/bin/python3
"""Restarts under load (issue 16): the Kano-Konnect site (Debian's uWSGI serving the test
Django project, Debian's nginx in front as on the seed host) loaded by wrk through nginx
while its supervisor restarts uWSGI RESTARTS times in a row, same run, same load:

  - supervisord 4.2.5, uWSGI binding its port itself (`--http`, as the seed host runs it),
    with the stop that works best there (`stopsignal=INT`, `--die-on-term`, killasgroup;
    supervisord's default TERM is a reload to uWSGI and every restart waits stopwaitsecs);
  - konnect, the same program stop-start (konnect's earlier shipped config: same command,
    INT, `ready` an HTTP check);
  - konnect, the shipped conf.d/kano_konnect-uwsgi.toml: a socket konnectd holds,
    `restart = "rolling"`, TERM made graceful, readiness from the new uWSGI's first accept.

Per supervisor: requests that failed per restart (nginx 502s and socket errors), the
latency over the restarts (p50, p99, max) against the same load with no restart (p99), and
the restart command's time. Medians over --runs. Needs wrk, nginx, supervisor, uwsgi
(`make bench` installs them). Everything it starts is stopped by pid or process group.

The load is steady by default (each connection paced with wrk's delay(), 100 requests a
second), so a restart's cost shows as latency rather than being hidden by a saturated
machine; --rate 0 loads as fast as the site answers.

  bench/restart_load.py [--runs N] [--restarts N] [--clients N] [--rate R] [--only konnect-rolling,...]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import KONNECTCTL, KONNECTD, ROOT, wait_for  # noqa: E402

SITE = os.path.join(ROOT, "tests", "e2e", "site")
SHIPPED = os.path.join(ROOT, "conf.d", "kano_konnect-uwsgi.toml")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def home_page(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            data = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def stop_group(proc, timeout=30):
    """TERM to the process group, then KILL; reaps the leader."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Host:
    """/srv/kano_konnect in a temp dir: the test project and a virtualenv; nginx in front."""

    def __init__(self, d):
        self.dir = d
        self.current = os.path.join(d, "current")
        self.env = os.path.join(d, "env")
        shutil.copytree(SITE, self.current)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", self.env],
                       check=True)
        self.uwsgi_port = free_port()
        self.nginx_port = free_port()
        ng = os.path.join(d, "nginx")
        os.makedirs(os.path.join(ng, "tmp"))
        with open(os.path.join(ng, "nginx.conf"), "w") as f:
            f.write("worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
                    "events { worker_connections 1024; }\n"
                    "http {\n  access_log off;\n"
                    "  client_body_temp_path %s/tmp;\n  proxy_temp_path %s/tmp;\n"
                    "  fastcgi_temp_path %s/tmp;\n  uwsgi_temp_path %s/tmp;\n  scgi_temp_path %s/tmp;\n"
                    "  server {\n    listen 127.0.0.1:%d;\n"
                    "    location / { proxy_pass http://127.0.0.1:%d; }\n  }\n}\n"
                    % ((ng,) * 7 + (self.nginx_port, self.uwsgi_port)))
        self.nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", os.path.join(ng, "nginx.conf"), "-p", ng,
                                       "-e", os.path.join(ng, "error.log")], start_new_session=True)
        wait_for(lambda: self.port_open(self.nginx_port), 10)

    @staticmethod
    def port_open(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def uwsgi_argv(self):
        """The seed's command line: uWSGI binds the port itself (--http, the router)."""
        return ["/usr/bin/uwsgi", "--plugins", "http,python3", "--master", "--processes", "2", "--die-on-term",
                "--need-app", "--http", "127.0.0.1:%d" % self.uwsgi_port, "--virtualenv", self.env,
                "--pythonpath", os.path.join(self.current, "kano_konnect"),
                "--wsgi-file", "kano_konnect/kano_konnect/wsgi.py"]

    def close(self):
        stop_group(self.nginx)


class Supervisord:
    name = "supervisord"

    def __init__(self, host, d):
        self.conf = os.path.join(d, "s.conf")
        sock = os.path.join(d, "s.sock")
        with open(self.conf, "w") as f:
            f.write("[unix_http_server]\nfile=%s\n\n[supervisord]\nnodaemon=true\nlogfile=%s/s.log\n"
                    "pidfile=%s/s.pid\nchildlogdir=%s\n\n[rpcinterface:supervisor]\n"
                    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                    "[supervisorctl]\nserverurl=unix://%s\n\n" % (sock, d, d, d, sock))
            f.write("[program:kano_konnect-uwsgi]\ncommand=%s\ndirectory=%s\nstopsignal=INT\nstopwaitsecs=30\n"
                    "stopasgroup=false\nkillasgroup=true\nstdout_logfile=%s/uwsgi.out.log\n"
                    "stderr_logfile=%s/uwsgi.err.log\n" % (" ".join(host.uwsgi_argv()), host.current, d, d))
        self.proc = subprocess.Popen(["/usr/bin/supervisord", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def restart_cmd(self):
        return ["/usr/bin/supervisorctl", "-c", self.conf, "restart", "kano_konnect-uwsgi"]

    def close(self):
        stop_group(self.proc, 60)


class Konnect:
    def __init__(self, name, program, d):
        self.name = name
        self.sock = os.path.join(d, "k.sock")
        with open(os.path.join(d, "k.toml"), "w") as f:
            f.write('[konnectd]\nsocket = "k.sock"\nlog_dir = "logs"\nlog_file = "konnectd.log"\n'
                    'pid_file = "k.pid"\n\n' + program)
        self.proc = subprocess.Popen([KONNECTD, "-c", os.path.join(d, "k.toml")], cwd=d, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def restart_cmd(self):
        return [KONNECTCTL, "-s", self.sock, "restart", "kano_konnect-uwsgi"]

    def close(self):
        stop_group(self.proc, 60)


def konnect_stop_start(host, d):
    argv = host.uwsgi_argv()
    program = ('[program.kano_konnect-uwsgi]\ncommand = [%s]\ndirectory = "%s"\nstopsignal = "INT"\n'
               'stopwaitsecs = "30s"\nstopasgroup = false\nkillasgroup = true\n'
               'ready = { http = "http://127.0.0.1:%d/" }\n'
               % (", ".join('"%s"' % a for a in argv), host.current, host.uwsgi_port))
    return Konnect("konnect, stop-start", program, d)


def konnect_rolling(host, d):
    with open(SHIPPED) as f:
        text = f.read()
    text = text.replace("/srv/kano_konnect/current", host.current).replace("/srv/kano_konnect/shared/env", host.env)
    text = text.replace("tcp://127.0.0.1:9090", "tcp://127.0.0.1:%d" % host.uwsgi_port)
    # No migration program and no user switch here: the rest is the file as shipped.
    text = re.sub(r"(?m)^(depends_on|user|group) = .*$", "", text)
    return Konnect("konnect, rolling (shipped)", text, d)


KINDS = {"supervisord": lambda h, d: Supervisord(h, d), "konnect-stop-start": konnect_stop_start,
         "konnect-rolling": konnect_rolling}


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def run_wrk(port, clients, pace, action=None, seconds=None):
    """wrk until action() returns (or for `seconds`); its failures and latencies. `pace`: a wrk
    script that spaces each connection's requests (a site's steady traffic), or None: as fast
    as it answers (the machine saturated)."""
    argv = ["wrk", "-t", "2", "-c", str(clients), "-d", "600s", "--timeout", "30s", "--latency"]
    if pace:
        argv += ["-s", pace]
    wrk = subprocess.Popen(argv + ["http://127.0.0.1:%d/" % port], stdout=subprocess.PIPE, text=True,
                           start_new_session=True)
    time.sleep(1.0)
    extra = action() if action else time.sleep(seconds)
    time.sleep(1.0)
    wrk.send_signal(signal.SIGINT)  # wrk stops and prints what it measured
    out = wrk.communicate(timeout=30)[0]
    r = {"out": out, "extra": extra}
    m = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    r["max"] = to_ms(m.group(1)) if m else float("nan")
    for q in ("50", "99"):
        m = re.search(r"\s%s%%\s+(\S+)" % q, out)
        r["p" + q] = to_ms(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        failed += sum(int(x) for x in m.groups())
    r["failed"] = failed
    return r


def one_run(kind, host, restarts, clients, pace):
    d = tempfile.mkdtemp(prefix="konnect-restart-bench-")
    sup = KINDS[kind](host, d)
    try:
        wait_for(lambda: home_page(host.nginx_port), 60, 0.05)
        baseline = run_wrk(host.nginx_port, clients, pace, seconds=10)

        def restart_all():
            times = []
            for _ in range(restarts):
                t0 = time.perf_counter()
                rc = subprocess.run(sup.restart_cmd(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
                times.append(time.perf_counter() - t0)
                if rc != 0:
                    raise RuntimeError("%s: restart failed (exit %d)" % (sup.name, rc))
                # supervisord returns before uWSGI serves again: the next restart waits until it does.
                wait_for(lambda: host.port_open(host.uwsgi_port), 60, 0.01)
            return times

        loaded = run_wrk(host.nginx_port, clients, pace, action=restart_all)
        return {"name": sup.name, "failed": loaded["failed"] / restarts, "p50": loaded["p50"], "p99": loaded["p99"],
                "max": loaded["max"], "base_p99": baseline["p99"], "base_failed": baseline["failed"],
                "restart": statistics.median(loaded["extra"]), "requests": loaded["requests"]}
    finally:
        sup.close()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--restarts", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rate", type=int, default=100,
                    help="requests a second per connection (0: as fast as answered, saturating the machine)")
    ap.add_argument("--only", default="supervisord,konnect-stop-start,konnect-rolling")
    args = ap.parse_args()
    kinds = args.only.split(",")
    base = tempfile.mkdtemp(prefix="konnect-restart-host-")
    host = Host(base)
    pace = None
    if args.rate > 0:
        pace = os.path.join(base, "pace.lua")
        with open(pace, "w") as f:
            f.write("function delay()\n  return %d\nend\n" % max(1, 1000 // args.rate))
    results = {k: [] for k in kinds}
    try:
        for run in range(args.runs):
            for kind in kinds:  # in turns, so drift hits every supervisor alike
                r = one_run(kind, host, args.restarts, args.clients, pace)
                results[kind].append(r)
                print("run %d %-28s failed/restart %.1f  p50 %.1f ms  p99 %.1f ms  max %.1f ms  "
                      "(no restarts: p99 %.1f ms, %d failed)  restart %.2f s  %d requests"
                      % (run + 1, r["name"], r["failed"], r["p50"], r["p99"], r["max"], r["base_p99"],
                         r["base_failed"], r["restart"], r["requests"]), flush=True)
    finally:
        host.close()
        shutil.rmtree(base, ignore_errors=True)

    def med(kind, key):
        return statistics.median(r[key] for r in results[kind])

    def rng(kind, key, fmt):
        vals = [r[key] for r in results[kind]]
        return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(vals), min(vals), max(vals))

    load = ("%d req/s each" % args.rate) if args.rate > 0 else "as fast as answered"
    print("\n%d restarts of kano_konnect-uwsgi under %d wrk connections (%s) through nginx, median of %d run(s) "
          "(min–max)\n" % (args.restarts, args.clients, load, args.runs))
    print("| | failed requests per restart | p50 | p99 | max latency | p99, no restarts | restart command |")
    print("|---|---|---|---|---|---|---|")
    for kind in kinds:
        name = results[kind][0]["name"]
        print("| %s | %s | %s ms | %s ms | %s ms | %s ms | %s s |" % (
            name, rng(kind, "failed", "%.1f"), rng(kind, "p50", "%.1f"), rng(kind, "p99", "%.1f"),
            rng(kind, "max", "%.0f"), rng(kind, "base_p99", "%.1f"), rng(kind, "restart", "%.2f")))
    if "konnect-rolling" in kinds and "supervisord" in kinds:
        print("\nkonnect rolling / supervisord: failed per restart %.1f vs %.1f; max latency %.2fx; "
              "rolling p99 / its no-restart p99 %.2fx" % (
                  med("konnect-rolling", "failed"), med("supervisord", "failed"),
                  med("konnect-rolling", "max") / med("supervisord", "max"),
                  med("konnect-rolling", "p99") / med("konnect-rolling", "base_p99")))


if __name__ == "__main__":
    main()
