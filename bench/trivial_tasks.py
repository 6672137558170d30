"""A Celery app with one trivial task, for the reference figure of bench/pipeline.py: the same broker, the same
worker settings (acks late, prefetch 1, 2 processes, the pool processes' niceness), no work in the task."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init

from syndicate.config import get_settings

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


@worker_process_init.connect
def _nice(**_: object) -> None:
    # As the pipeline worker's pool processes (workers/celery_app.py); measured, it does not move this rate.
    nice = get_settings().worker_nice
    if nice:
        os.nice(nice)
