"""The public side of the portal, for outlets and foreign media (no account): the home page, the feed
directory, the archive, each release's public page in each language, and attachments."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from syndicate.errors import Gone, NotFound
from syndicate.model import Release
from syndicate.registry import get_registry
from syndicate.store import releases as store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow
from syndicate.web import attachments, sessions, views
from syndicate.web.i18n import pick
from syndicate.web.pages import page

router = APIRouter(include_in_schema=False)
PER_PAGE = 20


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return page(request, "home.html")


@router.get("/directory", response_class=HTMLResponse)
def directory(request: Request) -> Response:
    return page(request, "directory.html", {"groups": views.feed_directory(pick(request))})


@router.get("/archive", response_class=HTMLResponse)
def archive(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1,
) -> Response:
    with session() as s:
        entries, has_next = views.archive(s, q, page_no, PER_PAGE, pick(request))
    return page(request, "archive.html", {"q": q, "entries": entries, "page_no": page_no, "has_next": has_next})


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def public_release(request: Request, release_id: str, lang: str | None = None) -> Response:
    """The page every feed item links to (its guid): the published version, in the language asked for."""
    with session() as s:
        row = s.get(ReleaseRow, release_id)
        if row is None or row.published_version == 0:
            raise NotFound(f"no release {release_id}")
        if row.retracted_at is not None:
            raise Gone(f"release {release_id} was retracted")
        ver = store.version(s, row.id, row.published_version)
        if ver.content is None:
            raise NotFound(f"no release {release_id}")
        original = Release.model_validate(ver.content)
        shown = views.translation(s, row, lang) if lang and lang != row.language else None
        languages = [row.language, *(t.language for t in views.translations(s, row))]
        asked = lang or row.language
        summary = next((x for x in views.summaries(s, row, row.published_version) if x.language == asked), None)
    ctx = {
        "row": row,
        "original": original,
        "shown": shown,
        "asked": asked,
        "languages": languages,
        "summary": summary,
        # The credit in the language of the text shown, as that language's feed carries it.
        "credit": views.credit_html(original, shown.language if shown else row.language),
        "agency": get_registry().agency(row.agency_id) if row.agency_id else None,
    }
    return page(request, "public_release.html", ctx)


@router.get("/attachments/{release_id}/{name}")
def attachment(request: Request, release_id: str, name: str) -> Response:
    """A stored attachment: public once its release is published, before that only to its agency."""
    path, media_type, inline = attachments.locate(release_id, name)
    with session() as s:
        row = s.get(ReleaseRow, release_id)
        if row is None or row.retracted_at is not None:
            raise NotFound("no such attachment")
        if row.published_version == 0:
            user = sessions.optional_user(request)
            if user is None or user.agency_id != row.agency_id:
                raise NotFound("no such attachment")
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        "Cache-Control": "private, max-age=300" if row.published_version == 0 else "public, max-age=3600",
    }
    return FileResponse(path, media_type=media_type, headers=headers)
