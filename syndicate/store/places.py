"""Where releases were seen (a source's item, an outlet's page), and the near-duplicate candidates."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from syndicate.store.db import driver_rows
from syndicate.store.tables import ReleasePlaceRow, ReleaseRow, utcnow


@dataclass
class Known:
    """A recorded place, as much of it as recording a poll needs (read with Core, not as an ORM object)."""

    id: int
    release_id: str
    content_hash: str | None


_PLACES = cast(Table, ReleasePlaceRow.__table__)
#: Built once: a feed's identities as one expanding parameter.
_BY_IDENTITY = select(_PLACES.c.identity, _PLACES.c.id, _PLACES.c.release_id, _PLACES.c.content_hash).where(
    _PLACES.c.identity.in_(bindparam("identities", expanding=True))
)
_SEEN = (
    update(_PLACES)
    .where(_PLACES.c.id == bindparam("place_id"))
    .values(last_seen_at=bindparam("seen_at"), content_hash=bindparam("seen_hash"))
)


#: SQLite: the identities as one JSON array parameter, a statement prepared once; the expanding IN above is
#: rendered and prepared again for every poll, which cost several times the lookups.
_BY_IDENTITY_SQLITE = (
    f"SELECT identity, id, release_id, content_hash FROM {_PLACES.name} "  # noqa: S608 - a table name
    "WHERE identity IN (SELECT value FROM json_each(?))"
)


def by_identity(s: Session, identities: list[str]) -> dict[str, Known]:
    """The places already recorded for these identities (one query for a whole feed)."""
    if not identities:
        return {}
    conn = s.connection()
    unique = list(dict.fromkeys(identities))
    if conn.dialect.name == "sqlite":
        rows: Iterable[Any] = driver_rows(conn, _BY_IDENTITY_SQLITE, (json.dumps(unique),))
    else:
        rows = conn.execute(_BY_IDENTITY, {"identities": unique})
    return {identity: Known(place_id, release_id, digest) for identity, place_id, release_id, digest in rows}


def seen_again(s: Session, places: list[Known]) -> None:
    """Places seen again in a poll: their last-seen time, and their content hash (changed, for a correction)."""
    if places:
        now = utcnow()
        rows = [{"place_id": p.id, "seen_at": now, "seen_hash": p.content_hash} for p in places]
        s.connection().execute(_SEEN, rows)


def known(s: Session, identities: list[str]) -> set[str]:
    if not identities:
        return set()
    rows = s.scalars(select(ReleasePlaceRow.identity).where(ReleasePlaceRow.identity.in_(identities))).all()
    return set(rows)


def add(
    s: Session,
    *,
    release_id: str,
    identity: str,
    url: str | None,
    source_id: str | None,
    via: str | None,
    content_hash: str | None,
) -> ReleasePlaceRow:
    row = ReleasePlaceRow(
        release_id=release_id,
        identity=identity,
        url=url,
        source_id=source_id,
        via=via,
        content_hash=content_hash,
        first_seen_at=utcnow(),
        last_seen_at=utcnow(),
    )
    s.add(row)
    return row


def of_release(s: Session, release_id: str) -> Sequence[ReleasePlaceRow]:
    return s.scalars(
        select(ReleasePlaceRow).where(ReleasePlaceRow.release_id == release_id).order_by(ReleasePlaceRow.id)
    ).all()


_QUARTERS = ("fingerprint_q0", "fingerprint_q1", "fingerprint_q2", "fingerprint_q3")
_RELEASES = ReleaseRow.__tablename__


#: SQLite: each quarter's values and the masks as JSON array parameters, so the statement text never changes and
#: SQLite prepares it once (its statement cache); written as literals, parsing the few hundred of them each poll
#: cost as much as the index lookups themselves. The neighbours (value XOR mask; SQLite has no XOR operator, and
#: (a | b) - (a & b) is it) are worked out in SQL: building and writing out a poll's 680 keys in Python cost more
#: than SQLite's lookups. Each arm a join, the keys probing the quarter's index one by one (CROSS JOIN: SQLite
#: keeps that order); the form ``column IN (SELECT ...)`` this replaced first built and sorted a temporary index
#: of the keys, 0.31-0.38 ms against 0.20-0.22 for a poll of 10 items at 7,500 releases. UNION ALL: a release
#: found by two keys comes twice; the dict below keeps one.
_BY_QUARTERS_SQLITE = " UNION ALL ".join(
    f"SELECT r.id, r.fingerprint FROM json_each(?) AS q CROSS JOIN json_each(?) AS m "  # noqa: S608 - constants
    f"CROSS JOIN {_RELEASES} AS r ON r.{column} = (q.value | m.value) - (q.value & m.value)"
    for column in _QUARTERS
)


def by_quarters(s: Session, quarters: Sequence[Sequence[int]], masks: Sequence[Sequence[int]]) -> list[tuple[str, str]]:
    """(release id, fingerprint) of the stored releases whose quarter k is ``q[k] ^ mask`` for some ``q`` of
    ``quarters`` (each a fingerprint's four 16-bit quarters) and some ``mask`` of ``masks[k]``: the
    near-duplicate candidates of a whole poll's new items (normalize/identity.py ``probes``), by id.

    One query, each quarter's indexed lookup of its values. On SQLite the quarters and masks are bound as JSON
    arrays (a statement prepared once, the neighbours worked out in it). Elsewhere (PostgreSQL: a bitmap OR)
    the values are written into the statement as integer literals: bound one by one, SQLAlchemy's
    per-parameter processing cost more than the lookups, and literals have no parameter limit."""
    if not quarters or not any(masks):
        return []
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        # int(): nothing but an integer is ever written into the JSON (nor, below, into the SQL)
        arrays = [
            (f"[{','.join(str(int(q[k])) for q in quarters)}]", f"[{','.join(map(str, map(int, masks[k])))}]")
            for k in range(len(_QUARTERS))
        ]
        rows: Iterable[Any] = driver_rows(conn, _BY_QUARTERS_SQLITE, tuple(p for pair in arrays for p in pair))
    else:
        values = [sorted({int(q[k]) ^ int(mask) for q in quarters for mask in masks[k]}) for k in range(len(_QUARTERS))]
        where = " OR ".join(
            f"{column} IN ({','.join(map(str, values[k]))})" for k, column in enumerate(_QUARTERS) if values[k]
        )
        rows = conn.exec_driver_sql(f"SELECT id, fingerprint FROM {_RELEASES} WHERE {where}")  # noqa: S608 - ints
    found = {release_id: fp for release_id, fp in rows if fp}
    return sorted(found.items())
