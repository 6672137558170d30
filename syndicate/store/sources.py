"""Sources added at run time (OPML) and the polling state of every source (conditional-GET validators,
health, schedule)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from syndicate.model import BoardSelectors, Source
from syndicate.store.tables import SourceRow, SourceStateRow


def runtime_sources(s: Session) -> list[Source]:
    return [_source(row) for row in s.scalars(select(SourceRow).order_by(SourceRow.id)).all()]


def runtime_source(s: Session, source_id: str) -> Source | None:
    row = s.get(SourceRow, source_id)
    return _source(row) if row is not None else None


def add_source(s: Session, source: Source, origin: str = "opml") -> bool:
    """Store a runtime source; False when its id or URL is already there."""
    exists = s.scalar(select(SourceRow.id).where(or_(SourceRow.id == source.id, SourceRow.url == source.url)))
    if exists is not None:
        return False
    s.add(
        SourceRow(
            id=source.id,
            agency_id=source.agency,
            url=source.url,
            kind=source.kind.value,
            language=source.language,
            title=source.title,
            licence=source.licence,
            interval_minutes=source.interval_minutes,
            timezone=source.timezone,
            category=source.category,
            selectors=source.selectors.model_dump(exclude_none=True) if source.selectors else None,
            origin=origin,
        )
    )
    s.flush()
    return True


def _source(row: SourceRow) -> Source:
    return Source(
        id=row.id,
        agency=row.agency_id,
        url=row.url,
        kind=row.kind,  # type: ignore[arg-type]
        language=row.language,
        title=row.title,
        licence=row.licence,
        interval_minutes=row.interval_minutes,
        timezone=row.timezone,
        category=row.category,
        selectors=BoardSelectors.model_validate(row.selectors) if row.selectors else None,
    )


def state(s: Session, source_id: str, *, lock: bool = False) -> SourceStateRow:
    """The polling state of a source, created on first use."""
    stmt = select(SourceStateRow).where(SourceStateRow.source_id == source_id)
    if lock:
        stmt = stmt.with_for_update()
    row = s.scalar(stmt)
    if row is None:
        row = SourceStateRow(source_id=source_id, consecutive_errors=0, items_seen=0, paused=False)
        s.add(row)
        s.flush()
    return row


def states(s: Session) -> dict[str, SourceStateRow]:
    return {row.source_id: row for row in s.scalars(select(SourceStateRow)).all()}


def claim_due(s: Session, source_ids: Iterable[str], now: datetime, lease: timedelta) -> Sequence[str]:
    """The sources due at ``now`` (never polled, or next poll passed), each pushed ``lease`` ahead so the next
    sweep does not enqueue it again while its poll is queued or running (the poll sets the real time)."""
    known = states(s)
    due = []
    for source_id in source_ids:
        row = known.get(source_id)
        if row is None:
            row = state(s, source_id)
        if row.paused or (row.next_poll_at is not None and row.next_poll_at > now):
            continue
        row.next_poll_at = now + lease
        due.append(source_id)
    return due
