"""Celery tasks in flight across a restart, for tests/e2e: sends N slow_add tasks of the
Kano-Konnect project, prints "sent N", then waits for each result and prints it as one JSON
line ({"task", "sum", "worker_pid"} or {"task", "error"}), then "done".

usage: tasks_in_flight.py PROJECT_DIR N SECONDS   (KANO_KONNECT_BROKER names the broker)
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from kano_konnect.tasks import slow_add  # noqa: E402

count = int(sys.argv[2])
seconds = float(sys.argv[3])
pending = [slow_add.delay(i, 1000, seconds) for i in range(count)]
print("sent %d" % count, flush=True)
for i, result in enumerate(pending):
    try:
        value = result.get(timeout=240)
        print(json.dumps({"task": i, "sum": value["sum"], "worker_pid": value["worker_pid"]}), flush=True)
    except Exception as e:  # a lost task: the test names it
        print(json.dumps({"task": i, "error": repr(e)}), flush=True)
print("done", flush=True)
