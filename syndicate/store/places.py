"""Where releases were seen (a source's item, an outlet's page) and their fingerprint bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from syndicate.store.tables import FingerprintBandRow, ReleasePlaceRow, ReleaseRow, utcnow


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


FINGERPRINT_BANDS = cast(Table, FingerprintBandRow.__table__)


def add_bands(s: Session, release_id: str, bands: list[str]) -> None:
    # Core insert (one executemany), not 28 ORM objects: the band rows are write-only.
    s.execute(insert(FINGERPRINT_BANDS), [{"band": band, "release_id": release_id} for band in set(bands)])


#: Built once: an IN over a poll's few hundred bands as one expanding parameter, not hundreds of literals that
#: SQLAlchemy would coerce and key for its cache on every call.
_BY_BAND = (
    select(FingerprintBandRow.band, ReleaseRow.id, ReleaseRow.fingerprint)
    .join(ReleaseRow, ReleaseRow.id == FingerprintBandRow.release_id)
    .where(FingerprintBandRow.band.in_(bindparam("bands", expanding=True)))
    .order_by(ReleaseRow.id)
)


def by_band(s: Session, bands: set[str]) -> dict[str, list[tuple[str, str | None]]]:
    """band → (release id, fingerprint) of the stored releases having it: the near-duplicate candidates of a
    whole poll's new items in one query (chunked to stay under every backend's parameter limit)."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    ordered = sorted(bands)
    for start in range(0, len(ordered), 500):
        for band, release_id, fp in s.connection().execute(_BY_BAND, {"bands": ordered[start : start + 500]}):
            found.setdefault(band, []).append((release_id, fp))
    return found
