#!/usr/bin/python3
"""supervisord's XML-RPC interface (issue 18), konnectd beside supervisord 4.2.5, same run.

Rows, each the median (min-max) of --runs, the supervisors taking turns:
  - `supervisorctl status` (Debian's client, a Python start included) with 100 programs,
    against konnectd's control socket and against supervisord's socket;
  - supervisor.getAllProcessInfo at 100 and 1000 programs: one call over a kept-alive
    connection, as a monitoring check makes it (Python's xmlrpc.client on the Unix socket),
    the median of 50 calls per run;
  - konnectctl status for scale (konnectd's own protocol).

  bench/supervisor_rpc.py [--runs N] [--sizes 100,1000]
"""
import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Konnect, Supervisord, timed, wait_for  # noqa: E402


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def rpc_latency(sock, calls=50):
    """getAllProcessInfo over one kept-alive HTTP/1.1 connection: ms per call."""
    conn = UnixConnection(sock)
    body = xmlrpc.client.dumps((), "supervisor.getAllProcessInfo").encode()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        conn.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
        r = conn.getresponse()
        data = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            raise RuntimeError("HTTP %d" % r.status)
    infos = xmlrpc.client.loads(data)[0][0]
    conn.close()
    return statistics.median(times), len(infos)


def run(cls, n, runs, measure):
    with tempfile.TemporaryDirectory() as d:
        s = cls(n, d)
        s.start()
        try:
            wait_for(s.ready, 180, 0.05)
            time.sleep(1.0)
            return [measure(s) for _ in range(runs)]
        finally:
            s.stop()


def ctl_status(s):
    argv = ["/usr/bin/supervisorctl", "-s", "unix://" + s.sock, "status"]
    dt, rc = timed(argv)
    if rc != 0:
        raise RuntimeError("supervisorctl status exited %d" % rc)
    return dt * 1000


def rng(vals, fmt="%.1f"):
    return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(vals), min(vals), max(vals))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="100,1000")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print("# XML-RPC bench, %s, %s, %d cores, %d runs" % (
        time.strftime("%Y-%m-%d %H:%M"), os.uname().release, os.cpu_count(), args.runs))
    print("| workload | konnect | supervisord 4.2.5 | ratio |")
    print("|---|---|---|---|")
    k = run(Konnect, 100, args.runs, ctl_status)
    s = run(Supervisord, 100, args.runs, ctl_status)
    print("| supervisorctl status, 100 programs | %s ms | %s ms | %.2f |" % (
        rng(k), rng(s), statistics.median(k) / statistics.median(s)), flush=True)
    for n in sizes:
        def rpc(sup):
            ms, count = rpc_latency(sup.sock)
            if count != n:
                raise RuntimeError("getAllProcessInfo gave %d processes, not %d" % (count, n))
            return ms
        k = run(Konnect, n, args.runs, rpc)
        s = run(Supervisord, n, args.runs, rpc)
        print("| getAllProcessInfo, %d programs (one call, kept-alive) | %s ms | %s ms | %.2f |" % (
            n, rng(k, "%.2f"), rng(s, "%.2f"), statistics.median(k) / statistics.median(s)), flush=True)


if __name__ == "__main__":
    main()
