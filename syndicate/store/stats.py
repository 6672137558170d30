"""Aggregates for /metrics, read at scrape time so that every API process reports the same figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.store.tables import ReleaseRow, ReleaseVersionRow, SourceStateRow, TranslationMemoryRow, TranslationRow


def releases_by_status(s: Session) -> Sequence[tuple[str, int]]:
    return [(r[0], r[1]) for r in s.execute(select(ReleaseRow.status, func.count()).group_by(ReleaseRow.status))]


def versions_by_stage(s: Session) -> Sequence[tuple[str, int]]:
    """Current versions by the last pipeline step they finished."""
    stmt = (
        select(ReleaseVersionRow.stage, func.count())
        .join(
            ReleaseRow,
            (ReleaseRow.id == ReleaseVersionRow.release_id) & (ReleaseRow.version == ReleaseVersionRow.version),
        )
        .group_by(ReleaseVersionRow.stage)
    )
    return [(r[0], r[1]) for r in s.execute(stmt)]


def sources(s: Session) -> Sequence[Any]:
    return s.execute(
        select(
            SourceStateRow.source_id,
            SourceStateRow.consecutive_errors,
            SourceStateRow.error_kind,
            SourceStateRow.last_poll_at,
            SourceStateRow.last_success_at,
            SourceStateRow.items_seen,
        )
    ).all()


def translations(s: Session) -> Sequence[tuple[str | None, bool, int]]:
    stmt = select(TranslationRow.provider, TranslationRow.pending, func.count()).group_by(
        TranslationRow.provider, TranslationRow.pending
    )
    return [(r[0], bool(r[1]), r[2]) for r in s.execute(stmt)]


def segments_by_provider(s: Session) -> Sequence[tuple[str, int]]:
    """Segments each provider translated (each is sent once: the memory answers every repeat)."""
    stmt = select(TranslationMemoryRow.provider, func.count()).group_by(TranslationMemoryRow.provider)
    return [(r[0], r[1]) for r in s.execute(stmt)]
