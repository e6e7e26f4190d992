#!/usr/bin/python3
"""konnect side by side with supervisord and runit, same run, same machine.

Each workload starts every supervisor from a clean temp dir on identical programs
(konnect-testchild, which just sleeps), measures, and kills everything it started by pid.
Figures are medians of several runs with min and max; the table gives konnect's ratio to
each. Timing lives here, never in `make test`.

  bench/bench.py [--runs N] [--only konnect,supervisord,runit] [--quick]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
KONNECTD = os.environ.get("KONNECTD", os.path.join(BIN, "konnectd"))  # another build to compare
KONNECTCTL = os.path.join(BIN, "konnectctl")
CHILD = os.path.join(BIN, "konnect-testchild")


def wait_for(pred, timeout=60.0, interval=0.0005):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError("condition not met in %.0fs" % timeout)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def timed(argv, **kw):
    t0 = time.perf_counter()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0, r.returncode


class Konnect:
    name = "konnect"

    def __init__(self, n, d):
        self.dir, self.n = d, n
        self.sock = os.path.join(d, "k.sock")
        with open(os.path.join(d, "k.toml"), "w") as f:
            f.write('[konnectd]\nsocket = "k.sock"\nlog_dir = "logs"\nlog_file = "konnectd.log"\n'
                    'pid_file = "k.pid"\nlog_level = "warn"\n\n')
            for i in range(n):
                f.write('[program.p%d]\ncommand = ["%s"]\nstartsecs = 0\nautorestart = true\n'
                        'stdout_log = "none"\nstderr_log = "none"\n\n' % (i, CHILD))

    def start(self):
        self.proc = subprocess.Popen([KONNECTD, "-c", os.path.join(self.dir, "k.toml")],
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self.proc.pid

    def ready(self):
        return os.path.exists(self.sock) and len(children(self.proc.pid)) >= self.n

    def status_cmd(self):
        return [KONNECTCTL, "-s", self.sock, "status"]

    def restart_all_cmd(self):
        return [KONNECTCTL, "-s", self.sock, "restart", "all"]

    def pid_of(self, i):
        out = subprocess.run([KONNECTCTL, "-s", self.sock, "pid", "p%d" % i], capture_output=True, text=True).stdout
        return int(out.strip() or 0)

    def rss_pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Supervisord:
    name = "supervisord"

    def __init__(self, n, d):
        self.dir, self.n = d, n
        self.sock = os.path.join(d, "s.sock")
        self.conf = os.path.join(d, "s.conf")
        with open(self.conf, "w") as f:
            f.write("[unix_http_server]\nfile=%s\n\n[supervisord]\nnodaemon=true\nlogfile=%s/s.log\n"
                    "pidfile=%s/s.pid\nloglevel=warn\nchildlogdir=%s\nminfds=4096\n\n"
                    "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
                    "supervisor.rpcinterface:make_main_rpcinterface\n\n"
                    "[supervisorctl]\nserverurl=unix://%s\n\n" % (self.sock, d, d, d, self.sock))
            for i in range(n):
                f.write("[program:p%d]\ncommand=%s\nstartsecs=0\nautorestart=true\n"
                        "stdout_logfile=NONE\nstderr_logfile=NONE\n\n" % (i, CHILD))

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/supervisord", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return self.proc.pid

    def ready(self):
        return os.path.exists(self.sock) and len(children(self.proc.pid)) >= self.n

    def status_cmd(self):
        return ["/usr/bin/supervisorctl", "-c", self.conf, "status"]

    def restart_all_cmd(self):
        return ["/usr/bin/supervisorctl", "-c", self.conf, "restart", "all"]

    def pid_of(self, i):
        out = subprocess.run(["/usr/bin/supervisorctl", "-c", self.conf, "pid", "p%d" % i],
                             capture_output=True, text=True).stdout
        try:
            return int(out.strip())
        except ValueError:
            return 0

    def rss_pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for c in children(self.proc.pid):
            os.kill(c, signal.SIGKILL)


class Runit:
    name = "runit"

    def __init__(self, n, d):
        self.dir, self.n = d, n
        self.svdir = os.path.join(d, "sv")
        os.makedirs(self.svdir)
        for i in range(n):
            s = os.path.join(self.svdir, "p%d" % i)
            os.makedirs(s)
            with open(os.path.join(s, "run"), "w") as f:
                f.write("#!/bin/sh\nexec %s 2>/dev/null >/dev/null\n" % CHILD)
            os.chmod(os.path.join(s, "run"), 0o755)

    def start(self):
        self.proc = subprocess.Popen(["/usr/bin/runsvdir", "-P", self.svdir], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return self.proc.pid

    def runsvs(self):
        return children(self.proc.pid)

    def ready(self):
        rs = self.runsvs()
        return len(rs) >= self.n and sum(1 for r in rs if children(r)) >= self.n

    def status_cmd(self):
        return ["/usr/bin/sv", "status"] + [os.path.join(self.svdir, "p%d" % i) for i in range(self.n)]

    def restart_all_cmd(self):
        return ["/usr/bin/sv", "restart"] + [os.path.join(self.svdir, "p%d" % i) for i in range(self.n)]

    def pid_of(self, i):
        try:
            with open(os.path.join(self.svdir, "p%d" % i, "supervise", "pid")) as f:
                return int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def rss_pids(self):
        return [self.proc.pid] + self.runsvs()

    def stop(self):
        runsvs = self.runsvs()
        grandchildren = [c for r in runsvs for c in children(r)]
        self.proc.send_signal(signal.SIGHUP)  # runsvdir: HUP = stop every runsv, then exit
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for p in runsvs + grandchildren:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Floor:
    """Not a supervisor: bench/spawn_floor.cpp, which posix_spawns the children and does
    nothing else. Its start time is what this machine allows any supervisor."""
    name = "floor"
    BIN = os.path.join(BIN, "konnect-spawn-floor")

    def __init__(self, n, d):
        self.n = n

    def start(self):
        self.proc = subprocess.Popen([self.BIN, str(self.n), CHILD], stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        return self.proc.pid

    def ready(self):
        return len(children(self.proc.pid)) >= self.n

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


SUPERVISORS = {"konnect": Konnect, "supervisord": Supervisord, "runit": Runit}

def session(kind, n, fn):
    d = tempfile.mkdtemp(prefix="konnect-bench-")
    s = kind(n, d)
    try:
        t0 = time.perf_counter()
        s.start()
        wait_for(s.ready, timeout=120)
        started = time.perf_counter() - t0
        return fn(s, started)
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


def m_start(s, started):
    return started


def m_status(s, started):
    if s.name != "runit":
        wait_for(lambda: timed(s.status_cmd())[1] in (0, 3), timeout=30)
    times = [timed(s.status_cmd())[0] for _ in range(60)]
    return statistics.median(times)


def m_concurrent_status(s, started, clients=200):
    """clients whole-process status commands started at once; every one must be answered.
    Returns the p99 latency (launch to exit) and records the median next to it."""
    if s.name != "runit":
        wait_for(lambda: timed(s.status_cmd())[1] in (0, 3), timeout=30)
    results = [None] * clients
    go = threading.Event()

    def client(i):
        go.wait()
        results[i] = timed(s.status_cmd(), timeout=300)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    failed = [r for r in results if r is None or r[1] not in (0, 3)]
    if failed:
        raise RuntimeError("%d of %d status clients were not answered" % (len(failed), clients))
    times = sorted(r[0] for r in results)
    CONCURRENT_MEDIANS.setdefault(s.name, []).append(times[len(times) // 2])
    return times[min(len(times) - 1, int(len(times) * 0.99))]


CONCURRENT_MEDIANS = {}


def m_respawn(s, started):
    """kill -9 of a RUNNING program until the supervisor reports a new live pid.

    Each sample kills a different program once, so every kill is a first crash: no
    supervisor's crash-loop throttle is measured here.
    """
    samples = []
    for i in range(s.n):
        old = wait_for(lambda: s.pid_of(i), timeout=10)
        t0 = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: (lambda p: p and p != old and os.path.exists("/proc/%d" % p))(s.pid_of(i)),
                 timeout=10, interval=0.0001)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def m_respawn_direct(s, started):
    """kill -9 until the new child process exists (seen in /proc, no client in the loop)."""
    samples = []
    for i in range(s.n):
        old = wait_for(lambda: s.pid_of(i), timeout=10)
        if s.name == "runit":
            parent = next(r for r in s.runsvs() if old in children(r))
        else:
            parent = s.proc.pid
        before = set(children(parent))
        t0 = time.perf_counter()
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: set(children(parent)) - before, timeout=10, interval=0.00005)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def m_restart_all(s, started):
    return timed(s.restart_all_cmd())[0]


def m_rss(s, started):
    time.sleep(0.5)
    return sum(proc_status(p, "VmRSS") for p in s.rss_pids()) / 1024.0


def switches(pid):
    """Context switches of every thread of pid (a thread that wakes counts too)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
    return total


def m_idle(s, started):
    time.sleep(1.0)
    pids = s.rss_pids()
    sw0 = sum(switches(p) for p in pids)
    c0 = sum(cpu_ticks(p) for p in pids)
    time.sleep(IDLE_SECONDS)
    sw1 = sum(switches(p) for p in pids)
    c1 = sum(cpu_ticks(p) for p in pids)
    return (sw1 - sw0, (c1 - c0) / os.sysconf("SC_CLK_TCK"))


IDLE_SECONDS = 30


def fmt_time(v):
    return "%.1f ms" % (v * 1000) if v < 10 else "%.1f s" % v


def main():
    global IDLE_SECONDS
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="konnect,supervisord,runit")
    ap.add_argument("--quick", action="store_true", help="fewer runs, 5 s idle window")
    ap.add_argument("--workloads", default="", help="comma-separated substrings of workload titles")
    ap.add_argument("--scaling", action="store_true", help="status latency and RSS at 10, 100, 500, 1000 programs")
    args = ap.parse_args()
    if args.quick:
        args.runs, IDLE_SECONDS = 1, 5
    kinds = [SUPERVISORS[k] for k in args.only.split(",")]
    ms = lambda v: "%.1f MB" % v
    # (title, programs, measure, format, the target). --scaling adds the curve rows.
    workloads = [
        ("ctl status, 100 programs", 100, m_status, fmt_time, "≤ 3 ms, < sv status, ≥ 50x supervisorctl"),
        ("respawn after kill -9 (ctl pid)", 5, m_respawn, fmt_time, "—"),
        ("respawn after kill -9 (children)", 5, m_respawn_direct, fmt_time, "no slower than runit"),
        ("start 500 programs", 500, m_start, fmt_time, "≤ 0.5 s"),
        ("restart all, 500 programs", 500, m_restart_all, fmt_time, "≤ 0.5 s"),
        ("RSS, 500 programs", 500, m_rss, ms, "≤ 8 MB"),
        ("RSS, 1000 programs", 1000, m_rss, ms, "—"),
        ("idle 500 programs: wakeups", 500, m_idle, None, "0 wakeups"),
        ("200 concurrent ctl status, 100 programs: p99", 100, m_concurrent_status, fmt_time, "all answered"),
    ]
    if args.scaling:
        workloads = [("%s, %d programs" % (what, n), n, fn, fmt, "curve")
                     for n in (10, 100, 500, 1000)
                     for what, fn, fmt in (("ctl status", m_status, fmt_time), ("RSS", m_rss, ms))]
    print("# konnect bench, %s, %s, %d cores, %d run(s) each" % (
        time.strftime("%Y-%m-%d %H:%M"), os.uname().release, os.cpu_count(), args.runs))
    print("| workload | target | " + " | ".join(k.name for k in kinds) + " | " +
          " | ".join("konnect / " + k.name for k in kinds if k is not Konnect) + " |")
    print("|---" * (2 + len(kinds) + len(kinds) - 1) + "|")
    if args.workloads:
        wanted = args.workloads.split(",")
        workloads = [w for w in workloads if any(x in w[0] for x in wanted)]
    for title, n, fn, fmt, target in workloads:
        cells, medians = [], {}
        for k in kinds:
            vals = []
            for _ in range(args.runs):
                try:
                    vals.append(session(k, n, fn))
                except Exception as e:  # a supervisor that cannot do it: say so, go on
                    print("  %s / %s: %s" % (title, k.name, e), file=sys.stderr)
            if not vals:
                cells.append("n/a")
                continue
            if fmt is None:
                sw = statistics.median(v[0] for v in vals)
                cpu = statistics.median(v[1] for v in vals)
                medians[k.name] = sw + 1e-9
                cells.append("%d wakeups, %.2f CPU-s in %ds" % (sw, cpu, IDLE_SECONDS))
                continue
            med = statistics.median(vals)
            medians[k.name] = med
            cells.append(fmt(med) + ("" if len(vals) == 1 else " (%s–%s)" % (fmt(min(vals)), fmt(max(vals)))))
        ratios = []
        for k in kinds:
            if k is Konnect:
                continue
            if "konnect" in medians and k.name in medians and medians[k.name] > 0:
                ratios.append("%.2fx" % (medians["konnect"] / medians[k.name]))
            else:
                ratios.append("n/a")
        if fn is m_concurrent_status:
            cells = [c + ("; median %s" % fmt_time(statistics.median(CONCURRENT_MEDIANS[k.name]))
                          if k.name in CONCURRENT_MEDIANS else "") for c, k in zip(cells, kinds)]
        print("| %s | %s | %s | %s |" % (title, target, " | ".join(cells), " | ".join(ratios)))
        sys.stdout.flush()
        if fn is m_start and os.path.exists(Floor.BIN):
            floor_row(title, n, args.runs, medians.get("konnect"))


def floor_row(title, n, runs, konnect):
    """The same start, by a loop that only spawns: the part of the row that is the machine's."""
    vals = [session(Floor, n, m_start) for _ in range(runs)]
    med = statistics.median(vals)
    ratio = " (konnect / floor: %.2fx)" % (konnect / med) if konnect else ""
    print("| %s: floor, a bare posix_spawn loop | — | %s (%s–%s)%s |" % (
        title, fmt_time(med), fmt_time(min(vals)), fmt_time(max(vals)), ratio))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
