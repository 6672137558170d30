"""The deliver worker's batch sender: due partner messages go out concurrently from one event loop.

One ``run`` takes due messages in batches (one UPDATE per batch; see ``store.deliveries``), sends them over one
shared guarded ``httpx.AsyncClient`` (a kept-alive connection per partner), and records each wave of outcomes
in one transaction, taking the next messages in the same transaction. At most ``delivery_concurrency`` messages
are in flight, and at most ``delivery_partner_concurrency`` to any one partner, so a slow or dead partner holds
a few slots for at most one attempt's deadline while every other partner's messages keep flowing: the loop
looks for newly due messages every ``POLL`` seconds even while nothing finishes.

A run stops taking new messages after ``delivery_batch_seconds`` and ends once its last attempt is recorded; the
beat sweep (every 2 s) and each publication start the next one. Messages are taken with a lease: if the worker
dies mid-send, they fall due again when it runs out and the next run sends them (at least once; the stable
webhook-id lets partners drop a copy).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence

from syndicate import delivery
from syndicate.config import Settings, get_settings
from syndicate.store import deliveries as store
from syndicate.store.db import session
from syndicate.store.tables import utcnow

#: Seconds between looks for newly due messages while attempts are in flight.
POLL = 0.25

Result = tuple[delivery.Message, delivery.Outcome]


def run(settings: Settings | None = None) -> int:
    """Send due messages until none is left (or the batch time is up); returns how many attempts were made."""
    return asyncio.run(_run(settings or get_settings()))


async def _run(settings: Settings) -> int:
    stop_taking = time.monotonic() + settings.delivery_batch_seconds
    # Database round trips are batched: new messages are taken when a quarter of the slots are free (or
    # nothing is in flight, or every POLL seconds), outcomes recorded at least as often as that.
    refill = max(1, settings.delivery_concurrency // 4)
    inflight: dict[asyncio.Task[delivery.Outcome], delivery.Message] = {}
    busy: Counter[str] = Counter()  # messages in flight per partner
    done: list[Result] = []
    made = 0
    last_look = last_record = float("-inf")
    dry = False  # the last look found fewer due messages than it had room for
    async with delivery.client(settings, concurrency=settings.delivery_concurrency) as http:
        while True:
            now = time.monotonic()
            free = settings.delivery_concurrency - len(inflight) if now < stop_taking else 0
            look = free > 0 and (not inflight or now - last_look >= POLL or (not dry and free >= refill))
            if look or (done and (len(done) >= refill or not inflight or now - last_record >= POLL)):
                taken = _exchange(settings, done, free if look else 0, busy)
                made, done, last_record = made + len(done), [], now
                if look:
                    last_look, dry = now, len(taken) < free
                for message in taken:
                    busy[message.partner_id] += 1
                    inflight[asyncio.create_task(delivery.attempt(http, settings, message))] = message
            if not inflight and not done:
                return made
            finished, _ = await asyncio.wait(inflight, timeout=POLL, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                message = inflight.pop(task)
                busy[message.partner_id] -= 1
                done.append((message, task.result()))
            busy = +busy  # drop partners with nothing in flight


def _exchange(settings: Settings, done: Sequence[Result], free: int, busy: Counter[str]) -> list[delivery.Message]:
    """Record finished attempts and take up to ``free`` due messages, in one transaction (committed before any
    of the new messages is sent)."""
    if not done and free <= 0:
        return []
    cap = settings.delivery_partner_concurrency
    with session() as s:
        delivery.record(s, settings, done)
        if free <= 0:
            return []
        now = utcnow()
        full = {partner for partner, n in busy.items() if n >= cap}
        chosen: list[int] = []
        room: Counter[str] = Counter()
        for delivery_id, partner_id in store.candidates(s, now, limit=free, per_partner=cap, skip_partners=full):
            if busy[partner_id] + room[partner_id] < cap:
                room[partner_id] += 1
                chosen.append(delivery_id)
        _token, rows = store.take(s, chosen, now, delivery.lease(settings))
        return delivery.messages(s, rows)
