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
import socket
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

# --- log throughput: one program writes LOG_BYTES through rotation at 50 MB ----------------

LOG_BYTES = 1 << 30
LOG_MAX = 50 * 1024 * 1024
DATA = "/tmp/konnect-bench-data"


def make_data(size):
    """A file of numbered lines (whole lines: svlogd drops a final partial one), made once.
    Returns (its size, its sha1): what every supervisor must reproduce."""
    import hashlib
    line_len = len(b"line %010d abcdefghijklmnopqrstuvwxyz\n" % 0)
    size -= size % line_len
    if not (os.path.exists(DATA) and os.path.getsize(DATA) == size):
        with open(DATA, "wb") as f:
            n = 0
            while n * line_len < size:
                count = min(100000, size // line_len - n)
                f.write(b"".join(b"line %010d abcdefghijklmnopqrstuvwxyz\n" % (n + i) for i in range(count)))
                n += count
    h = hashlib.sha1()
    with open(DATA, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return size, h.hexdigest()


def rotated_files(base, backups=100):
    files = [base + ".%d" % i for i in range(backups, 0, -1)] + [base]
    return [f for f in files if os.path.exists(f)]


def m_log_throughput(kind, size, digest):
    import hashlib
    d = tempfile.mkdtemp(prefix="konnect-bench-")
    logdir = os.path.join(d, "logs")
    os.makedirs(logdir)
    base = os.path.join(logdir, "big.log")
    pids = []
    try:
        if kind == "konnect":
            with open(os.path.join(d, "k.toml"), "w") as f:
                f.write('[konnectd]\nsocket = "k.sock"\nlog_file = "konnectd.log"\npid_file = "k.pid"\n'
                        'log_level = "warn"\n\n[program.big]\ncommand = ["/bin/cat", "%s"]\nstartsecs = 0\n'
                        'autorestart = false\nstdout_log = "%s"\nstdout_log_maxbytes = %d\n'
                        'stdout_log_backups = 100\nstderr_log = "none"\n' % (DATA, base, LOG_MAX))
            argv = [KONNECTD, "-c", os.path.join(d, "k.toml")]
        elif kind == "supervisord":
            conf = os.path.join(d, "s.conf")
            with open(conf, "w") as f:
                f.write("[unix_http_server]\nfile=%s/s.sock\n\n[supervisord]\nnodaemon=true\nlogfile=%s/s.log\n"
                        "pidfile=%s/s.pid\nloglevel=warn\n\n[rpcinterface:supervisor]\n"
                        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                        "[program:big]\ncommand=/bin/cat %s\nstartsecs=0\nautorestart=false\n"
                        "stdout_logfile=%s\nstdout_logfile_maxbytes=%d\nstdout_logfile_backups=100\n"
                        "stderr_logfile=NONE\n" % (d, d, d, DATA, base, LOG_MAX))
            argv = ["/usr/bin/supervisord", "-c", conf]
        else:  # runit: runsv + svlogd, the classic pair
            sv = os.path.join(d, "sv", "big")
            os.makedirs(os.path.join(sv, "log"))
            with open(os.path.join(sv, "run"), "w") as f:
                f.write("#!/bin/sh\nexec /bin/cat %s\n" % DATA)
            with open(os.path.join(sv, "log", "run"), "w") as f:
                f.write("#!/bin/sh\nexec svlogd %s\n" % logdir)
            with open(os.path.join(logdir, "config"), "w") as f:
                f.write("s%d\nn100\n" % LOG_MAX)
            os.chmod(os.path.join(sv, "run"), 0o755)
            os.chmod(os.path.join(sv, "log", "run"), 0o755)
            open(os.path.join(sv, "down"), "w").close()  # run once: `sv once`
            argv = ["/usr/bin/runsvdir", "-P", os.path.join(d, "sv")]
            base = os.path.join(logdir, "current")
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        if kind == "runit":
            wait_for(lambda: os.path.exists(os.path.join(d, "sv", "big", "supervise", "ok")), timeout=10)
            subprocess.run(["/usr/bin/sv", "once", os.path.join(d, "sv", "big")], stdout=subprocess.DEVNULL)

        def size_of(path):
            try:
                return os.path.getsize(path)
            except OSError:  # renamed by a rotation since we listed it: count it next time
                return -(1 << 62)

        def logged():
            if kind == "runit":
                return sum(size_of(os.path.join(logdir, f)) for f in os.listdir(logdir)
                           if f.startswith("@") or f == "current")
            return sum(size_of(f) for f in rotated_files(base))

        def supervisor_pids():
            if kind == "runit":
                return [proc.pid] + children(proc.pid) + [c for r in children(proc.pid) for c in children(r)
                                                          if "svlogd" in open("/proc/%d/cmdline" % c).read()]
            return [proc.pid]

        wait_for(lambda: logged() >= size, timeout=120, interval=0.005)
        elapsed = time.perf_counter() - t0
        time.sleep(0.2)
        pids = supervisor_pids()
        cpu = sum(cpu_ticks(p) for p in pids if os.path.exists("/proc/%d" % p)) / os.sysconf("SC_CLK_TCK")
        # Integrity: the files, oldest first, must be the data exactly.
        if kind == "runit":
            files = sorted(os.path.join(logdir, f) for f in os.listdir(logdir) if f.startswith("@"))
            files.append(os.path.join(logdir, "current"))
        else:
            files = rotated_files(base)
        h = hashlib.sha1()
        for fn in files:
            with open(fn, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        biggest = max(os.path.getsize(f) for f in files)
        return elapsed, cpu, h.hexdigest() == digest, biggest
    finally:
        try:
            if kind == "runit":
                for r in children(proc.pid):
                    for c in children(r):
                        os.kill(c, signal.SIGKILL)
                    os.kill(r, signal.SIGKILL)
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except Exception:
            pass
        shutil.rmtree(d, ignore_errors=True)


FLOOR_SCRIPT = r"""
import os, resource, sys
size, base, maxbytes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
chunk = memoryview(b"x" * (1 << 20))  # slices of it copy nothing in user space
out, written, n = -1, 0, 0
while written < size:
    if written % maxbytes == 0:
        if out >= 0:
            os.close(out)
        out = os.open("%s.%d" % (base, n), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        n += 1
    k = min(len(chunk), size - written, maxbytes - written % maxbytes)
    written += os.write(out, chunk[:k])
os.close(out)
ru = resource.getrusage(resource.RUSAGE_SELF)
print(ru.ru_utime + ru.ru_stime)
"""


def m_log_floor(size):
    """What the kernel alone spends to put the same bytes into the page cache: one process
    writes them from memory into the same 50 MB files (no pipe, no supervisor). Every logger
    pays at least this copy; measured in the same run because it moves a lot on this VM."""
    d = tempfile.mkdtemp(prefix="konnect-bench-")
    try:
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(size), os.path.join(d, "big.log"), str(LOG_MAX)],
                             stdout=subprocess.PIPE, check=True, text=True).stdout
        return time.perf_counter() - t0, float(out.strip())
    finally:
        shutil.rmtree(d, ignore_errors=True)


def log_table(kinds, runs, size):
    size, digest = make_data(size)
    gb = size / float(1 << 30)
    print("\n%d MB of stdout through rotation at 50 MB (median of %d, min–max):" % (size >> 20, runs))
    print("| supervisor | MB/s | CPU-s per GB | bytes intact | largest file |")
    print("|---|---|---|---|---|")
    # On this VM the first gigabyte written after a pause costs several times the next one
    # (the host hands freed guest memory back and faults it in again), so one untimed run
    # warms up, and the supervisors take turns within each round instead of running their
    # rounds one after the other: whatever the machine does at a moment, all pay alike.
    m_log_floor(size)
    vals = {k.name: [] for k in kinds}
    vals["floor"] = []  # a reference, not a supervisor
    for _ in range(runs):
        for k in kinds:
            vals[k.name].append(m_log_throughput(k.name, size, digest))
        el, cpu = m_log_floor(size)
        vals["floor"].append((el, cpu, True, 0))
    results = {}
    for name, v in vals.items():
        mbs = sorted(size / x[0] / 1e6 for x in v)
        cpus = sorted(x[1] / gb for x in v)
        results[name] = (statistics.median(mbs), statistics.median(cpus))
        label = "reference: write(2) of the same bytes from memory, no pipe, no supervisor" if name == "floor" else name
        intact = "—" if name == "floor" else ("yes" if all(x[2] for x in v) else "NO")
        largest = "—" if name == "floor" else "%.1f MB" % (max(x[3] for x in v) / 1e6)
        print("| %s | %.0f (%.0f–%.0f) | %.2f (%.2f–%.2f) | %s | %s |" % (
            label, results[name][0], mbs[0], mbs[-1], results[name][1], cpus[0], cpus[-1], intact, largest))
        sys.stdout.flush()
    if "konnect" in results:
        for name, (mbs, cpu) in results.items():
            if name != "konnect":
                print("konnect / %s: %.1fx throughput, %.2fx CPU" % ("reference" if name == "floor" else name, results["konnect"][0] / mbs,
                                                                       results["konnect"][1] / max(cpu, 1e-9)))


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
    ap.add_argument("--logs", action="store_true", help="run only the log throughput table")
    ap.add_argument("--scaling", action="store_true", help="status latency and RSS at 10, 100, 500, 1000 programs")
    args = ap.parse_args()
    if args.quick:
        args.runs, IDLE_SECONDS = 1, 5
    kinds = [SUPERVISORS[k] for k in args.only.split(",")]
    if args.logs:
        log_table(kinds, args.runs, (200 << 20) if args.quick else LOG_BYTES)
        return
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
