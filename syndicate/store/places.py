"""Where releases were seen (a source's item, an outlet's page), and the near-duplicate candidates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.store.tables import ReleasePlaceRow, ReleaseRow, utcnow


def get(s: Session, identity: str) -> ReleasePlaceRow | None:
    return s.scalar(select(ReleasePlaceRow).where(ReleasePlaceRow.identity == identity))


def by_identity(s: Session, identities: list[str]) -> dict[str, ReleasePlaceRow]:
    """The places already recorded for these identities (one query for a whole feed)."""
    if not identities:
        return {}
    rows = s.scalars(select(ReleasePlaceRow).where(ReleasePlaceRow.identity.in_(identities))).all()
    return {row.identity: row for row in rows}


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


def by_quarters(s: Session, keys: set[tuple[int, int]]) -> list[tuple[str, str]]:
    """(release id, fingerprint) of the stored releases having any of these (quarter, value) keys: the
    near-duplicate candidates of a whole poll's new items (normalize/identity.py ``probes``), by id.

    One query, each quarter's indexed lookup of its values (OR: SQLite's multi-index OR, PostgreSQL's bitmap OR).
    The values are a poll's few hundred small integers, written into the statement as integer literals: bound
    one by one, SQLAlchemy's per-parameter processing cost more than the lookups, and literals have no
    parameter limit."""
    values: list[set[int]] = [set() for _ in _QUARTERS]
    for k, value in keys:
        values[k].add(int(value))  # int(): nothing but an integer is ever written into the SQL
    where = " OR ".join(
        f"{column} IN ({','.join(map(str, sorted(values[k])))})" for k, column in enumerate(_QUARTERS) if values[k]
    )
    if not where:
        return []
    sql = f"SELECT id, fingerprint FROM {_RELEASES} WHERE {where}"  # noqa: S608 - integers only, built above
    found = {release_id: fp for release_id, fp in s.connection().exec_driver_sql(sql) if fp}
    return sorted(found.items())
