"""Summaries of releases, one per release and language."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from syndicate.model import Summary
from syndicate.store.tables import SummaryRow, utcnow

#: The summarize step's statements, Core on the table and built once: the ORM's bulk insert and its delete
#: (which evaluates the criteria against every object the session holds) cost several times the statements. The
#: pipeline's sessions hold no summary objects, and ``save`` flushes its own, so nothing is left for an ORM flush
#: or synchronisation to do.
_SUMMARIES = cast(Table, SummaryRow.__table__)
_INSERT = insert(_SUMMARIES)
_DELETE = delete(_SUMMARIES).where(_SUMMARIES.c.release_id == bindparam("release_id"))
_LANGUAGES_OF_VERSION = select(_SUMMARIES.c.language).where(
    _SUMMARIES.c.release_id == bindparam("release_id"), _SUMMARIES.c.version == bindparam("version")
)


def save(s: Session, release_id: str, version: int, summary: Summary) -> SummaryRow:
    """Insert or replace the summary of a release in the summary's language."""
    row = s.scalar(
        select(SummaryRow).where(SummaryRow.release_id == release_id, SummaryRow.language == summary.language)
    )
    if row is None:
        row = SummaryRow(release_id=release_id, language=summary.language)
        s.add(row)
    row.version = version
    row.sentences = list(summary.sentences)
    row.method = summary.method
    row.created_at = utcnow()
    s.flush()
    return row


def replace(s: Session, release_id: str, version: int, summaries: Sequence[Summary]) -> None:
    """The release's summaries become exactly ``summaries`` (one per language): every stored one goes, then these
    are inserted in one statement. ``save`` per language was a lookup and a flush each, four round trips for a
    release in three target languages, in the translate step's transaction while the release waits."""
    remove(s, release_id)
    if not summaries:
        return
    now = utcnow()
    s.connection().execute(
        _INSERT,
        [
            {
                "release_id": release_id,
                "version": version,
                "language": summary.language,
                "sentences": list(summary.sentences),
                "method": summary.method,
                "created_at": now,
            }
            for summary in summaries
        ],
    )


def for_release(s: Session, release_id: str) -> Sequence[SummaryRow]:
    return s.scalars(select(SummaryRow).where(SummaryRow.release_id == release_id).order_by(SummaryRow.language)).all()


def for_releases(s: Session, release_ids: Iterable[str], language: str) -> dict[str, SummaryRow]:
    """The summaries in one language of many releases (one query for a whole feed)."""
    ids = list(release_ids)
    if not ids:
        return {}
    rows = s.scalars(select(SummaryRow).where(SummaryRow.release_id.in_(ids), SummaryRow.language == language)).all()
    return {row.release_id: row for row in rows}


@dataclass(frozen=True, slots=True)
class ShownSummary:
    """What a feed item reads of a stored summary."""

    version: int
    sentences: list[str]


def for_releases_in(
    s: Session, release_ids: Iterable[str], languages: Iterable[str]
) -> dict[str, dict[str, ShownSummary]]:
    """language → release id → summary, of many releases in several languages (one query for a render pass;
    Core rows, not ORM objects: a pass reads hundreds)."""
    ids, langs = list(release_ids), list(languages)
    if not ids or not langs:
        return {}
    c = _SUMMARIES.c
    rows = s.connection().execute(
        select(c.release_id, c.language, c.version, c.sentences).where(c.release_id.in_(ids), c.language.in_(langs))
    )
    out: dict[str, dict[str, ShownSummary]] = {}
    for release_id, language, version, sentences in rows:
        out.setdefault(language, {})[release_id] = ShownSummary(version, sentences)
    return out


def languages_of_version(s: Session, release_id: str, version: int) -> set[str]:
    """The languages in which a release has its summary of ``version``."""
    return set(s.connection().scalars(_LANGUAGES_OF_VERSION, {"release_id": release_id, "version": version}))


def remove(s: Session, release_id: str) -> int:
    """Drop every summary of a release (its licence no longer allows them)."""
    result = s.connection().execute(_DELETE, {"release_id": release_id})
    return int(getattr(result, "rowcount", 0) or 0)


def to_model(row: SummaryRow) -> Summary:
    return Summary.model_validate({"language": row.language, "sentences": row.sentences, "method": row.method})
