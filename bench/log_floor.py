#!/usr/bin/python3
"""The floor of log capture on this machine: no supervisor, a bare loop that moves a pipe into
files rotated every MAXBYTES (a new file each time, no renames), the way each supervisor gets
its program's stdout. Run by bench/logs.py in the same rounds as the supervisors.

  log_floor.py MODE BASE MAXBYTES SIZE -- WRITER ARGV...

It makes the pipe (1 MiB, as konnectd's), starts WRITER with the pipe as its stdout, moves
SIZE bytes and prints its own CPU (utime+stime, from before the first byte to after the
last; not the writer's). MODE:
  splice   splice(2) from the pipe into the file, up to 1 MiB a call (blocking);
  two      splice(2) from the pipe into a private pipe (page references, no copy), then from
           that into the file: the copy into the page cache holds only the private pipe's lock;
  read     read(2) 1 MiB into a buffer, write(2) it out.
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
    mode, base, maxbytes, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
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
        room = min(PIPE, maxbytes - in_file)
        if mode == "splice":
            k = os.splice(r, out, room)
        elif mode == "two":
            k = os.splice(r, mid_w, room)
            left = k
            while left:
                left -= os.splice(mid_r, out, left)
        else:
            k = os.readv(r, [view[:room]])
            done = 0
            while done < k:
                done += os.write(out, view[done:k])
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
