#!/usr/bin/python3
"""Log capture through rotation, konnect beside supervisord and runit (svlogd), same run.

One program writes SIZE bytes of 71-byte lines (a file in /dev/shm) to its stdout; the
supervisor writes them into a log file rotated at 50 MB with 100 backups. The program is a
bash script: it records the time, `cat`s the file, records the time again and sleeps. Each
round gives two measures:

  - writer side: SIZE / the writer's own time from before to after `cat`, that is how long
    the supervisor held the program up (a program blocks once the pipe is full);
  - log side: SIZE / the time from the writer's start until every byte is in the log files.

CPU is the supervisor's utime+stime (every thread; for runit runsvdir, runsv and svlogd) from
the writer's start (it waits for a signal, once the supervisor is up) until every byte is
logged, per GB. Afterwards the log files, oldest first, are read
back: "lost" is SIZE minus the bytes in them, "intact" says they are the data exactly, and the
largest file shows that rotation is exact (52428800 bytes).

Floor rows, no supervisor (bench/log_floor.py): the same writer into a 1 MiB pipe that a bare
loop moves into 50 MB files, by splice(2), by splice through a second pipe, by read/write.

Rounds: a `sync` and a 2 s pause before each turn, the supervisors take turns within a round,
one untimed warm-up round, then the median (min–max) of --runs rounds.

  bench/logs.py [--runs 3] [--size-mb 1024] [--only konnect,supervisord,runit] [--floors splice,two,read]
"""
import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import KONNECTD, children, cpu_ticks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/dev/shm/konnect-bench-lines"
LOG_MAX = 50 * 1024 * 1024
BACKUPS = 100
TICK = os.sysconf("SC_CLK_TCK")
LINE = b"line %010d abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzAB\n"  # 71 bytes


def make_data(size, path=DATA, line=LINE):
    """A file of numbered whole lines (svlogd drops a final partial one), made once. Returns
    (its size, its sha1): what every supervisor must reproduce."""
    line_len = len(line % 0)
    size -= size % line_len
    if not (os.path.exists(path) and os.path.getsize(path) == size):
        with open(path, "wb") as f:
            n = 0
            while n * line_len < size:
                count = min(100000, size // line_len - n)
                f.write(b"".join(line % (n + i) for i in range(count)))
                n += count
    return size, sha1_of([path])


def sha1_of(files):
    h = hashlib.sha1()
    for fn in files:
        with open(fn, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


# --- the three supervisors' configs: one program `command`, its stdout to `log` ---------------

def konnect_setup(d, command, log, maxbytes=LOG_MAX, backups=BACKUPS, konnectd=KONNECTD):
    """command: argv list. log: a path, or "console". Returns konnectd's argv."""
    conf = os.path.join(d, "k.toml")
    rotation = "" if log == "console" else "stdout_log_maxbytes = %d\nstdout_log_backups = %d\n" % (maxbytes, backups)
    with open(conf, "w") as f:
        f.write('[konnectd]\nsocket = "k.sock"\nlog_file = "konnectd.log"\npid_file = "k.pid"\n'
                'log_level = "warn"\n\n[program.big]\ncommand = [%s]\nstartsecs = 0\nautorestart = false\n'
                'stdout_log = "%s"\n%sstderr_log = "none"\n'
                % (", ".join('"%s"' % a for a in command), log, rotation))
    return [konnectd, "-c", conf]


def supervisord_setup(d, command, log, maxbytes=LOG_MAX, backups=BACKUPS):
    """log: a path, or /dev/stdout (then maxbytes must be 0). Returns supervisord's argv."""
    conf = os.path.join(d, "s.conf")
    with open(conf, "w") as f:
        f.write("[unix_http_server]\nfile=%s/s.sock\n\n[supervisord]\nnodaemon=true\nlogfile=%s/s.log\n"
                "pidfile=%s/s.pid\nloglevel=warn\n\n[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
                "[program:big]\ncommand=%s\nstartsecs=0\nautorestart=false\n"
                "stdout_logfile=%s\nstdout_logfile_maxbytes=%d\nstdout_logfile_backups=%d\n"
                "stderr_logfile=NONE\n" % (d, d, d, " ".join(command), log, maxbytes, backups))
    return ["/usr/bin/supervisord", "-c", conf]


def runit_setup(d, command, logdir, maxbytes=LOG_MAX, backups=BACKUPS):
    """runsv + svlogd, the classic pair; the service is down until `sv once`. Returns
    runsvdir's argv."""
    sv = os.path.join(d, "sv", "big")
    os.makedirs(os.path.join(sv, "log"))
    with open(os.path.join(sv, "run"), "w") as f:
        f.write("#!/bin/sh\nexec %s\n" % " ".join(command))
    with open(os.path.join(sv, "log", "run"), "w") as f:
        f.write("#!/bin/sh\nexec svlogd %s\n" % logdir)
    with open(os.path.join(logdir, "config"), "w") as f:
        f.write("s%d\nn%d\n" % (maxbytes, backups))
    os.chmod(os.path.join(sv, "run"), 0o755)
    os.chmod(os.path.join(sv, "log", "run"), 0o755)
    open(os.path.join(sv, "down"), "w").close()
    return ["/usr/bin/runsvdir", "-P", os.path.join(d, "sv")]


def log_files(kind, logdir, base):
    """The log files, oldest first."""
    if kind == "runit":
        return sorted(os.path.join(logdir, f) for f in os.listdir(logdir) if f.startswith("@")) + \
            [os.path.join(logdir, "current")]
    if kind.startswith("floor"):
        n = len([f for f in os.listdir(logdir) if f.startswith("big.log.")])
        return ["%s.%d" % (base, i) for i in range(n)]
    files = ["%s.%d" % (base, i) for i in range(BACKUPS, 0, -1)] + [base]
    return [f for f in files if os.path.exists(f)]


def logged_bytes(logdir):
    total = 0
    for f in os.listdir(logdir):
        if not (f.startswith("big.log") or f.startswith("@") or f == "current"):
            continue
        try:
            total += os.path.getsize(os.path.join(logdir, f))
        except OSError:  # renamed by a rotation since the listing: counted next time
            return -1
    return total


def wait_for(pred, timeout, interval=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    raise TimeoutError("not done in %.0f s" % timeout)


def read_number(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return float(text) if text else None
    except OSError:
        return None


PAUSE = 2.0  # seconds after the sync before each turn (--pause)


def supervisor_pids(kind, proc):
    """The processes whose CPU counts as the supervisor's."""
    if kind != "runit":
        return [proc.pid]
    runsvs = children(proc.pid)
    return [proc.pid] + runsvs + [c for r in runsvs for c in children(r) if "svlogd" in cmdline(c)]


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid) as f:
            return f.read()
    except OSError:
        return ""


def cpu_of(pids):
    total = 0
    for p in pids:
        try:
            total += cpu_ticks(p)
        except OSError:  # gone: counted as none
            pass
    return total / TICK


def one(kind, size, digest):
    """One turn. Returns (writer MB/s, log-side MB/s, CPU-s per GB, lost bytes, intact, largest)."""
    if PAUSE > 0:
        subprocess.run(["sync"])
        time.sleep(PAUSE)
    d = tempfile.mkdtemp(prefix="konnect-bench-logs-")
    logdir = os.path.join(d, "logs")
    os.makedirs(logdir)
    base = os.path.join(logdir, "big.log")
    writer = os.path.join(d, "writer")
    # It says it is there (its pid: the turn stops it by pid), waits for "go" (so the CPU
    # counted is that of the bytes, not of the supervisor's start), then writes. bash's
    # $EPOCHREALTIME reads the clock without starting a process.
    with open(writer, "w") as f:
        f.write("#!/bin/bash\necho $$ > {d}/pid.tmp && mv {d}/pid.tmp {d}/pid\n"
                "while [ ! -e {d}/go ]; do sleep 0.01; done\n"
                "echo $EPOCHREALTIME > {d}/t0.tmp && mv {d}/t0.tmp {d}/t0\n/bin/cat {data}\n"
                "echo $EPOCHREALTIME > {d}/t1.tmp && mv {d}/t1.tmp {d}/t1\nexec sleep 100000\n".format(d=d, data=DATA))
    os.chmod(writer, 0o755)
    proc = None
    try:
        if kind.startswith("konnect"):  # "konnect@PATH": another build, in the same rounds
            argv = konnect_setup(d, [writer], base, konnectd=kind.partition("@")[2] or KONNECTD)
        elif kind == "supervisord":
            argv = supervisord_setup(d, [writer], base)
        elif kind == "runit":
            argv = runit_setup(d, [writer], logdir)
        else:
            argv = [sys.executable, os.path.join(HERE, "log_floor.py"), kind.partition(":")[2], base, str(LOG_MAX),
                    str(size), "--", writer]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                stdout=subprocess.PIPE if kind.startswith("floor") else subprocess.DEVNULL)
        if kind == "runit":
            wait_for(lambda: os.path.exists(os.path.join(d, "sv", "big", "supervise", "ok")), 10)
            subprocess.run(["/usr/bin/sv", "once", os.path.join(d, "sv", "big")], stdout=subprocess.DEVNULL)
            wait_for(lambda: len(supervisor_pids(kind, proc)) >= 3, 10)  # svlogd is up
        wait_for(lambda: read_number(os.path.join(d, "pid")) is not None, 30)
        time.sleep(0.2)  # the supervisor settles after the spawn (its CPU so far is not counted)
        pids = supervisor_pids(kind, proc)
        cpu0 = cpu_of(pids)
        open(os.path.join(d, "go"), "w").close()
        wait_for(lambda: read_number(os.path.join(d, "t1")) is not None, 600)
        floor_out = proc.stdout.readline().split() if kind.startswith("floor") else None
        wait_for(lambda: logged_bytes(logdir) >= size, 600)
        done = time.time()
        t0, t1 = read_number(os.path.join(d, "t0")), read_number(os.path.join(d, "t1"))
        cpu = float(floor_out[1]) if floor_out else cpu_of(pids) - cpu0
        files = log_files(kind, logdir, base)
        total = sum(os.path.getsize(f) for f in files)
        gb = size / float(1 << 30)
        return (size / (t1 - t0) / 1e6, size / (done - t0) / 1e6, cpu / gb, size - total,
                sha1_of(files) == digest, max(os.path.getsize(f) for f in files))
    finally:
        if proc is not None:
            stop(kind, proc, d)
        shutil.rmtree(d, ignore_errors=True)


def stop(kind, proc, d):
    """Every process the turn started, by pid: the writer (its sleep), then the supervisor;
    runit's runsvdir first (it would start runsv again), then each runsv and its children."""
    pids = [int(read_number(os.path.join(d, "pid")) or 0)]
    if kind == "runit":
        runsvs = children(proc.pid)
        pids += [proc.pid] + runsvs + [c for r in runsvs for c in children(r)]
    for p in pids:
        try:
            if p > 0:
                os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


LABELS = {
    "floor:splice": "floor: a bare splice(2) loop, pipe to file",
    "floor:two": "floor: splice through a second pipe",
    "floor:read": "floor: a bare read/write loop, 1 MiB buffer",
}


def label(kind):
    if kind in LABELS:
        return LABELS[kind]
    if kind.startswith("floor:") and kind.count(":") == 2:  # floor:MODE:CHUNK
        return "%s, %d KiB writes" % (LABELS["floor:" + kind.split(":")[1]], int(kind.split(":")[2]) >> 10)
    return kind


def table(kinds, runs, size):
    size, digest = make_data(size)
    for k in kinds:
        one(k, size, digest)  # warm-up, untimed
    vals = {k: [] for k in kinds}
    for _ in range(runs):
        for k in kinds:
            vals[k].append(one(k, size, digest))
    print("\n%d MB of 71-byte lines from `cat` through rotation at 50 MB x %d, same run, median (min–max) of %d:"
          % (size >> 20, BACKUPS, runs))
    print("| | writer-side MB/s | log-side MB/s | CPU-s per GB | bytes lost | intact | largest file |")
    print("|---|---|---|---|---|---|---|")
    med = {}

    def cell(xs, fmt):
        xs = sorted(xs)
        return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(xs), xs[0], xs[-1])
    for k in kinds:
        v = vals[k]
        med[k] = (statistics.median(x[0] for x in v), statistics.median(x[2] for x in v))
        print("| %s | %s | %s | %s | %d | %s | %d |" % (
            label(k), cell([x[0] for x in v], "%.0f"), cell([x[1] for x in v], "%.0f"),
            cell([x[2] for x in v], "%.2f"), max(x[3] for x in v), "yes" if all(x[4] for x in v) else "NO",
            max(x[5] for x in v)))
        sys.stdout.flush()
    if "konnect" in med:
        for k in kinds:
            if k != "konnect":
                print("konnect / %s: %.2fx writer-side throughput, %.2fx CPU per GB"
                      % (k, med["konnect"][0] / med[k][0], med["konnect"][1] / max(med[k][1], 1e-9)))


def main():
    global PAUSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--only", default="konnect,supervisord,runit")
    ap.add_argument("--floors", default="splice,two,read", help="floor rows (empty: none)")
    ap.add_argument("--pause", type=float, default=PAUSE,
                    help="sync, then wait this long before each turn (0: neither, as bench.py --logs did)")
    ap.add_argument("--also", default="", help="konnectd binaries to compare, comma-separated: rows konnect@PATH")
    args = ap.parse_args()
    PAUSE = args.pause
    kinds = [k for k in args.only.split(",") if k] + ["konnect@" + p for p in args.also.split(",") if p] + ["floor:" + f for f in args.floors.split(",") if f]
    print("# bench/logs.py, %s, %s, %d cores, pause %.1f s" % (time.strftime("%Y-%m-%d %H:%M"), os.uname().release,
                                                             os.cpu_count(), PAUSE))
    try:
        table(kinds, args.runs, args.size_mb << 20)
    finally:
        os.unlink(DATA)  # 1 GB of memory in /dev/shm: made again next time


if __name__ == "__main__":
    main()
