#!/usr/bin/python3
"""/metrics (issue 19): what a Prometheus scrape costs konnectd, against the per-scrape /proc
walk of supervisors that read their programs' CPU and memory at each scrape (ochinchina's
supervisord, gopsutil-based exporters: bench/procwalk_baseline.cpp, same machine, same
programs, same run), and konnectd's wakeups with its HTTP server on and nobody connected.

Rows, for 100 and 1000 programs (each a sleeping process), the median (min-max) of --runs:
  - scrape latency: GET /metrics over a kept-alive connection, as Prometheus scrapes, the
    median of 50 scrapes per run;
  - konnectd's CPU per scrape (all its threads), over those 50;
  - the baseline's time per scrape for the same programs' pids;
  - idle: konnectd's context switches (every thread) in --idle seconds with HTTP on and
    nobody connected, before and after a first scrape started the collector's thread.

  bench/metrics.py [--runs N] [--sizes 100,1000] [--idle 10]
"""
import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import BIN, Konnect, children, cpu_ticks, switches, wait_for  # noqa: E402
from restart_load import free_port  # noqa: E402

BASELINE = os.path.join(BIN, "konnect-procwalk-baseline")


class KonnectHttp(Konnect):
    """konnectd with [konnectd] http on loopback."""

    def __init__(self, n, d):
        super().__init__(n, d)
        self.port = free_port()
        path = os.path.join(d, "k.toml")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace("[konnectd]\n", '[konnectd]\nhttp = "127.0.0.1:%d"\n' % self.port, 1))


def scrapes(port, count=50):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times, size = [], 0
    for _ in range(count):
        t0 = time.perf_counter()
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError("HTTP %d" % r.status)
        size = len(body)
    conn.close()
    return times, size


def idle_switches(pid, seconds):
    time.sleep(1.0)
    s0 = switches(pid)
    time.sleep(seconds)
    return switches(pid) - s0


def run_once(n, idle_seconds):
    with tempfile.TemporaryDirectory() as d:
        k = KonnectHttp(n, d)
        pid = k.start()
        try:
            wait_for(k.ready, 120)
            out = {"idle_before": idle_switches(pid, idle_seconds)}
            scrapes(k.port, 5)  # warm-up; starts the collector's thread
            c0 = cpu_ticks(pid)
            times, size = scrapes(k.port)
            c1 = cpu_ticks(pid)
            out["scrape_ms"] = statistics.median(times)
            out["cpu_ms"] = (c1 - c0) * 1000.0 / os.sysconf("SC_CLK_TCK") / len(times)
            out["bytes"] = size
            out["idle_after"] = idle_switches(pid, idle_seconds)
            pids = [str(p) for p in children(pid)]
            base = subprocess.run([BASELINE, "10"] + pids, capture_output=True, text=True, check=True).stdout.split("\n")
            out["baseline_ms"] = statistics.median(float(line.split()[0]) for line in base if line)
            return out
        finally:
            k.stop()


def cell(values, unit, fmt="%.2f"):
    return (fmt + " %s (" + fmt + "–" + fmt + ")") % (statistics.median(values), unit, min(values), max(values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--idle", type=int, default=10)
    a = ap.parse_args()
    print("| programs | /metrics scrape | konnectd CPU per scrape | per-scrape /proc walk (baseline) | ratio | "
          "idle wakeups, HTTP on, before / after a scrape |")
    print("|---|---|---|---|---|---|")
    for n in (int(x) for x in a.sizes.split(",")):
        runs = [run_once(n, a.idle) for _ in range(a.runs)]
        scrape = [r["scrape_ms"] for r in runs]
        base = [r["baseline_ms"] for r in runs]
        print("| %d | %s | %s | %s | %.3f | %s / %s in %d s |" % (
            n, cell(scrape, "ms"), cell([r["cpu_ms"] for r in runs], "ms"), cell(base, "ms"),
            statistics.median(scrape) / statistics.median(base),
            max(r["idle_before"] for r in runs), max(r["idle_after"] for r in runs), a.idle), flush=True)


if __name__ == "__main__":
    main()
