#!/usr/bin/python3
"""Logs to the console (issue 20): one program `cat`s a file of lines to its stdout, and the
supervisor passes it on to its own stdout, a pipe this script reads as `docker logs` would.

  - konnect: stdout_log = "console" (every line prefixed "big | ", whole lines only);
  - supervisord: its container idiom, stdout_logfile=/dev/stdout with maxbytes=0 (bytes as
    they come, no prefix);
  - floor: `cat` straight into the same pipe, no supervisor (a reference, not a row to beat).

Each round the three take turns (after one untimed warm-up round); the median (min-max) of
--runs. MB/s is the file's size over the time from the start until the reader has every
line; CPU is the supervisor's utime+stime (all threads) over that time; "intact" says the
reader got every line (and, for konnect, each with its prefix; supervisord also writes its own
log lines there, which are not counted).

  bench/console.py [--runs N] [--size-mb 512]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import cpu_ticks  # noqa: E402
from logs import konnect_setup, make_data, supervisord_setup  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PREFIX = b"big | "
DATA = "/tmp/konnect-bench-data"
LINE = b"line %010d abcdefghijklmnopqrstuvwxyz\n"  # 43 bytes


def read_until(fd, want_lines, first_line, suffix):
    """Reads fd until want_lines of the program's lines (each ends in `suffix`) came: a
    supervisor's own lines on the same stdout are not counted. Returns (bytes, program lines,
    whether the first program line is first_line)."""
    got = lines = 0
    head = b""
    carry = b""
    while lines < want_lines:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        if len(head) < 4096:
            head += chunk[:4096]
        got += len(chunk)
        window = carry + chunk
        lines += window.count(suffix)
        carry = window[-(len(suffix) - 1):]
    at = head.find(first_line)
    return got, lines, at == 0 or (at > 0 and head[at - 1:at] == b"\n")


def one(kind, size, nlines, first):
    d = tempfile.mkdtemp(prefix="konnect-bench-console-")
    r, w = os.pipe()
    os.set_blocking(r, True)
    try:
        if kind == "konnect":
            argv = konnect_setup(d, ["/bin/cat", DATA], "console")
            want_first = PREFIX + first
        elif kind == "supervisord":
            argv = supervisord_setup(d, ["/bin/cat", DATA], "/dev/stdout", maxbytes=0)
            want_first = first
        else:
            argv = ["/bin/cat", DATA]
            want_first = first
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=w, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        os.close(w)
        w = -1
        got, lines, first_ok = read_until(r, nlines, want_first, first[first.index(b" ", 5):])
        elapsed = time.perf_counter() - t0
        cpu = cpu_ticks(proc.pid) / TICK if kind != "floor" else 0.0
        expected = size + (nlines * len(PREFIX) if kind == "konnect" else 0)
        intact = lines == nlines and got >= expected and first_ok
        if kind != "floor":
            proc.send_signal(signal.SIGTERM)
        # Whatever it still writes (its exit) goes nowhere.
        while os.read(r, 1 << 20):
            pass
        proc.wait(30)
        return elapsed, cpu, intact
    finally:
        if w >= 0:
            os.close(w)
        os.close(r)
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mb", type=int, default=512)
    args = ap.parse_args()
    size, _ = make_data(args.size_mb << 20, DATA, LINE)
    with open(DATA, "rb") as f:
        first = f.readline()
    nlines = size // len(first)
    kinds = ["konnect", "supervisord", "floor"]
    for k in kinds:
        one(k, size, nlines, first)  # warm-up, untimed
    vals = {k: [] for k in kinds}
    for _ in range(args.runs):
        for k in kinds:
            vals[k].append(one(k, size, nlines, first))
    gb = size / float(1 << 30)
    print("\n%d MB of stdout passed on to the supervisor's own stdout, a pipe (median of %d, min-max):"
          % (size >> 20, args.runs))
    print("| | MB/s | supervisor CPU-s per GB | intact |")
    print("|---|---|---|---|")
    med = {}
    for k in kinds:
        mbs = sorted(size / v[0] / 1e6 for v in vals[k])
        cpus = sorted(v[1] / gb for v in vals[k])
        med[k] = statistics.median(mbs)
        label = {"konnect": 'konnect, stdout_log = "console"', "supervisord": "supervisord 4.2.5, /dev/stdout",
                 "floor": "floor: cat into the pipe, no supervisor"}[k]
        cpu = "—" if k == "floor" else "%.2f (%.2f–%.2f)" % (statistics.median(cpus), cpus[0], cpus[-1])
        print("| %s | %.0f (%.0f–%.0f) | %s | %s |" % (label, med[k], mbs[0], mbs[-1], cpu,
                                                       "yes" if all(v[2] for v in vals[k]) else "NO"))
    print("konnect / supervisord: %.1fx throughput; konnect / floor: %.2fx"
          % (med["konnect"] / med["supervisord"], med["konnect"] / med["floor"]))


if __name__ == "__main__":
    main()
