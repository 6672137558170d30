"""New releases from one poll, written with one INSERT per table instead of ORM objects one by one.

A feed's new items are many rows of four tables (release, version, "received" event, place); the ORM's unit
of work would spend most of a poll's time on them. Here they are gathered as plain rows
and written in table order (releases first, for the foreign keys) with one executemany each.

On SQLite the executemany goes to the driver with parameters converted here (``_Plan``): SQLAlchemy's
per-row parameter handling for an executemany (building, defaulting and processing each row's dict) cost more
than SQLite's inserting. The values are the same: each column type's own bind processor converts them, and the
columns a row leaves out get their scalar defaults, as SQLAlchemy would give them; a table whose left-out
columns need anything else goes through SQLAlchemy. Other databases always go through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

from syndicate.model import ReleaseStatus
from syndicate.store import places
from syndicate.store.releases import new_id
from syndicate.store.tables import (
    ReleaseEventRow,
    ReleasePlaceRow,
    ReleaseRow,
    ReleaseVersionRow,
    utcnow,
)

_TABLES: list[tuple[str, Table]] = [
    ("releases", cast(Table, ReleaseRow.__table__)),
    ("versions", cast(Table, ReleaseVersionRow.__table__)),
    ("events", cast(Table, ReleaseEventRow.__table__)),
    ("places", cast(Table, ReleasePlaceRow.__table__)),
]


#: A new release's quarter columns before ``NewRows.write`` knows the database (every row has the same columns)
_NO_QUARTERS = dict.fromkeys(places.QUARTER_COLUMNS)


@dataclass
class NewRows:
    #: The time of every row gathered: one poll's rows are written at once, and one value is converted once for
    #: all of them (``insert_many``), where each row's own time cost a conversion per column, 60 a 10-item poll.
    now: datetime = field(default_factory=utcnow)
    releases: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)

    def release(
        self,
        *,
        raw: dict[str, Any],
        identity: str,
        agency_id: str | None,
        language: str,
        category: str | None,
        source_id: str | None,
        fingerprint: str | None,
    ) -> str:
        """A new release at version 1 with its "received" event (as store.releases.create), and its fingerprint
        for finding near-duplicates of it (its quarter columns are filled in by ``write``, as the database asks)."""
        release_id = new_id()
        now = self.now
        self.releases.append(
            {
                "id": release_id,
                "identity": identity,
                "agency_id": agency_id,
                "source_id": source_id,
                "fingerprint": fingerprint,
                **_NO_QUARTERS,
                "status": ReleaseStatus.received.value,
                "language": language,
                "category": category,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        self.versions.append({"release_id": release_id, "version": 1, "raw": raw, "created_at": now})
        self.event(release_id, 1, "received", None)
        return release_id

    def event(self, release_id: str, version: int, stage: str, detail: dict[str, Any] | None) -> None:
        self.events.append(
            {"release_id": release_id, "version": version, "stage": stage, "detail": detail, "at": self.now}
        )

    def place(
        self,
        *,
        release_id: str,
        identity: str,
        url: str | None,
        source_id: str | None,
        via: str | None,
        content_hash: str | None,
    ) -> None:
        now = self.now
        self.places.append(
            {
                "release_id": release_id,
                "identity": identity,
                "url": url,
                "source_id": source_id,
                "via": via,
                "content_hash": content_hash,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )

    def write(self, s: Session) -> None:
        """Insert everything gathered (in foreign-key order) and start empty again."""
        if places.quarters_in_sql(s):
            for row in self.releases:
                row.update(places.quarter_columns(s, row["fingerprint"]))
        conn = s.connection()  # Core straight on the connection: these rows are not ORM objects
        converted: dict[Any, Any] = {}  # one poll's timestamps, each converted once for all its columns
        for name, table in _TABLES:
            rows = getattr(self, name)
            if rows:
                insert_many(conn, table, rows, converted)
                rows.clear()


class _Plan(NamedTuple):
    """An INSERT of a set of columns as the driver takes it: its SQL, and for each of its parameters, in
    order, the row key it comes from (None: the column's scalar default), the type's bind processor, and for a
    datetime column its type (a datetime's converted value is the same in every column of that type)."""

    sql: str
    params: tuple[tuple[str | None, Any, Callable[[Any], Any] | None, type | None], ...]


#: A value not converted yet (None is a conversion's result too)
_UNSEEN = object()

#: (table, columns, dialect name) → its plan, or None when SQLAlchemy must execute it
_PLANS: dict[tuple[str, tuple[str, ...], str], _Plan | None] = {}


def insert_many(
    conn: Connection, table: Table, rows: list[dict[str, Any]], converted: dict[Any, Any] | None = None
) -> None:
    """``conn.execute(insert(table), rows)``, the same rows written, with less per-row work on SQLite.
    ``converted``: datetimes already converted for a column type, and None for a column's processor, shared
    between calls (NewRows.write)."""
    keys = tuple(rows[0])
    plan = _plan(conn, table, keys) if all(len(row) == len(keys) for row in rows) else None
    if plan is None or any(row.keys() != rows[0].keys() for row in rows):
        conn.execute(insert(table), rows)
        return
    memo = {} if converted is None else converted
    params = []
    for row in rows:
        values = []
        for key, default, process, kind in plan.params:
            value = row[key] if key is not None else default
            if process is None:
                values.append(value)
            elif kind is not None or value is None:
                # A release's, its version's and its place's timestamps are one value: converting it (to UTC,
                # then to SQLite's text) cost about 5 us a column, the most of building a poll's rows. And most
                # of a new release's JSON and time columns are None, which each column's processor converts the
                # same way every time (JSON's to "null"): 7 of a new item's 9 conversions.
                memo_key = (kind or process, value)
                found = memo.get(memo_key, _UNSEEN)
                if found is _UNSEEN:
                    found = memo[memo_key] = process(value)
                values.append(found)
            else:
                values.append(process(value))
        params.append(tuple(values))
    # The driver's own cursor, as store.db.driver_rows: SQLAlchemy's execution around the executemany (context,
    # result set-up) was about a twentieth of writing a poll's rows; nothing listens to its cursor events.
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(plan.sql, params)
    finally:
        cursor.close()


def _plan(conn: Connection, table: Table, keys: tuple[str, ...]) -> _Plan | None:
    dialect = conn.dialect
    cache_key = (table.name, keys, dialect.name)
    if cache_key in _PLANS:
        return _PLANS[cache_key]
    plan = None
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        compiled: Any = insert(table).compile(dialect=dialect, column_keys=list(keys))
        params: list[tuple[str | None, Any, Callable[[Any], Any] | None, type | None]] = []
        for name in compiled.positiontup or []:
            column = table.c[name]
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            kind = type(column.type) if _holds_datetimes(column.type) else None
            if name in keys:
                params.append((name, None, process, kind))
            elif column.default is not None and column.default.is_scalar:
                params.append((None, column.default.arg, process, kind))
            else:
                break  # a callable or SQL default: SQLAlchemy knows how to run it
        else:
            plan = _Plan(str(compiled), tuple(params))
    _PLANS[cache_key] = plan
    return plan


def _holds_datetimes(column_type: Any) -> bool:
    try:
        return bool(column_type.python_type is datetime)
    except NotImplementedError:  # a type without one (NullType, some dialect types)
        return False
