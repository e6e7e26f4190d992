import os
import time

from .celery import app


@app.task
def add(x, y):
    # The worker's pid goes back with the result: the test checks a Celery process did it.
    return {"sum": x + y, "worker_pid": os.getpid()}


@app.task
def slow_add(x, y, seconds):
    # In flight across a restart: the worker that took it must finish it (warm shutdown).
    time.sleep(seconds)
    return {"sum": x + y, "worker_pid": os.getpid()}
