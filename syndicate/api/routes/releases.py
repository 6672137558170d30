"""Submission, reading, correction and retraction of releases."""

from __future__ import annotations

from fastapi import APIRouter, status

from syndicate import pipeline
from syndicate.api.deps import AgencyId, MaybeAgency
from syndicate.api.dispatch import enqueue
from syndicate.api.schemas import Accepted, Event, ReleaseIn, ReleaseOut, RetractIn, SummaryOut, TranslationOut
from syndicate.errors import Gone, NotFound
from syndicate.model import RawRelease
from syndicate.normalize.text import looks_like_html
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store import translations as translation_store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow

router = APIRouter(prefix="/api/v1/releases", tags=["releases"])


def _raw(body: ReleaseIn) -> RawRelease:
    return RawRelease(
        title=body.title,
        subtitle=body.subtitle,
        body=body.body,
        body_is_html=looks_like_html(body.body),
        language=body.language,
        url=body.original_url,
        categories=[body.category] if body.category else [],
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
def submit(body: ReleaseIn, agency: AgencyId) -> Accepted:
    """Submit a release for your agency. It is processed in the background; poll GET for its status."""
    release_id, state, steps = pipeline.submit(
        agency_id=agency,
        raw=_raw(body),
        category=body.category,
        embargo_until=body.embargo_until,
        licence_id=body.licence,
    )
    enqueue(steps)
    return Accepted(id=release_id, status=state)


def _visible(row: ReleaseRow, agency: str | None) -> bool:
    """Owners see everything of theirs; everyone else sees only what is public."""
    if agency is not None and row.agency_id == agency:
        return True
    return row.published_version > 0


@router.get("/{release_id}", response_model=ReleaseOut)
def read(release_id: str, agency: MaybeAgency) -> ReleaseOut:
    """A release with its status and timeline. Unpublished releases only for their own agency's key."""
    with session() as s:
        row = s.get(ReleaseRow, release_id)
        if row is None or not _visible(row, agency):
            raise NotFound(f"no release {release_id}")
        if row.retracted_at is not None and row.agency_id != agency:
            raise Gone(f"release {release_id} was retracted")
        shown = row.version if row.agency_id == agency else row.published_version
        ver = store.version(s, row.id, shown)
        return ReleaseOut(
            id=row.id,
            status=row.status,
            version=row.version,
            published_version=row.published_version,
            agency_id=row.agency_id,
            category=row.category,
            language=row.language,
            embargo_until=row.embargo_until,
            created_at=row.created_at,
            published_at=row.published_at,
            retracted_at=row.retracted_at,
            error=row.error if row.agency_id == agency else None,
            release=ver.content,
            licence=row.licence,
            gate=row.gate,
            summaries=[
                SummaryOut(language=m.language, sentences=m.sentences, method=m.method, version=m.version)
                for m in summary_store.for_release(s, row.id)
                if m.version == shown
            ],
            events=[Event(stage=e.stage, version=e.version, at=e.at, detail=e.detail) for e in store.events(s, row.id)],
            translations=[
                TranslationOut(
                    language=t.language,
                    version=t.version,
                    pending=t.pending,
                    review=t.review,
                    provider=t.provider,
                    model=t.model,
                    attempts=t.attempts,
                    error=t.error if row.agency_id == agency else None,
                    content=t.content,
                )
                for t in translation_store.for_release(s, row.id)
            ],
        )


@router.patch("/{release_id}", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
def correct(release_id: str, body: ReleaseIn, agency: AgencyId) -> Accepted:
    """Correct a release: a new version that replaces the old one everywhere it went."""
    number, steps = pipeline.correct(
        release_id,
        agency_id=agency,
        raw=_raw(body),
        category=body.category,
        embargo_until=body.embargo_until,
        licence_id=body.licence,
    )
    enqueue(steps)
    return Accepted(id=release_id, status="received", version=number)


@router.post("/{release_id}/retract", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
def retract(release_id: str, agency: AgencyId, body: RetractIn | None = None) -> Accepted:
    """Retract a release: it leaves every feed and partners are told."""
    steps = pipeline.retract(release_id, agency_id=agency, reason=body.reason if body else None)
    enqueue(steps)
    return Accepted(id=release_id, status="retracted")
