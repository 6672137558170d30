"""A Celery app with one trivial task, for the reference figure of bench/pipeline.py: the same broker, the same
worker settings (acks late, prefetch 1, 2 processes, the pool processes' niceness), no work in the task."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

from workers.priority import yield_to_the_main_process

app = Celery("trivial", broker=os.environ["SYNDICATE_BROKER_URL"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)


@app.task(name="trivial.noop")
def noop(i: int) -> int:
    return i


# The pool processes' niceness, as the pipeline worker's (measured, it does not move this rate).
worker_process_init.connect(yield_to_the_main_process)
