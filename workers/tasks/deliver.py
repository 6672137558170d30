"""Delivery tasks (queue "deliver"): the batch sender, the single-message send, and the WebSub ping.

Retries are scheduled in the database (``deliveries.next_attempt_at``), not with Celery countdowns: a countdown
longer than the broker's visibility timeout would be redelivered early, and a database row survives restarts.
"""

from __future__ import annotations

import logging

from syndicate import announce, delivery, fanout
from workers.celery_app import app
from workers.tasks.pipeline import RETRY_KW

log = logging.getLogger(__name__)


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
    """
    made = fanout.run()
    if made:
        log.info("delivery batch done: %d attempts", made, extra={"release_id": release_id})
    return made


@app.task(name="syndicate.deliver.websub", **RETRY_KW)
def websub() -> int:
    """Ping the WebSub hub for every feed changed since the last ping."""
    return announce.announce()
