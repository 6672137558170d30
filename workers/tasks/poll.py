"""Polling tasks: the beat's sweep enqueues due sources; each poll holds a lock so one source is never polled
twice at once (a slow poll and the next sweep, or two workers)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from syndicate import polling
from workers.celery_app import app
from workers.locks import exclusive
from workers.tasks.pipeline import enqueue

log = logging.getLogger(__name__)

#: A poll never takes longer than this (timeouts bound each request); the lock expires after it regardless.
LOCK_SECONDS = 600


@contextmanager
def source_lock(source_id: str) -> Iterator[bool]:
    """Yields True when this process holds the source's lock, False when another poll has it."""
    with exclusive(f"poll:{source_id}", LOCK_SECONDS) as got:
        yield got


@app.task(
    name="syndicate.poll.source",
    autoretry_for=(DBAPIError, ConnectionError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=None,
)
def poll_source(source_id: str) -> str:
    with source_lock(source_id) as got:
        if not got:
            log.info("poll skipped: already running", extra={"source_id": source_id})
            return "locked"
        result = polling.poll(source_id)
    enqueue(result.steps)
    return result.status


@app.task(name="syndicate.poll.due")
def poll_due() -> int:
    due = polling.claim_due()
    for source_id in due:
        poll_source.delay(source_id)
    return len(due)
