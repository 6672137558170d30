"""Deliveries to partners: one row per message, handed to one send task at a time, and its log.

A delivery is *due* when it is pending, its ``next_attempt_at`` has passed, and no earlier message for the same
partner and release is still pending (so version 3 never overtakes version 2). The sweep *reserves* a due row
for one task (a fresh ``claim_token``, ``next_attempt_at`` moved forward by a lease) and the task *claims* it with
that token before sending. So a sweep that runs again while the task waits in the queue enqueues nothing more,
a duplicate or late task finds its token gone, and a task lost with its worker leaves a row that falls due
again when the lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from syndicate.store.tables import DeliveryAttemptRow, DeliveryRow, utcnow

PENDING, DELIVERED, DEAD, REFUSED = "pending", "delivered", "dead", "refused"


def add(
    s: Session,
    *,
    partner_id: str,
    release_id: str,
    version: int,
    type: str,
    webhook_id: str,
    status: str = PENDING,
    note: str | None = None,
) -> DeliveryRow | None:
    """A new message, unless this partner already has it (same webhook id): returns None then."""
    existing = s.scalar(
        select(DeliveryRow).where(DeliveryRow.partner_id == partner_id, DeliveryRow.webhook_id == webhook_id)
    )
    if existing is not None:
        return None
    row = DeliveryRow(
        partner_id=partner_id,
        release_id=release_id,
        version=version,
        type=type,
        webhook_id=webhook_id,
        status=status,
        attempts=0,
        next_attempt_at=utcnow() if status == PENDING else None,
        last_error=note,
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    return row


def _earlier_pending() -> object:
    earlier = aliased(DeliveryRow)
    return exists().where(
        earlier.partner_id == DeliveryRow.partner_id,
        earlier.release_id == DeliveryRow.release_id,
        earlier.status == PENDING,
        earlier.id < DeliveryRow.id,
    )


def due(s: Session, now: datetime, *, release_id: str | None = None, limit: int = 500) -> Sequence[int]:
    """Ids of deliveries to send now, oldest first."""
    stmt = (
        select(DeliveryRow.id)
        .where(
            DeliveryRow.status == PENDING,
            DeliveryRow.next_attempt_at <= now,
            ~_earlier_pending(),  # type: ignore[operator]
        )
        .order_by(DeliveryRow.id)
        .limit(limit)
    )
    if release_id is not None:
        stmt = stmt.where(DeliveryRow.release_id == release_id)
    return s.scalars(stmt).all()


def reserve(s: Session, delivery_id: int, now: datetime, lease: timedelta) -> str | None:
    """Hand a due message to one send task: returns the token that task must claim it with (None if it is not
    due, is already reserved, or waits for an earlier message)."""
    token = uuid.uuid4().hex
    result = s.execute(
        update(DeliveryRow)
        .where(
            and_(
                DeliveryRow.id == delivery_id,
                DeliveryRow.status == PENDING,
                DeliveryRow.next_attempt_at <= now,
                ~_earlier_pending(),  # type: ignore[operator]
            )
        )
        .values(next_attempt_at=now + lease, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def claim(s: Session, delivery_id: int, token: str, now: datetime, lease: timedelta) -> DeliveryRow | None:
    """Take a reserved message for one attempt (None if the token is not the current one: a duplicate or late
    task). The caller commits right away, before sending."""
    result = s.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id == delivery_id, DeliveryRow.status == PENDING, DeliveryRow.claim_token == token)
        .values(next_attempt_at=now + lease, attempts=DeliveryRow.attempts + 1, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return s.get(DeliveryRow, delivery_id, populate_existing=True)


def record_attempt(
    s: Session,
    row: DeliveryRow,
    *,
    status_code: int | None,
    error: str | None,
    latency_ms: int,
    delivered: bool,
    retry_at: datetime | None,
) -> None:
    """Log one attempt and move the delivery on: delivered, pending until ``retry_at``, or dead (no retry_at)."""
    now = utcnow()
    s.add(
        DeliveryAttemptRow(
            delivery_id=row.id,
            attempt=row.attempts,
            at=now,
            status_code=status_code,
            error=error,
            latency_ms=latency_ms,
        )
    )
    row.last_status_code, row.last_error, row.last_latency_ms = status_code, error, latency_ms
    if delivered:
        row.status, row.delivered_at, row.next_attempt_at = DELIVERED, now, None
    elif retry_at is not None:
        row.status, row.next_attempt_at = PENDING, retry_at
    else:
        row.status, row.next_attempt_at = DEAD, None
    s.flush()


def for_partner(
    s: Session, partner_id: str, *, since: datetime | None = None, limit: int = 200
) -> Sequence[DeliveryRow]:
    stmt = select(DeliveryRow).where(DeliveryRow.partner_id == partner_id)
    if since is not None:
        stmt = stmt.where(DeliveryRow.created_at >= since)
    return s.scalars(stmt.order_by(DeliveryRow.id.desc()).limit(limit)).all()


def attempts(s: Session, delivery_ids: Sequence[int]) -> Sequence[DeliveryAttemptRow]:
    if not delivery_ids:
        return []
    return s.scalars(
        select(DeliveryAttemptRow)
        .where(DeliveryAttemptRow.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttemptRow.id)
    ).all()


def of_release(s: Session, release_id: str) -> Sequence[DeliveryRow]:
    return s.scalars(select(DeliveryRow).where(DeliveryRow.release_id == release_id).order_by(DeliveryRow.id)).all()


def replay(s: Session, partner_id: str, *, since: datetime | None = None) -> int:
    """Make a partner's dead and delivered messages (since a time) due again; returns how many. The webhook id
    stays the same, so a receiver that already has one drops the copy."""
    stmt = (
        update(DeliveryRow)
        .where(DeliveryRow.partner_id == partner_id, DeliveryRow.status.in_([DEAD, DELIVERED, PENDING]))
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow(), claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if since is not None:
        stmt = stmt.where(DeliveryRow.created_at >= since)
    return int(s.execute(stmt).rowcount)  # type: ignore[attr-defined]


def counts_by_partner(s: Session) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    rows = s.execute(
        select(DeliveryRow.partner_id, DeliveryRow.status, func.count()).group_by(
            DeliveryRow.partner_id, DeliveryRow.status
        )
    ).all()
    for partner_id, status, count in rows:
        out.setdefault(partner_id, {})[status] = int(count)
    return out
