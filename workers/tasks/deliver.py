"""Delivery tasks: one task per partner message (queue "deliver"), and the sweep that enqueues what is due.

Retries are scheduled in the database (``deliveries.next_attempt_at``), not with Celery countdowns: a countdown
longer than the broker's visibility timeout would be redelivered early, and a database row survives restarts.
"""

from __future__ import annotations

import logging

from syndicate import announce, delivery
from workers.celery_app import app
from workers.tasks.pipeline import RETRY_KW

log = logging.getLogger(__name__)


def _time_limit() -> float:
    from syndicate.config import get_settings

    return 4 * get_settings().delivery_timeout + 20


@app.task(name="syndicate.deliver.send", acks_late=True, ignore_result=True)
def send(delivery_id: int, token: str) -> str | None:
    # No Celery retry here: a failure is recorded and rescheduled in the database by delivery.send itself.
    return delivery.send(delivery_id, token)


@app.task(name="syndicate.deliver.due", **RETRY_KW)
def due(release_id: str | None = None) -> int:
    """Enqueue a send for every message that is due (all of them, or one release's)."""
    reserved = delivery.reserve_due(release_id)
    for delivery_id, token in reserved:
        send.apply_async(args=[delivery_id, token], time_limit=_time_limit(), soft_time_limit=_time_limit() - 5)
    return len(reserved)


@app.task(name="syndicate.deliver.websub", **RETRY_KW)
def websub() -> int:
    """Ping the WebSub hub for every feed changed since the last ping."""
    return announce.announce()
