"""Where releases were seen (a source's item, an outlet's page) and their fingerprint bands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert, select
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


def candidates(s: Session, bands: list[str]) -> Sequence[tuple[str, str | None]]:
    """(release id, fingerprint) of every release sharing a band (rarely more than a handful)."""
    if not bands:
        return []
    with s.no_autoflush:  # bands are inserted by Core right away; pending ORM rows are not needed here
        ids = s.scalars(
            select(FingerprintBandRow.release_id).where(FingerprintBandRow.band.in_(bands)).distinct()
        ).all()
    if not ids:
        return []
    return [
        (rid, fp) for rid, fp in s.execute(select(ReleaseRow.id, ReleaseRow.fingerprint).where(ReleaseRow.id.in_(ids)))
    ]
