#!/usr/bin/python3
"""make soak: 200 crash-looping programs and a control client hammering status, for
SOAK_SECONDS (600 by default). Not part of make test or CI.

konnectd runs from a clean temp dir, inside a delegated cgroup v2 when this machine allows
one (as systemd's Delegate=yes would give it), so the cgroup.kill path is soaked too. Every
30 s it records konnectd's open fds, RSS, zombie children and threads; it checks every status
answer (200 processes, a pid exactly when the state has one, nothing FATAL) and, at the end,
that every program kept cycling, that `stop all` leaves no process behind and that konnectd
exits 0. It prints the samples and a verdict, and exits 1 if anything went wrong or fds or
RSS grew ("flat": the last third's median is no more than the first third's, plus a margin:
32 fds, which move with the number of live processes, and 1 MiB).

  tests/soak/soak.py [--seconds N] [--programs N]
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "bin")
KONNECTD = os.path.join(BIN, "konnectd")
KONNECTCTL = os.path.join(BIN, "konnectctl")
CHILD = os.path.join(BIN, "konnect-testchild")
TAG = "KONNECT_SOAK_TAG"
STATES = {"STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL"}
WITH_PID = {"STARTING", "RUNNING", "STOPPING"}


def toml(s):
    return json.dumps(s)


def programs(n):
    """Four kinds of crash loop, in proportion: crash after running, never start, crash
    after 2000 lines through rotation, crash leaving children and an escaped grandchild."""
    rng = random.Random(1)
    out = []
    for i in range(n):
        kind = i % 10
        fast = 'backoff_initial = "100ms"\nbackoff_max = "2s"\n'
        if kind < 4:
            cmd = [CHILD, "--sleep", str(rng.randint(100, 900)), "--exit", "1"]
            extra = 'startsecs = 0\n' + fast
        elif kind < 7:
            cmd = [CHILD, "--exit", "2"]
            extra = 'startsecs = "1s"\nstartretries = -1\nbackoff_initial = "200ms"\nbackoff_max = "1s"\n'
        elif kind < 9:
            cmd = [CHILD, "--lines", "2000", "--sleep", "200", "--exit", "3"]
            extra = 'startsecs = 0\nstdout_log_maxbytes = "64KB"\nstdout_log_backups = 2\n' + fast
        else:
            cmd = [CHILD, "--fork", "2", "--escape", "--sleep", str(rng.randint(200, 900)), "--exit", "1"]
            extra = 'startsecs = 0\n' + fast
        out.append("[program.p%03d]\ncommand = [%s]\n%s" % (i, ", ".join(toml(c) for c in cmd), extra))
    return "\n".join(out)


def own_cgroup_dir():
    mount = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if right.startswith("cgroup2 ") and fields[3] == "/":
                mount = fields[4]
                break
    if mount is None:
        return None
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return os.path.join(mount, line[3:].strip().lstrip("/"))
    return None


def make_cgroup():
    """A delegated cgroup below ours, or None (the soak then runs without cgroups)."""
    own = own_cgroup_dir()
    if own is None:
        return None
    path = os.path.join(own, "konnect-soak-%d" % os.getpid())
    try:
        os.mkdir(path)
        os.setxattr(path, "trusted.delegate", b"1")
    except OSError as e:
        print("soak: no delegated cgroup (%s); running without" % e)
        try:
            os.rmdir(path)
        except OSError:
            pass
        return None
    return path


def remove_cgroup(path):
    try:
        with open(os.path.join(path, "cgroup.kill"), "w") as f:
            f.write("1")
    except OSError:
        pass
    end = time.monotonic() + 10
    while time.monotonic() < end:
        with open(os.path.join(path, "cgroup.events")) as f:
            if "populated 0" in f.read():
                break
        time.sleep(0.05)
    for dirpath, _, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


def tagged(tag):
    """Pids of live processes whose environment carries our tag."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                if ("%s=%s" % (TAG, tag)).encode() in f.read().split(b"\0"):
                    pids.append(int(name))
        except OSError:
            pass
    return pids


def sample(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = threads = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    zombies = set()
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        for child in f.read().split():
            try:
                with open("/proc/%s/stat" % child) as s:
                    if s.read().rsplit(")", 1)[1].split()[0] == "Z":
                        zombies.add(int(child))
            except OSError:
                pass
    return {"fds": fds, "rss_kb": rss, "threads": threads, "zombies": zombies}


class Hammer(threading.Thread):
    """One connection asking status as fast as konnectd answers, checking each answer."""

    def __init__(self, sock_path, expected):
        super().__init__(daemon=True)
        self.sock_path, self.expected = sock_path, expected
        self.stop = threading.Event()
        self.answers = 0
        self.problems = []
        self.last = {}

    def problem(self, text):
        if len(self.problems) < 20:
            self.problems.append(text)

    def run(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.sock_path)
        f = s.makefile("rb")
        n = 0
        while not self.stop.is_set():
            n += 1
            s.sendall(b'{"id":%d,"cmd":"status"}\n' % n)
            line = f.readline()
            if not line:
                self.problem("connection closed after %d answers" % self.answers)
                return
            answer = json.loads(line)
            self.answers += 1
            if answer.get("id") != n or not answer.get("ok"):
                self.problem("bad answer: %s" % line[:200])
                continue
            procs = answer["result"]["processes"]
            if len(procs) != self.expected:
                self.problem("%d processes in status, expected %d" % (len(procs), self.expected))
            for p in procs:
                state, pid = p["state"], p["pid"]
                if state not in STATES or state == "FATAL":
                    self.problem("%s is %s: %s" % (p["name"], state, p["description"]))
                elif (pid > 0) != (state in WITH_PID):
                    self.problem("%s is %s with pid %d" % (p["name"], state, pid))
                self.last[p["name"]] = p
        s.close()


def ctl(sock_path, *args, timeout=120):
    return subprocess.run([KONNECTCTL, "-s", sock_path, *args], capture_output=True, text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", "600")))
    ap.add_argument("--programs", type=int, default=200)
    opts = ap.parse_args()
    interval = min(30, max(5, opts.seconds // 10))

    tmp = tempfile.mkdtemp(prefix="konnect-soak-")
    sock_path = os.path.join(tmp, "konnectd.sock")
    config = os.path.join(tmp, "konnectd.toml")
    with open(config, "w") as f:
        f.write('[konnectd]\nsocket = %s\nlog_dir = %s\npid_file = %s\n\n%s' % (
            toml(sock_path), toml(os.path.join(tmp, "logs")), toml(os.path.join(tmp, "konnectd.pid")),
            programs(opts.programs)))
    tag = str(os.getpid())
    cgroup = make_cgroup()

    def enter_cgroup():
        if cgroup:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write("0")

    env = dict(os.environ, **{TAG: tag})
    daemon = subprocess.Popen([KONNECTD, "--allow-insecure-config", "-c", config], env=env,
                              stdin=subprocess.DEVNULL, preexec_fn=enter_cgroup)
    failures = []
    samples = []
    verdict = {}
    hammer = None
    ctl_calls = ctl_failures = 0
    try:
        end = time.monotonic() + 15
        while not os.path.exists(sock_path):
            if time.monotonic() > end or daemon.poll() is not None:
                raise SystemExit("soak: konnectd did not start")
            time.sleep(0.05)
        hammer = Hammer(sock_path, opts.programs)
        hammer.start()
        started = time.monotonic()
        next_sample = started
        while time.monotonic() - started < opts.seconds:
            if daemon.poll() is not None:
                failures.append("konnectd exited with %d during the soak" % daemon.returncode)
                break
            now = time.monotonic()
            if now >= next_sample:
                s = sample(daemon.pid)
                s["t"] = int(now - started)
                s["answers"] = hammer.answers
                samples.append(s)
                next_sample += interval
            # Whole-process konnectctl calls too, as an admin's scripts make them.
            r = ctl(sock_path, "status", "p000", "p005", timeout=30)
            ctl_calls += 1
            if r.returncode not in (0, 3):  # 3: a named process is not running (SPEC.md)
                ctl_failures += 1
                if ctl_failures <= 5:
                    failures.append("konnectctl status exited %d: %s" % (r.returncode, r.stderr.strip()))
            time.sleep(0.2)
        if samples:
            s = sample(daemon.pid)
            s["t"] = int(time.monotonic() - started)
            s["answers"] = hammer.answers
            samples.append(s)
        hammer.stop.set()
        hammer.join(15)
        failures += hammer.problems

        # Every program kept cycling: its last start is recent.
        last_second = time.time() - 30
        stale = [n for n, p in hammer.last.items() if p["start"] < last_second]
        if stale:
            failures.append("%d programs did not start in the last 30 s: %s" % (len(stale), ", ".join(stale[:5])))

        # A zombie seen in two samples in a row was never reaped.
        for a, b in zip(samples, samples[1:]):
            kept = a["zombies"] & b["zombies"]
            if kept:
                failures.append("zombies not reaped between t=%ds and t=%ds: %s" % (a["t"], b["t"], sorted(kept)))

        # Flat: the last third's median no higher than the first third's, plus a margin for
        # what moves with the number of live processes at the instant of the sample (a pidfd
        # each, spawn-report pipes). The t=0 sample, before the programs started, is left out.
        steady = [s for s in samples if s["t"] > 0]
        third = max(1, len(steady) // 3)
        first, last = steady[:third], steady[-third:]
        median = lambda xs: sorted(xs)[len(xs) // 2]
        fd_first, fd_last = median([s["fds"] for s in first]), median([s["fds"] for s in last])
        rss_first, rss_last = median([s["rss_kb"] for s in first]), median([s["rss_kb"] for s in last])
        verdict.update(fd_first=fd_first, fd_last=fd_last, rss_first=rss_first, rss_last=rss_last)
        if fd_last > fd_first + 32:
            failures.append("fds grew: median %d in the first third, %d in the last" % (fd_first, fd_last))
        if rss_last > rss_first + 1024:
            failures.append("RSS grew: median %d kB in the first third, %d kB in the last" % (rss_first, rss_last))

        r = ctl(sock_path, "stop", "all")
        if r.returncode != 0:
            failures.append("stop all exited %d: %s" % (r.returncode, r.stderr.strip()[:300]))
        end = time.monotonic() + 10
        left = tagged(tag)
        while [p for p in left if p != daemon.pid] and time.monotonic() < end:
            time.sleep(0.05)
            left = tagged(tag)
        left = [p for p in left if p != daemon.pid]
        if left:
            failures.append("%d processes left after stop all: %s" % (len(left), left[:10]))
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(60)
        if code != 0:
            failures.append("konnectd exited %d on SIGTERM" % code)
        lines = []
        for name in sorted(os.listdir(os.path.join(tmp, "logs"))):
            if name.startswith("konnectd"):  # konnectd.log and its rotations
                with open(os.path.join(tmp, "logs", name), errors="replace") as f:
                    lines += f.readlines()
        bad = [l.strip() for l in lines if "[error]" in l or "[critical]" in l]
        verdict["exits"] = sum(1 for l in lines if ") in state " in l and " exited (" in l)
        verdict["orphans"] = sum(1 for l in lines if "left behind by an instance that is gone" in l)
        if bad:
            failures.append("%d error lines in the daemon log, first: %s" % (len(bad), bad[0]))
    finally:
        if hammer:
            hammer.stop.set()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        for p in tagged(tag):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if cgroup:
            remove_cgroup(cgroup)
        subprocess.run(["rm", "-rf", tmp])

    print("soak: %d programs for %d s (%s), %d status answers on one connection, %d konnectctl calls" % (
        opts.programs, opts.seconds, "own cgroup per program" if cgroup else "no cgroups",
        samples[-1]["answers"] if samples else 0, ctl_calls))
    print("| t (s) | fds | RSS (kB) | threads | zombies | status answers |")
    print("|---|---|---|---|---|---|")
    for s in samples:
        print("| %d | %d | %d | %d | %d | %d |" % (s["t"], s["fds"], s["rss_kb"], s["threads"], len(s["zombies"]), s["answers"]))
    if "exits" in verdict:
        print("%(exits)d program exits handled, %(orphans)d escaped descendants swept" % verdict)
    if "fd_first" in verdict:
        print("fds (median): %(fd_first)d in the first third, %(fd_last)d in the last; "
              "RSS (median): %(rss_first)d kB, %(rss_last)d kB" % verdict)
    if failures:
        print("soak: FAILED")
        for f in failures:
            print("  - " + f)
        return 1
    print("soak: passed (fds and RSS flat, every answer consistent, nothing left behind)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
