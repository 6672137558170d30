"""Sources added at run time (OPML) and the polling state of every source (conditional-GET validators,
health, schedule)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from syndicate.model import BoardSelectors, Source
from syndicate.store.db import core, direct
from syndicate.store.tables import SourceRow, SourceStateRow


def runtime_sources(s: Session) -> list[Source]:
    return [_source(row) for row in s.scalars(select(SourceRow).order_by(SourceRow.id)).all()]


_SOURCES = cast(Table, SourceRow.__table__)
#: Built once, Core: every poll of a runtime source reads it, and ORM identity-map work would be most of that.
_RUNTIME = select(*(c for c in _SOURCES.c if c.name not in ("origin", "created_at"))).where(
    _SOURCES.c.id == bindparam("source_id")
)
_RUNTIME_NAMES = [c.name for c in _RUNTIME.selected_columns]


#: Runtime sources as last built, by their row's values: every poll reads its source, and validating a new
#: Source model each time was a good part of an unchanged poll. A changed row is a new key, so an edit is seen at
#: once. Shared like the registry's sources, which nothing changes either.
_BUILT: dict[tuple[Any, ...], Source] = {}
_BUILT_MAX = 4096


def runtime_source(s: Session | Connection, source_id: str) -> Source | None:
    rows = direct(s, _RUNTIME, {"source_id": source_id})
    if not rows:
        return None
    values = rows[0]
    try:
        return _BUILT[values]
    except KeyError:
        pass
    except TypeError:  # board selectors (a dict) are not hashable: built every time
        return _source(SimpleNamespace(**dict(zip(_RUNTIME_NAMES, values, strict=True))))
    if len(_BUILT) >= _BUILT_MAX:
        _BUILT.clear()
    source = _BUILT[values] = _source(SimpleNamespace(**dict(zip(_RUNTIME_NAMES, values, strict=True))))
    return source


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


def _source(row: Any) -> Source:  # a SourceRow, or a Core row of its columns
    return Source(
        id=row.id,
        agency=row.agency_id,
        url=row.url,
        kind=row.kind,
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
    # Session.get: the primary-key lookup SQLAlchemy keeps ready, cheaper than a select() built per call.
    row = s.get(SourceStateRow, source_id, with_for_update=lock)
    if row is None:
        row = SourceStateRow(source_id=source_id, consecutive_errors=0, items_seen=0, paused=False)
        s.add(row)
        s.flush()
    return row


class Validators(NamedTuple):
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    interval_seconds: int | None


_STATE = cast(Table, SourceStateRow.__table__)
_VALIDATORS = select(_STATE.c.etag, _STATE.c.last_modified, _STATE.c.body_hash, _STATE.c.interval_seconds).where(
    _STATE.c.source_id == bindparam("source_id")
)


_NEW_STATE = insert(_STATE).values(source_id=bindparam("source_id"), consecutive_errors=0, items_seen=0, paused=False)


def validators(s: Session | Connection, source_id: str) -> Validators:
    """What a poll needs before fetching (conditional-GET validators, last body hash, interval), read with Core:
    every poll does this, and the ORM's per-object work would be most of its cost. Creates the state row (as
    ``state`` does)."""
    rows = direct(s, _VALIDATORS, {"source_id": source_id})
    if not rows:
        core(s).execute(_NEW_STATE, {"source_id": source_id})
        return Validators(None, None, None, None)
    return Validators(*rows[0])


_SUCCESS_COLUMNS = (
    "body_hash",
    "interval_seconds",
    "last_poll_at",
    "last_success_at",
    "consecutive_errors",
    "next_poll_at",
)


def _success_statement(columns: tuple[str, ...]) -> Any:
    values: dict[str, Any] = {name: bindparam(f"v_{name}", type_=_STATE.c[name].type) for name in columns}
    return (
        update(_STATE)
        .where(_STATE.c.source_id == bindparam("v_source_id"))
        .values(items_seen=_STATE.c.items_seen + bindparam("v_added"), **values)
    )


#: Built once (every poll runs one): with and without new conditional-GET validators.
_SUCCESS = {
    False: _success_statement(_SUCCESS_COLUMNS),
    True: _success_statement((*_SUCCESS_COLUMNS, "etag", "last_modified")),
}


def record_success(s: Session | Connection, source_id: str, items_seen: int, values: dict[str, Any]) -> None:
    """A successful poll: one UPDATE of ``values`` (the columns above, and etag with last_modified or neither),
    ``items_seen`` added in SQL so that nothing is read first."""
    params = {f"v_{name}": value for name, value in values.items()}
    direct(s, _SUCCESS["v_etag" in params], {**params, "v_source_id": source_id, "v_added": items_seen})


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
