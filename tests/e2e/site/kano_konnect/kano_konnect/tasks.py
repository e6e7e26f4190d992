import os

from .celery import app


@app.task
def add(x, y):
    # The worker's pid goes back with the result: the test checks a Celery process did it.
    return {"sum": x + y, "worker_pid": os.getpid()}
