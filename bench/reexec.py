#!/usr/bin/python3
"""Upgrade in place (issue 17): `konnectctl reexec` with 100 and 500 programs, beside what an
upgrade costs under supervisord (it restarts, and every program with it), same run.

Each konnect setup runs N sleeping programs plus one writer that writes 64 KiB chunks to its
stdout as fast as the pipe takes them and records the longest any write was held up. Rows:
  - reexec, request to answer: as konnectctl sees it (a process start included) and as the new
    image reports it (took_ms: from the old image's receipt of the request to the new image's
    answer; the binary's two checks come first, while konnectd still serves), median of --runs
    reexecs (min-max);
  - reexec, without serving: paused_ms, from the old image's pause (after the checks) to the new
    image serving again: the time konnectd answered nobody;
  - the longest a full-speed writer's write was held up, over all those reexecs;
  - supervisord: its restart (what an upgrade of its package does): SIGTERM, then a new
    supervisord until all N programs are RUNNING again.

  bench/reexec.py [--runs N] [--sizes 100,500]
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CHILD, KONNECTCTL, KONNECTD, Supervisord, wait_for  # noqa: E402

WRITER = r"""
import os, sys, time
chunk = b"x" * 65535 + b"\n"
worst = 0.0
out = sys.argv[1]
while True:
    t0 = time.perf_counter()
    os.write(1, chunk)
    dt = time.perf_counter() - t0
    if dt > worst:
        worst = dt
        with open(out + ".tmp", "w") as f:
            f.write("%.6f\n" % worst)
        os.replace(out + ".tmp", out)
"""


def konnect_config(d, n):
    with open(os.path.join(d, "writer.py"), "w") as f:
        f.write(WRITER)
    path = os.path.join(d, "k.toml")
    with open(path, "w") as f:
        f.write('[konnectd]\nsocket = "k.sock"\nlog_dir = "logs"\nlog_file = "konnectd.log"\n'
                'pid_file = "k.pid"\nlog_level = "warn"\n\n')
        for i in range(n):
            f.write('[program.p%d]\ncommand = ["%s"]\nstartsecs = 0\nstdout_log = "none"\nstderr_log = "none"\n\n'
                    % (i, CHILD))
        f.write('[program.writer]\ncommand = ["/usr/bin/python3", "%s/writer.py", "%s/worst"]\nstartsecs = 0\n'
                'stdout_log_maxbytes = "50MB"\nstdout_log_backups = 1\n' % (d, d))
    return path


def ctl(d, *args):
    return subprocess.run([KONNECTCTL, "-s", os.path.join(d, "k.sock")] + list(args), capture_output=True, text=True)


def m_reexec(n, runs):
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.Popen([KONNECTD, "-c", konnect_config(d, n)], cwd=d, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(lambda: ctl(d, "status").stdout.count("RUNNING") == n + 1, 60, 0.05)
            wait_for(lambda: os.path.exists(os.path.join(d, "worst")), 30, 0.05)
            time.sleep(1.0)  # the writer's own start-up hiccups are not the reexec's
            with open(os.path.join(d, "worst")) as f:
                before = float(f.read())
            seen, took, paused = [], [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                r = ctl(d, "--json", "reexec")
                seen.append((time.perf_counter() - t0) * 1000)
                if r.returncode != 0:
                    raise RuntimeError("reexec failed: " + r.stdout + r.stderr)
                result = json.loads(r.stdout)["result"]
                took.append(result["took_ms"])
                paused.append(result["paused_ms"])
                time.sleep(0.2)
            time.sleep(0.5)
            with open(os.path.join(d, "worst")) as f:
                worst = float(f.read()) * 1000
            if ctl(d, "status").stdout.count("RUNNING") != n + 1:
                raise RuntimeError("a program is not RUNNING after the reexecs")
            return seen, took, paused, worst, before * 1000
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def m_supervisord_restart(n):
    with tempfile.TemporaryDirectory() as d:
        s = Supervisord(n, d)
        s.start()
        try:
            wait_for(s.ready, 120, 0.05)
            t0 = time.perf_counter()
            s.stop()  # what `systemctl restart supervisor` does on its package's upgrade
            s.start()
            wait_for(s.ready, 120, 0.01)
            return (time.perf_counter() - t0) * 1000
        finally:
            s.stop()


def rng(vals, fmt="%.1f"):
    return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(vals), min(vals), max(vals))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="100,500")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print("# konnect reexec bench, %s, %s, %d cores, %d reexecs per size" % (
        time.strftime("%Y-%m-%d %H:%M"), os.uname().release, os.cpu_count(), args.runs))
    print("| programs | reexec, konnectctl's view | reexec, took_ms (new image) | without serving, paused_ms "
          "| longest write held up (before the reexecs) | supervisord restart, until all RUNNING again |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        seen, took, paused, worst, before = m_reexec(n, args.runs)
        sup = m_supervisord_restart(n)
        print("| %d (+ 1 writer) | %s ms | %s ms | %s ms | %.1f ms (%.1f ms) | %.0f ms, every program restarted |" % (
            n, rng(seen), rng(took, "%d"), rng(paused, "%d"), worst, before, sup), flush=True)


if __name__ == "__main__":
    main()
