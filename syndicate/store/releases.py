"""Releases, their versions and their timeline."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, Text, bindparam, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, class_mapper, defer, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, manager_of_class

from syndicate.errors import NotFound
from syndicate.model import ReleaseStatus
from syndicate.store import places
from syndicate.store.db import direct
from syndicate.store.tables import ReleaseEventRow, ReleaseRow, ReleaseVersionRow, utcnow


def new_id() -> str:
    """A UUIDv7 (RFC 9562) as 32 hex digits: the time in milliseconds first, then 74 random bits. Ids made one
    after another sort together, so a new release's rows go at the end of every index keyed by release id
    (releases, versions, events, places, ...) instead of landing on a random page of each: a poll's inserts
    then touch a few pages, not one per row."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10)) & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    return f"{value:032x}"


def create(
    s: Session,
    *,
    raw: dict[str, Any],
    identity: str | None = None,
    agency_id: str | None,
    language: str,
    category: str | None = None,
    embargo_until: datetime | None = None,
    source_id: str | None = None,
    release_id: str | None = None,
    fingerprint: str | None = None,
) -> ReleaseRow:
    """A new release at version 1 (``fingerprint``: its SimHash, for near-duplicates)."""
    release_id = release_id or new_id()
    row = ReleaseRow(
        id=release_id,
        identity=identity or f"release:{release_id}",
        agency_id=agency_id,
        source_id=source_id,
        status=ReleaseStatus.received,
        language=language,
        category=category,
        embargo_until=embargo_until,
        version=1,
        fingerprint=fingerprint,
        **places.quarter_columns(s, fingerprint),
    )
    s.add(row)
    s.add(ReleaseVersionRow(release_id=release_id, version=1, raw=raw))
    s.flush()
    event(s, row.id, 1, "received")
    return row


def add_version(s: Session, row: ReleaseRow, raw: dict[str, Any]) -> int:
    """A correction: a new version with its own pass through the pipeline."""
    row.version += 1
    row.status = ReleaseStatus.received
    row.error = None
    s.add(ReleaseVersionRow(release_id=row.id, version=row.version, raw=raw))
    s.flush()
    event(s, row.id, row.version, "received", {"correction": True})
    return row.version


def get(s: Session, release_id: str, *, lock: bool = False) -> ReleaseRow:
    """The release; with ``lock``, held for this transaction so that no other worker runs a step of it at once.

    SELECT … FOR UPDATE is enough on PostgreSQL but means nothing to SQLite, whose reads do not even start a
    transaction; a no-op UPDATE as the first statement takes the write lock on both, before anything is read.
    """
    params = {"release_id": release_id}
    if lock:
        _lock(s, release_id)
    row = s.scalar(_GET_FOR_UPDATE if lock else _GET, params)
    if row is None:
        raise NotFound(f"no release {release_id}")
    return row


#: One release (and the same FOR UPDATE), built once: the API, the CLI and every poll of a release's status ask.
_GET = select(ReleaseRow).where(ReleaseRow.id == bindparam("release_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
#: A no-op UPDATE of one release: the write lock (see ``get``), and ``updated_at`` moves, which is what the stall
#: sweep watches. Core on the table, built once: a step runs it for every release, and the ORM path costs more
#: than the statement.
_RELEASES = cast(Table, ReleaseRow.__table__)
_LOCK = (
    update(_RELEASES)
    .where(_RELEASES.c.id == bindparam("release_id"))
    .values(id=_RELEASES.c.id, updated_at=bindparam("now"))  # as the column's onupdate would
)


def _lock(s: Session | Connection, release_id: str) -> None:
    """The no-op UPDATE that holds the release for this transaction (``get(lock=True)``, ``for_step``)."""
    direct(s, _LOCK, {"release_id": release_id, "now": utcnow()})


#: A release with one of its versions, in one query (an outer join, to tell a missing version from a missing
#: release); built once, with bound parameters, so each call skips building and compiling the expression.
_WITH_VERSION = (
    select(ReleaseRow, ReleaseVersionRow)
    .outerjoin(
        ReleaseVersionRow,
        (ReleaseVersionRow.release_id == ReleaseRow.id) & (ReleaseVersionRow.version == bindparam("number")),
    )
    .where(ReleaseRow.id == bindparam("release_id"))
)
#: The same without the submission as received (often the larger half), for steps that work on the content;
#: deferred, so a step that does read it still gets it.
_WITH_VERSION_NO_RAW = _WITH_VERSION.options(defer(ReleaseVersionRow.raw))


#: (attribute, column) of every mapped column: what a step loads of a release and of its version.
_RELEASE_ATTRS = [(attr.key, attr.columns[0]) for attr in class_mapper(ReleaseRow).column_attrs]
_VERSION_ATTRS = [(attr.key, attr.columns[0]) for attr in class_mapper(ReleaseVersionRow).column_attrs]


def _core_with_version(version_attrs: list[tuple[str, Any]]) -> Any:
    versions = cast(Table, ReleaseVersionRow.__table__)
    return (
        select(*[column for _, column in _RELEASE_ATTRS], *[column for _, column in version_attrs])
        .select_from(
            _RELEASES.outerjoin(
                versions, (versions.c.release_id == _RELEASES.c.id) & (versions.c.version == bindparam("number"))
            )
        )
        .where(_RELEASES.c.id == bindparam("release_id"))
    )


#: ``_WITH_VERSION`` (with the submission as received, and without) as Core, keyed by ``raw``: for_step builds the
#: two objects itself.
_VERSION_ATTRS_BY_RAW = {True: _VERSION_ATTRS, False: [(key, col) for key, col in _VERSION_ATTRS if key != "raw"]}
_CORE_WITH_VERSION = {raw: _core_with_version(attrs) for raw, attrs in _VERSION_ATTRS_BY_RAW.items()}
#: Where the version's release_id lands in those rows (None there: the outer join found no such version).
_VERSION_FOUND_AT = {
    raw: len(_RELEASE_ATTRS) + [key for key, _ in attrs].index("release_id")
    for raw, attrs in _VERSION_ATTRS_BY_RAW.items()
}


def _as_loaded(s: Session, cls: type[Any], attrs: list[tuple[str, Any]], values: Sequence[Any]) -> Any:
    """An object of ``cls`` with these column values, in the session as if a query had loaded it: persistent,
    no history (later assignments are changes, as save_step and the unit of work see them), and an attribute
    not given (the deferred ``raw``) expired, so that reading it loads it."""
    obj = manager_of_class(cls).new_instance()
    obj.__dict__.update((key, value) for (key, _), value in zip(attrs, values, strict=True))
    make_transient_to_detached(obj)
    s.add(obj)
    return obj


def for_step(s: Session, release_id: str, number: int, *, raw: bool = False) -> tuple[ReleaseRow, ReleaseVersionRow]:
    """A release locked for this transaction, with version ``number``: what a pipeline step starts with.

    The no-op UPDATE comes first and holds the lock until commit on both databases (on PostgreSQL an UPDATE
    locks the row against every other writer and every SELECT … FOR UPDATE, such as ``get(lock=True)``), so
    the read that follows needs no FOR UPDATE of its own.

    In a fresh session (a step's), both rows come in one Core query and the two objects are built from it
    (``_as_loaded``): the ORM's loading of two objects cost about twice the statement and its execution
    (measured 0.2 ms a step). A session that may already hold either object takes the ORM query, whose identity
    map answers with the object it holds.
    """
    params = {"release_id": release_id, "number": number}
    # On the session's connection: a Core statement on a table gains nothing from the ORM's execution path, and
    # on SQLite these go straight to the driver (db.direct).
    conn = s.connection()
    _lock(conn, release_id)
    if len(s.identity_map) or s.new:
        found = s.execute(_WITH_VERSION if raw else _WITH_VERSION_NO_RAW, params).first()
        if found is None:
            raise NotFound(f"no release {release_id}")
        row, ver = found
        if ver is None:
            raise NotFound(f"no version {number} of release {release_id}")
        return row, ver
    rows = direct(conn, _CORE_WITH_VERSION[raw], params)
    if not rows:
        raise NotFound(f"no release {release_id}")
    values = rows[0]
    split = len(_RELEASE_ATTRS)
    if values[_VERSION_FOUND_AT[raw]] is None:
        raise NotFound(f"no version {number} of release {release_id}")
    return (
        _as_loaded(s, ReleaseRow, _RELEASE_ATTRS, values[:split]),
        _as_loaded(s, ReleaseVersionRow, _VERSION_ATTRS_BY_RAW[raw], values[split:]),
    )


#: What a step changed on its release or version, written by ``save_step``: the row by primary key, the changed
#: columns as parameters. One statement per table and set of columns (a step type changes the same ones every
#: time), built once here and compiled once by db.direct.
_UPDATES: dict[tuple[str, frozenset[str]], Any] = {}


def _update_of(table: Table, columns: frozenset[str]) -> Any:
    statement = _UPDATES.get((table.name, columns))
    if statement is None:
        values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in columns}
        if table is _RELEASES:
            values.setdefault("updated_at", bindparam("v_updated_at"))  # as the column's onupdate would
        statement = _UPDATES[(table.name, columns)] = update(table).where(table.c.id == bindparam("_id")).values(values)
    return statement


#: Mapped attribute → column name, for both classes (the same names today, but nothing requires it).
_COLUMNS = {
    cls: {attr.key: attr.columns[0].key for attr in class_mapper(cls).column_attrs}
    for cls in (ReleaseRow, ReleaseVersionRow)
}


def save_step(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> None:
    """Write what a pipeline step changed on its release and version (loaded by ``for_step``): one UPDATE each,
    of the changed columns only, or none when nothing changed.

    The same statements the unit of work would emit at commit, without its flush: for two objects it cost about
    four times the two statements (measured 280 µs against 70 µs a step). Both objects then leave the session
    (this is the step's last use of them), so the commit's flush finds nothing of them. ``updated_at`` moves as
    with the ORM: the release's UPDATE sets it, as the column's onupdate would (db.direct applies no column
    defaults; the lock moved it already). On SQLite the statements go to the driver (db.direct). Like the ORM
    without mutable tracking, a JSON value changed in place rather than assigned is not seen: steps assign.
    """
    for obj in (row, ver):
        state = instance_state(obj)
        columns = _COLUMNS[type(obj)]
        # Assigned since loaded (or since an autoflush wrote them): what the unit of work would write.
        changed = {key: state.dict[key] for key in columns.keys() - state.unmodified if key in state.dict}
        if not changed:
            continue
        table = cast(Table, type(obj).__table__)
        params = {"_id": obj.id, **{f"v_{columns[key]}": value for key, value in changed.items()}}
        if table is _RELEASES:
            params.setdefault("v_updated_at", utcnow())
        direct(s, _update_of(table, frozenset(columns[key] for key in changed)), params)
    # Written: out of the session, so that its flush at commit has nothing to do for them (marking the values
    # committed leaves the objects flagged modified, and the flush then walks them for nothing: 180 µs).
    s.expunge(row)
    s.expunge(ver)


#: What a step's slow part, run outside the step's transaction, needs to know first (see ``step_view``).
_STEP_VIEW = (
    select(
        ReleaseRow.version,
        ReleaseRow.retracted_at,
        ReleaseRow.gate,
        ReleaseVersionRow.stage,
        ReleaseVersionRow.content,
    )
    .join(
        ReleaseVersionRow,
        (ReleaseVersionRow.release_id == ReleaseRow.id) & (ReleaseVersionRow.version == bindparam("number")),
    )
    .where(ReleaseRow.id == bindparam("release_id"))
)


def step_view(s: Session, release_id: str, number: int) -> Any | None:
    """(current version, retracted_at, gate, stage, content) of a release and its version ``number``, in one
    query and without loading ORM objects; None when either is missing."""
    return s.execute(_STEP_VIEW, {"release_id": release_id, "number": number}).first()


def by_identity(s: Session, identity: str) -> ReleaseRow | None:
    return s.scalar(select(ReleaseRow).where(ReleaseRow.identity == identity))


def version(s: Session, release_id: str, number: int) -> ReleaseVersionRow:
    row = s.scalar(
        select(ReleaseVersionRow).where(ReleaseVersionRow.release_id == release_id, ReleaseVersionRow.version == number)
    )
    if row is None:
        raise NotFound(f"no version {number} of release {release_id}")
    return row


def versions(s: Session, release_id: str) -> Sequence[ReleaseVersionRow]:
    return s.scalars(
        select(ReleaseVersionRow).where(ReleaseVersionRow.release_id == release_id).order_by(ReleaseVersionRow.version)
    ).all()


#: One row of a release's timeline, inserted with Core (see ``event``); built once.
_EVENTS = cast(Table, ReleaseEventRow.__table__)
_INSERT_EVENT = insert(_EVENTS).values(
    release_id=bindparam("e_release_id"),
    version=bindparam("e_version"),
    stage=bindparam("e_stage"),
    detail=bindparam("e_detail"),
    at=bindparam("e_at"),
)


def event(s: Session, release_id: str, version: int, stage: str, detail: dict[str, Any] | None = None) -> None:
    """Add a stage to a release's timeline, in the caller's transaction.

    Written at once with Core on the session's connection rather than added to the unit of work: every pipeline
    step writes one or two, nothing reads the new row's id back, and the ORM's insert (a RETURNING per row, the
    flush bookkeeping) cost several times the statement. The release must be in the database for the foreign
    key, so whatever the session still holds pending (a release just created) is flushed first.
    """
    if s.new:
        s.flush()
    direct(
        s,
        _INSERT_EVENT,
        {"e_release_id": release_id, "e_version": version, "e_stage": stage, "e_detail": detail, "e_at": utcnow()},
    )


def events(s: Session, release_id: str) -> Sequence[ReleaseEventRow]:
    return s.scalars(
        select(ReleaseEventRow).where(ReleaseEventRow.release_id == release_id).order_by(ReleaseEventRow.id)
    ).all()


def published(
    s: Session,
    *,
    agency_id: str | None = None,
    category: str | None = None,
    limit: int = 50,
) -> Sequence[tuple[ReleaseRow, ReleaseVersionRow]]:
    """The newest published releases in a scope, each with the version feeds show, as ORM objects (render
    passes read ``shown`` rows instead)."""
    stmt = (
        select(ReleaseRow, ReleaseVersionRow)
        .join(
            ReleaseVersionRow,
            (ReleaseVersionRow.release_id == ReleaseRow.id)
            & (ReleaseVersionRow.version == ReleaseRow.published_version),
        )
        .where(ReleaseRow.published_version > 0, ReleaseRow.retracted_at.is_(None))
        .order_by(ReleaseRow.published_at.desc(), ReleaseRow.id)
        .limit(limit)
        # Feeds need the processed content, not the submission as received (often the larger half).
        .options(defer(ReleaseVersionRow.raw))
    )
    if agency_id is not None:
        stmt = stmt.where(ReleaseRow.agency_id == agency_id)
    if category is not None:
        stmt = stmt.where(ReleaseRow.category == category)
    return [(r, v) for r, v in s.execute(stmt).all()]


@dataclass(frozen=True, slots=True)
class Shown:
    """A published release as a feed shows it: the fields an item reads, and the number of the version shown.
    Both the release and its version for the feed code (``id`` and ``release_id``; the content is loaded once
    per render pass, see versions_content), read with Core: a render pass reads a hundred of them, and building
    ORM objects for them was most of its queries' time."""

    id: str
    language: str
    agency_id: str | None
    category: str | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def release_id(self) -> str:
        return self.id

    @property
    def content(self) -> None:
        return None  # not loaded with the row: RenderPass.release parses it once per pass


def shown(s: Session, *, agency_id: str | None = None, category: str | None = None, limit: int = 50) -> list[Shown]:
    """The newest published releases in a scope, as feeds show them (``published`` gives ORM rows)."""
    r = _RELEASES.c
    stmt = (
        select(r.id, r.language, r.agency_id, r.category, r.published_at, r.created_at, r.updated_at)
        .add_columns(r.published_version)
        .where(r.published_version > 0, r.retracted_at.is_(None))
        .order_by(r.published_at.desc(), r.id)
        .limit(limit)
    )
    if agency_id is not None:
        stmt = stmt.where(r.agency_id == agency_id)
    if category is not None:
        stmt = stmt.where(r.category == category)
    return [Shown(*row) for row in s.connection().execute(stmt)]


def versions_content(s: Session, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], str | None]:
    """The content of many (release id, version) pairs in one query, as its JSON text: a render pass parses only
    what changed since its last pass (itemcache.CONTENT compares the text)."""
    if not keys:
        return {}
    ids = sorted({release_id for release_id, _ in keys})
    wanted = set(keys)
    text = sql_cast(ReleaseVersionRow.content, Text)
    rows = s.execute(
        select(ReleaseVersionRow.release_id, ReleaseVersionRow.version, text).where(
            ReleaseVersionRow.release_id.in_(ids)
        )
    ).all()
    return {(r, v): c for r, v, c in rows if (r, v) in wanted}


def due_embargoes(s: Session, now: datetime) -> Sequence[ReleaseRow]:
    return s.scalars(
        select(ReleaseRow).where(ReleaseRow.status == ReleaseStatus.embargoed, ReleaseRow.embargo_until <= now)
    ).all()


def flagged(s: Session, stage: str, limit: int = 100) -> Sequence[tuple[ReleaseRow, ReleaseEventRow]]:
    """Releases whose current version carries an event ``stage`` (e.g. "agency_unmatched"), newest first."""
    stmt = (
        select(ReleaseRow, ReleaseEventRow)
        .join(ReleaseEventRow, ReleaseEventRow.release_id == ReleaseRow.id)
        .where(ReleaseEventRow.stage == stage, ReleaseEventRow.version == ReleaseRow.version)
        .order_by(ReleaseEventRow.at.desc(), ReleaseEventRow.id.desc())
        .limit(limit)
    )
    return [(r, e) for r, e in s.execute(stmt).all()]


def stalled(s: Session, before: datetime, final_stage: str) -> Sequence[tuple[str, int, str]]:
    """(release id, version, last stage done) of current versions that stopped short of ``final_stage`` and
    have not changed since ``before``. Embargoed, failed and retracted releases are waiting on purpose."""
    rows = s.execute(
        select(ReleaseRow.id, ReleaseVersionRow.version, ReleaseVersionRow.stage)
        .join(
            ReleaseVersionRow,
            (ReleaseVersionRow.release_id == ReleaseRow.id) & (ReleaseVersionRow.version == ReleaseRow.version),
        )
        .where(
            ReleaseVersionRow.stage != final_stage,
            ReleaseRow.retracted_at.is_(None),
            ReleaseRow.status.not_in([ReleaseStatus.embargoed, ReleaseStatus.failed]),
            ReleaseRow.updated_at < before,
        )
        .limit(1000)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def submitted_since(s: Session, agency_id: str, since: datetime) -> int:
    """Releases an agency submitted (not ingested) since a time: what the submission rate limit counts."""
    return int(
        s.scalar(
            select(func.count()).where(
                ReleaseRow.agency_id == agency_id, ReleaseRow.source_id.is_(None), ReleaseRow.created_at >= since
            )
        )
        or 0
    )
