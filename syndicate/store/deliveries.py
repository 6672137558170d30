"""Deliveries to partners: one row per message, handed to one send task at a time, and its log.

A delivery is *due* when it is pending, its ``next_attempt_at`` has passed, and no earlier message for the same
partner and release is still pending (so version 3 never overtakes version 2).

The batch sender *takes* due rows in one statement: a fresh ``claim_token`` for the batch, ``attempts`` counted,
``next_attempt_at`` moved forward by a lease. Its outcomes are recorded only where the row still holds that token.
So a second sender finds the rows taken, and a sender killed mid-send leaves rows that fall due again when the
lease runs out (at least once, never lost).

The single-message path (``reserve`` then ``claim``) does the same in two steps: the reservation's token is
swapped for a fresh one at the claim, so a duplicate task holding the first token finds nothing to claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, Select, Update, and_, bindparam, case, func, insert, select, update
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


@cache
def _first_pending() -> ColumnElement[bool]:
    """The message is the oldest pending one of its partner and release: the only one of them that may go out.
    (A grouped IN, not a correlated NOT EXISTS: SQLite answers that one by rescanning every pending row for
    each pending row.) Built once: the batch sender uses it several times a second."""
    earlier = aliased(DeliveryRow)
    first = (
        select(func.min(earlier.id)).where(earlier.status == PENDING).group_by(earlier.partner_id, earlier.release_id)
    )
    return DeliveryRow.id.in_(first)


def due(s: Session, now: datetime, *, release_id: str | None = None, limit: int = 500) -> Sequence[int]:
    """Ids of deliveries to send now, oldest first."""
    stmt = (
        select(DeliveryRow.id)
        .where(
            DeliveryRow.status == PENDING,
            DeliveryRow.next_attempt_at <= now,
            _first_pending(),
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
                _first_pending(),
            )
        )
        .values(next_attempt_at=now + lease, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def claim(s: Session, delivery_id: int, token: str, now: datetime, lease: timedelta) -> DeliveryRow | None:
    """Take a reserved message for one attempt (None if the token is not the current one: a duplicate or late
    task). The row's token is replaced by a fresh one (``row.claim_token``) that recording the outcome needs.
    The caller commits right away, before sending."""
    fresh = uuid.uuid4().hex
    result = s.execute(
        update(DeliveryRow)
        .where(DeliveryRow.id == delivery_id, DeliveryRow.status == PENDING, DeliveryRow.claim_token == token)
        .values(next_attempt_at=now + lease, attempts=DeliveryRow.attempts + 1, claim_token=fresh)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return s.get(DeliveryRow, delivery_id, populate_existing=True)


@cache
def _candidates() -> Select[int, str]:
    rank = func.row_number().over(partition_by=DeliveryRow.partner_id, order_by=DeliveryRow.id).label("rank")
    ranked = (
        select(DeliveryRow.id, DeliveryRow.partner_id, rank)
        .where(
            DeliveryRow.status == PENDING,
            DeliveryRow.next_attempt_at <= bindparam("now"),
            _first_pending(),
            DeliveryRow.partner_id.not_in(bindparam("skip", expanding=True)),
        )
        .subquery()
    )
    return (
        select(ranked.c.id, ranked.c.partner_id)
        .where(ranked.c.rank <= bindparam("per_partner"))
        .order_by(ranked.c.id)
        .limit(bindparam("limit"))
    )


def candidates(
    s: Session, now: datetime, *, limit: int, per_partner: int, skip_partners: Collection[str] = ()
) -> Sequence[tuple[int, str]]:
    """(id, partner id) of due messages for one batch, oldest first: at most ``per_partner`` for any one partner,
    none for those in ``skip_partners`` (busy in this sender), so one partner's backlog cannot fill the batch."""
    params = {"now": now, "skip": list(skip_partners), "per_partner": per_partner, "limit": limit}
    return s.execute(_candidates(), params).all()


@cache
def _take() -> tuple[Update, Select[DeliveryRow]]:
    mark = (
        update(DeliveryRow)
        .where(
            DeliveryRow.id.in_(bindparam("ids", expanding=True)),
            DeliveryRow.status == PENDING,
            DeliveryRow.next_attempt_at <= bindparam("now"),
            _first_pending(),
        )
        .values(next_attempt_at=bindparam("until"), attempts=DeliveryRow.attempts + 1, claim_token=bindparam("token"))
        .execution_options(synchronize_session=False)
    )
    taken = (
        select(DeliveryRow)
        .where(DeliveryRow.claim_token == bindparam("token"))
        .order_by(DeliveryRow.id)
        .execution_options(populate_existing=True)
    )
    return mark, taken


def take(s: Session, ids: Sequence[int], now: datetime, lease: timedelta) -> tuple[str, Sequence[DeliveryRow]]:
    """Claim due messages for one batch in one statement: returns the batch's token and the rows it got (those
    still due: another sender may have taken some). Each attempt is counted here, before any traffic, so a sender
    killed mid-send has spent one attempt of the schedule. The caller commits before sending."""
    token = uuid.uuid4().hex
    if not ids:
        return token, []
    mark, taken = _take()
    s.execute(mark, {"ids": list(ids), "now": now, "until": now + lease, "token": token})
    return token, s.scalars(taken, {"token": token}).all()


@dataclass(frozen=True)
class Attempt:
    """One attempt's outcome for one taken message, to be recorded."""

    delivery_id: int
    #: the token the message was taken with: the outcome is applied only if the row still holds it
    token: str
    #: the attempt's number (1-based), as counted when the message was taken
    attempt: int
    status_code: int | None
    error: str | None
    latency_ms: int
    delivered: bool
    #: when to try again; None (and not delivered) makes the message dead
    retry_at: datetime | None


_APPLY = (
    update(DeliveryRow.__table__)  # type: ignore[arg-type]
    .where(DeliveryRow.id == bindparam("b_id"), DeliveryRow.claim_token == bindparam("b_token"))
    .values(
        status=bindparam("b_status"),
        next_attempt_at=bindparam("b_next"),
        delivered_at=bindparam("b_delivered_at"),
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        last_latency_ms=bindparam("b_latency"),
        claim_token=None,
    )
)


def record(s: Session, attempts: Sequence[Attempt]) -> None:
    """Log a batch of attempts and move each message on: delivered, pending until its ``retry_at``, or dead.
    Two statements for the whole batch. A message whose token has changed (replayed, or taken again after its
    lease ran out) keeps its new state; its attempt is still logged, since it was made."""
    if not attempts:
        return
    now = utcnow()
    s.execute(
        insert(DeliveryAttemptRow.__table__),  # type: ignore[arg-type]
        [
            {
                "delivery_id": a.delivery_id,
                "attempt": a.attempt,
                "at": now,
                "status_code": a.status_code,
                "error": a.error,
                "latency_ms": a.latency_ms,
            }
            for a in attempts
        ],
    )
    params = []
    for a in attempts:
        status = DELIVERED if a.delivered else PENDING if a.retry_at is not None else DEAD
        params.append(
            {
                "b_id": a.delivery_id,
                "b_token": a.token,
                "b_status": status,
                "b_next": a.retry_at if status == PENDING else None,
                "b_delivered_at": now if a.delivered else None,
                "b_code": a.status_code,
                "b_error": a.error,
                "b_latency": a.latency_ms,
            }
        )
    s.execute(_APPLY, params)


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
    """``record`` for one claimed row (the ORM object is refreshed to its new state)."""
    assert row.claim_token is not None, "only a claimed message has an outcome to record"
    record(
        s,
        [
            Attempt(
                delivery_id=row.id,
                token=row.claim_token,
                attempt=row.attempts,
                status_code=status_code,
                error=error,
                latency_ms=latency_ms,
                delivered=delivered,
                retry_at=retry_at,
            )
        ],
    )
    s.refresh(row)


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


def attempts_by_partner(s: Session) -> dict[str, dict[str, int]]:
    """Attempts made per partner, split into ``ok`` (2xx) and ``failed`` (anything else, no answer included)."""
    outcome = case((DeliveryAttemptRow.status_code.between(200, 299), "ok"), else_="failed").label("outcome")
    rows = s.execute(
        select(DeliveryRow.partner_id, outcome, func.count())
        .select_from(DeliveryAttemptRow)
        .join(DeliveryRow, DeliveryRow.id == DeliveryAttemptRow.delivery_id)
        .group_by(DeliveryRow.partner_id, outcome)
    ).all()
    out: dict[str, dict[str, int]] = {}
    for partner_id, kind, count in rows:
        out.setdefault(partner_id, {})[kind] = int(count)
    return out
