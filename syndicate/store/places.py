"""Where releases were seen (a source's item, an outlet's page), and the near-duplicate candidates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, or_, select
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


_QUARTERS = (
    ReleaseRow.fingerprint_q0,
    ReleaseRow.fingerprint_q1,
    ReleaseRow.fingerprint_q2,
    ReleaseRow.fingerprint_q3,
)
#: Built once: each quarter's IN list as one expanding parameter, not hundreds of literals that SQLAlchemy would
#: coerce and key for its cache on every call. One indexed lookup per quarter, their union (OR) in one query.
_BY_QUARTERS = (
    select(ReleaseRow.id, ReleaseRow.fingerprint)
    .where(or_(*(column.in_(bindparam(f"q{k}", expanding=True)) for k, column in enumerate(_QUARTERS))))
    .order_by(ReleaseRow.id)
)
#: values per quarter in one query (four lists of this many stay under every backend's parameter limit)
_CHUNK = 200


def by_quarters(s: Session, keys: set[tuple[int, int]]) -> list[tuple[str, str]]:
    """(release id, fingerprint) of the stored releases having any of these (quarter, value) keys: the
    near-duplicate candidates of a whole poll's new items (normalize/identity.py ``probes``), by id."""
    values: list[list[int]] = [[] for _ in _QUARTERS]
    for k, value in keys:
        values[k].append(value)
    for column in values:
        column.sort()
    found: dict[str, str] = {}
    conn = s.connection()
    for start in range(0, max(len(column) for column in values), _CHUNK):
        params = {f"q{k}": column[start : start + _CHUNK] for k, column in enumerate(values)}
        found.update((release_id, fp) for release_id, fp in conn.execute(_BY_QUARTERS, params) if fp)
    return sorted(found.items())
