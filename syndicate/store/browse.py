"""Listings the portal browses: an agency's releases, and the polling state of sources."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.store.tables import ReleaseRow, ReleaseVersionRow, SourceStateRow


def agency_releases(
    s: Session, agency_id: str, *, limit: int = 50, offset: int = 0
) -> Sequence[tuple[ReleaseRow, ReleaseVersionRow]]:
    """An agency's releases, newest first, each with its latest version."""
    stmt = (
        select(ReleaseRow, ReleaseVersionRow)
        .join(
            ReleaseVersionRow,
            (ReleaseVersionRow.release_id == ReleaseRow.id) & (ReleaseVersionRow.version == ReleaseRow.version),
        )
        .where(ReleaseRow.agency_id == agency_id)
        .order_by(ReleaseRow.created_at.desc(), ReleaseRow.id)
        .limit(limit)
        .offset(offset)
    )
    return [(r, v) for r, v in s.execute(stmt).all()]


def count_agency_releases(s: Session, agency_id: str) -> int:
    return int(s.scalar(select(func.count()).where(ReleaseRow.agency_id == agency_id)) or 0)


def source_states(s: Session) -> dict[str, SourceStateRow]:
    return {row.source_id: row for row in s.scalars(select(SourceStateRow))}
