#!/usr/bin/python3
"""The floor of log capture on this machine: no supervisor, a bare loop that moves a pipe into
files rotated every MAXBYTES (a new file each time, no renames), the way each supervisor gets
its program's stdout. Run by bench/logs.py in the same rounds as the supervisors.

  log_floor.py MODE[:CHUNK] BASE MAXBYTES SIZE -- WRITER ARGV...

It makes the pipe (1 MiB, as konnectd's), starts WRITER with the pipe as its stdout, moves
SIZE bytes and prints its own CPU (utime+stime, from before the first byte to after the
last; not the writer's). Each write into the file is at most CHUNK bytes (1 MiB by default,
the pipe's size). MODE:
  splice   splice(2) from the pipe into the file (blocking);
  two      splice(2) from the pipe into a private pipe (page references, no copy), up to 1 MiB,
           then from that into the file: the copy into the page cache holds only the private
           pipe's lock;
  read     read(2) into a 1 MiB buffer, write(2) it out.
"""
import fcntl
import os
import resource
import subprocess
import sys

F_SETPIPE_SZ = 1031
PIPE = 1 << 20


def pipe():
    r, w = os.pipe()
    fcntl.fcntl(r, F_SETPIPE_SZ, PIPE)
    return r, w


def main():
    mode, _, chunk = sys.argv[1].partition(":")
    chunk = int(chunk) if chunk else PIPE
    base, maxbytes, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    argv = sys.argv[sys.argv.index("--") + 1:]
    r, w = pipe()
    writer = subprocess.Popen(argv, stdout=w, stdin=subprocess.DEVNULL)
    os.close(w)
    mid_r, mid_w = pipe() if mode == "two" else (-1, -1)
    buf = bytearray(PIPE)
    view = memoryview(buf)
    before = resource.getrusage(resource.RUSAGE_SELF)
    out, n, in_file, total = -1, 0, 0, 0
    while total < size:
        if out < 0 or in_file == maxbytes:
            if out >= 0:
                os.close(out)
            out = os.open("%s.%d" % (base, n), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            n, in_file = n + 1, 0
        room = maxbytes - in_file
        if mode == "splice":
            k = os.splice(r, out, min(chunk, room))
        elif mode == "two":
            k = os.splice(r, mid_w, min(PIPE, room))
            left = k
            while left:
                left -= os.splice(mid_r, out, min(chunk, left))
        else:
            k = os.readv(r, [view[:min(PIPE, room)]])
            done = 0
            while done < k:
                done += os.write(out, view[done:min(k, done + chunk)])
        if k == 0:
            break
        in_file += k
        total += k
    after = resource.getrusage(resource.RUSAGE_SELF)
    os.close(out)
    print(total, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), flush=True)
    writer.wait()  # it sleeps: the caller stops it, with this process, by process group


if __name__ == "__main__":
    main()
