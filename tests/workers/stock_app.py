"""A stock Celery app (none of syndicate's configuration) with tasks named like syndicate's, for
tests/workers/test_send.py: what the lean sender writes must run on any Celery worker, acks late."""

from __future__ import annotations

import json
import os

import redis
from celery import Celery

URL = os.environ["SYNDICATE_BROKER_URL"]
app = Celery("stock", broker=URL)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
)


def _record(name: str, args: list[object], kwargs: dict[str, object]) -> None:
    client = redis.Redis.from_url(URL.replace("redis+socket://", "unix://"))
    client.rpush("stock:ran", json.dumps([name, args, kwargs]))


@app.task(name="syndicate.pipeline.credit")
def credit(release_id: str, version: int) -> None:
    _record("credit", [release_id, version], {})


@app.task(name="syndicate.deliver.due")
def due(release_id: str | None = None) -> None:
    _record("due", [], {"release_id": release_id})
