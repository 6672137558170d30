"""Delivery tasks (queue "deliver"): the batch sender, the single-message send, and the WebSub ping.

Retries are scheduled in the database (``deliveries.next_attempt_at``), not with Celery countdowns: a countdown
longer than the broker's visibility timeout would be redelivered early, and a database row survives restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from redis.exceptions import LockError, RedisError

from syndicate import announce, delivery, fanout
from syndicate.config import Settings, get_settings
from workers.celery_app import app, broker_redis
from workers.tasks.pipeline import RETRY_KW

log = logging.getLogger(__name__)

SENDER_SLOT = "syndicate:fanout-sender:{}"


@app.task(name="syndicate.deliver.send", acks_late=True, ignore_result=True)
def send(delivery_id: int, token: str) -> str | None:
    """One reserved message (``delivery.reserve_due``); the sweep sends in batches (``due``) instead, and this
    stays for tasks already queued and for operators' tools."""
    # No Celery retry here: a failure is recorded and rescheduled in the database by delivery.send itself.
    return delivery.send(delivery_id, token)


@app.task(name="syndicate.deliver.due", **RETRY_KW)
def due(release_id: str | None = None) -> int:
    """Send every message that is due, in concurrent batches (``syndicate.fanout``); returns the attempts made.

    ``release_id`` names the publication that prompted the run; the run takes every due message, that release's
    included, so a burst of publications is sent as one batch by whichever worker process gets there first.
    When ``delivery_senders`` runs are already taking messages, this one ends at once: they look for newly due
    messages several times a second, and a worker shared with polls keeps its other processes for them.
    """
    settings = get_settings()
    with _sender_slot(settings) as held:
        if not held:
            return 0
        made = fanout.run(settings)
    if made:
        log.info("delivery batch done: %d attempts", made, extra={"release_id": release_id})
    return made


@contextmanager
def _sender_slot(settings: Settings) -> Iterator[bool]:
    """One of ``delivery_senders`` slots in Redis, held while a run takes new messages (it expires when the run
    stops taking them, or when its worker died). Without Redis (the filesystem broker) every run goes ahead."""
    client = broker_redis()
    if client is None:
        yield True
        return
    for slot in range(settings.delivery_senders):
        lock = client.lock(SENDER_SLOT.format(slot), timeout=settings.delivery_batch_seconds)
        try:
            acquired = lock.acquire(blocking=False)
        except RedisError:
            log.warning("sender slots unavailable; sending anyway")
            yield True
            return
        if acquired:
            try:
                yield True
            finally:
                try:
                    lock.release()
                except (LockError, RedisError):
                    pass  # expired (the run outlived its taking time) or the broker is away: it expires anyway
            return
    yield False


@app.task(name="syndicate.deliver.websub", **RETRY_KW)
def websub() -> int:
    """Ping the WebSub hub for every feed changed since the last ping."""
    return announce.announce()
