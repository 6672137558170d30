"""Where releases were seen (a source's item, an outlet's page), and the near-duplicate candidates."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from syndicate.normalize import identity as ident
from syndicate.store import nearindex
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


#: The fingerprint's quarters, as columns of releases
QUARTER_COLUMNS = ("fingerprint_q0", "fingerprint_q1", "fingerprint_q2", "fingerprint_q3")
_RELEASES = ReleaseRow.__tablename__


def quarters_in_sql(s: Session) -> bool:
    """Are near-duplicates looked up in SQL on this database, so that a new release's quarter columns must be
    written? Not on SQLite, where each process holds its own index (store/nearindex.py)."""
    return s.get_bind().dialect.name != "sqlite"


def quarter_columns(s: Session, fingerprint: str | None) -> dict[str, int | None]:
    """A new release's quarter columns for its ``fingerprint``, as the writers of new releases store them: its
    quarters where near-duplicates are looked up in SQL (``quarters_in_sql``), else none (their indexes leave
    the empty ones out)."""
    quarters = ident.quarters(fingerprint) if fingerprint and quarters_in_sql(s) else (None,) * len(QUARTER_COLUMNS)
    return dict(zip(QUARTER_COLUMNS, quarters, strict=True))


def near_duplicates(s: Session, fingerprints: Sequence[int]) -> list[tuple[str, int]]:
    """(release id, fingerprint) of the stored releases within NEAR_BITS of one of ``fingerprints`` at least (a
    poll's new items): the releases they may be copies of, in no particular order.

    On SQLite from the process's index (store/nearindex.py). Elsewhere the candidates sharing a probe key
    (normalize/identity.py ``probes``) in one query, each quarter's indexed lookup of its values (PostgreSQL: a
    bitmap OR), the values written into the statement as integer literals: bound one by one, SQLAlchemy's
    per-parameter processing cost more than the lookups, and literals have no parameter limit. Then those
    within NEAR_BITS."""
    if not fingerprints:
        return []
    conn = s.connection()
    if conn.dialect.name == "sqlite":
        return nearindex.near(conn, fingerprints)
    ours = [ident.quarters_of(fp) for fp in fingerprints]
    values = [sorted({q[k] ^ mask for q in ours for mask in ident.MASKS[k]}) for k in range(len(QUARTER_COLUMNS))]
    where = " OR ".join(
        f"{column} IN ({','.join(map(str, values[k]))})" for k, column in enumerate(QUARTER_COLUMNS) if values[k]
    )
    rows = conn.exec_driver_sql(f"SELECT id, fingerprint FROM {_RELEASES} WHERE {where}")  # noqa: S608 - ints
    found = [(release_id, int(fp, 16)) for release_id, fp in rows if fp]
    return [
        (release_id, value)
        for release_id, value in found
        if any((value ^ ours).bit_count() <= ident.NEAR_BITS for ours in fingerprints)
    ]
