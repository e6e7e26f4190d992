#!/usr/bin/python3
"""Readiness and health probes under load (issue 15), konnect beside supervisord.

supervisord and runit have no probes; the supervisord column is the same programs with
nothing probed, for scale. Rows:
  - 100 programs, each health-checked by TCP every 1 s: konnectd's CPU (% of one core) and
    context switches over the window, and its RSS growth against the same programs unprobed;
  - start of 100 programs with TCP readiness, each listening 300 ms after its spawn: how long
    after the last one listened `konnectctl start all` returned.

  bench/probes.py [--runs N] [--seconds S]
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CHILD, KONNECTCTL, KONNECTD, Supervisord, cpu_ticks, proc_status, switches, wait_for  # noqa: E402

N = 100


def free_ports(n):
    ports, held = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        held.append(s)
        ports.append(s.getsockname()[1])
    for s in held:
        s.close()
    return ports


def konnect_config(d, ports, health, ready, autostart=True):
    with open(os.path.join(d, "k.toml"), "w") as f:
        f.write('[konnectd]\nsocket = "k.sock"\nlog_dir = "logs"\nlog_file = "konnectd.log"\n'
                'pid_file = "k.pid"\nlog_level = "warn"\n\n')
        for i, port in enumerate(ports):
            args = ([CHILD, "--sleep", "300"] if ready else [CHILD]) + ["--serve", str(port), "/nonexistent"]
            f.write('[program.p%d]\ncommand = [%s]\nautostart = %s\nstartsecs = 0\n' % (
                i, ", ".join('"%s"' % a for a in args), "true" if autostart else "false"))
            if health:
                f.write('health = { tcp = "127.0.0.1:%d", interval = "1s" }\n' % port)
            if ready:
                f.write('ready = { tcp = "127.0.0.1:%d", interval = "20ms" }\n' % port)
            f.write("\n")
    return os.path.join(d, "k.toml")


def start_konnectd(config, d):
    proc = subprocess.Popen([KONNECTD, "-c", config], stdin=subprocess.DEVNULL, start_new_session=True, cwd=d)
    if not wait_for(lambda: os.path.exists(os.path.join(d, "k.sock")), 30):
        raise RuntimeError("konnectd did not start")
    return proc


def ctl(d, *args):
    return subprocess.run([KONNECTCTL, "-s", os.path.join(d, "k.sock")] + list(args), capture_output=True, text=True)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def rss_kb(pid):
    return proc_status(pid, "VmRSS")


def window(pid, seconds):
    time.sleep(2.0)  # past the start
    c0, s0, r0 = cpu_ticks(pid), switches(pid), rss_kb(pid)
    time.sleep(seconds)
    c1, s1, r1 = cpu_ticks(pid), switches(pid), rss_kb(pid)
    return ((c1 - c0) / os.sysconf("SC_CLK_TCK") / seconds * 100, s1 - s0, r1)


def m_konnect_probed(health, seconds):
    with tempfile.TemporaryDirectory() as d:
        proc = start_konnectd(konnect_config(d, free_ports(N), health, False), d)
        try:
            wait_for(lambda: ctl(d, "status").stdout.count("RUNNING") == N, 30)
            return window(proc.pid, seconds)
        finally:
            stop(proc)


def m_supervisord_idle(seconds):
    with tempfile.TemporaryDirectory() as d:
        s = Supervisord(N, d)
        pid = s.start()
        try:
            wait_for(s.ready, 60)
            return window(pid, seconds)
        finally:
            s.stop()


def m_ready_start():
    with tempfile.TemporaryDirectory() as d:
        proc = start_konnectd(konnect_config(d, free_ports(N), False, True, autostart=False), d)
        try:
            r = ctl(d, "start", "all")
            returned = time.time_ns()
            if r.returncode != 0:
                raise RuntimeError("start all failed: " + r.stdout + r.stderr)
            last = 0
            for i in range(N):
                with open(os.path.join(d, "logs", "p%d.out.log" % i)) as f:
                    for line in f:
                        if line.startswith("listening "):
                            last = max(last, int(line.split()[-1]))
            return (returned - last) / 1e6
        finally:
            stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    print("# konnect probes bench, %s, %s, %d cores, %d run(s) each, %d s windows" % (
        time.strftime("%Y-%m-%d %H:%M"), os.uname().release, os.cpu_count(), args.runs, args.seconds))
    print("| workload | target | konnect | supervisord (nothing probed) |")
    print("|---|---|---|---|")
    probed = [m_konnect_probed(True, args.seconds) for _ in range(args.runs)]
    plain = [m_konnect_probed(False, args.seconds) for _ in range(args.runs)]
    sup = [m_supervisord_idle(args.seconds) for _ in range(args.runs)]
    med = lambda vals, k: statistics.median(v[k] for v in vals)
    print("| 100 programs, TCP health every 1 s: CPU | ≤ 1%% of a core | %.2f%% (%d switches in %d s) | %.2f%% (%d switches) |" % (
        med(probed, 0), med(probed, 1), args.seconds, med(sup, 0), med(sup, 1)))
    print("| the same 100 programs unprobed: CPU | 0 wakeups | %.2f%% (%d switches) | |" % (med(plain, 0), med(plain, 1)))
    print("| RSS with those probes, growth over unprobed | ≤ 2 MB | %.1f MB (%.1f MB unprobed) | %.1f MB |" % (
        (med(probed, 2) - med(plain, 2)) / 1024, med(plain, 2) / 1024, med(sup, 2) / 1024))
    late = [m_ready_start() for _ in range(args.runs)]
    print("| start 100 with TCP readiness: returned after the last one listened | ≤ 50 ms | %.1f ms (%.1f–%.1f) | n/a: no readiness |" % (
        statistics.median(late), min(late), max(late)))


if __name__ == "__main__":
    main()
