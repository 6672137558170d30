"""The portal for comms teams: sign in, submit, follow a release, review translations, correct, retract.

Every page is scoped to the signed-in user's agency: another agency's release answers 404, as if absent.
Submissions go through the same code as the HTTP API (pipeline.submit, then enqueue after the commit).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from syndicate import pipeline
from syndicate.api.dispatch import enqueue
from syndicate.api.routes.releases import _raw
from syndicate.errors import AuthError, InputError, NotFound, RateLimited, SyndicateError
from syndicate.model import Attachment, Release
from syndicate.store import browse
from syndicate.store import releases as store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow
from syndicate.translate.base import check_language
from syndicate.web import accounts, attachments, forms, sessions, views
from syndicate.web.pages import page
from syndicate.web.sessions import Csrf, SignedIn

router = APIRouter(include_in_schema=False)
PER_PAGE = 30
#: Statuses after which the release page stops refreshing itself (the same list is in _status.html).
SETTLED = ("published", "failed", "retracted")


def _safe_next(target: str | None) -> str:
    """Only local paths: a sign-in link must not be able to send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/my"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- signing in ----------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[Csrf])
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/my",
) -> Response:
    try:
        user = accounts.sign_in(email, password, _address(request))
    except RateLimited:
        return page(request, "login.html", {"next": next, "email": email, "error": "login.locked"}, 429)
    except AuthError:
        return page(request, "login.html", {"next": next, "email": email, "error": "login.wrong"}, 401)
    sessions.start(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request) -> Response:
    sessions.end(request)
    return RedirectResponse("/", status_code=303)


# --- submitting and correcting ------------------------------------------------------------------------------


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, user: SignedIn) -> Response:
    return page(request, "submit.html", {"user": user, "form": forms.empty(), "action": "/submit"})


def _bounded(request: Request) -> None:
    forms.check_length(request.headers.get("content-length"))


#: Listed before Csrf, which parses the form: an oversized body is refused before it is read.
Bounded = Depends(_bounded)


@router.post("/submit", response_class=HTMLResponse, dependencies=[Bounded, Csrf])
async def submit(request: Request, user: SignedIn) -> Response:
    form = await forms.read(await request.form())
    if not form.ok or form.release is None:
        return page(request, "submit.html", {"user": user, "form": form, "action": "/submit"}, 422)
    body = form.release
    release_id = store.new_id()
    raw = _raw(body)
    raw.attachments = attachments.save(release_id, form.uploads)
    try:
        _, _, steps = pipeline.submit(
            agency_id=user.agency_id,
            raw=raw,
            category=body.category,
            embargo_until=body.embargo_until,
            licence_id=body.licence,
            release_id=release_id,
        )
    except SyndicateError:  # refused (rate limit, ...): keep no files for a release that does not exist
        attachments.discard(release_id)
        raise
    enqueue(steps)
    return RedirectResponse(f"/my/releases/{release_id}", status_code=303)


def _owned(s: Session, release_id: str, agency_id: str) -> ReleaseRow:
    """The release if it belongs to this agency; 404 otherwise (another agency's release looks absent)."""
    row = s.get(ReleaseRow, release_id)
    if row is None or row.agency_id != agency_id:
        raise NotFound(f"no release {release_id}")
    return row


@router.get("/my/releases/{release_id}/edit", response_class=HTMLResponse)
def correct_form(request: Request, release_id: str, user: SignedIn) -> Response:
    with session() as s:
        row = _owned(s, release_id, user.agency_id)
        raw = store.version(s, row.id, row.version).raw
    release = raw["release"]
    values = {
        "title": release.get("title") or "",
        "subtitle": release.get("subtitle") or "",
        "body": release.get("body") or "",
        "category": row.category or "",
        "licence": raw.get("licence") or "",
        "language": row.language,
        "embargo": forms.local_time(row.embargo_until),
    }
    ctx = {"user": user, "form": forms.empty(**values), "action": f"/my/releases/{release_id}/edit", "row": row}
    return page(request, "submit.html", ctx)


@router.post("/my/releases/{release_id}/edit", response_class=HTMLResponse, dependencies=[Bounded, Csrf])
async def correct(request: Request, release_id: str, user: SignedIn) -> Response:
    with session() as s:
        row = _owned(s, release_id, user.agency_id)
        previous = store.version(s, row.id, row.version).raw["release"].get("attachments", [])
    form = await forms.read(await request.form())
    if not form.ok or form.release is None:
        ctx = {"user": user, "form": form, "action": f"/my/releases/{release_id}/edit", "row": row}
        return page(request, "submit.html", ctx, 422)
    raw = _raw(form.release)
    raw.attachments = [*(Attachment.model_validate(a) for a in previous), *attachments.save(release_id, form.uploads)]
    _, steps = pipeline.correct(
        release_id,
        agency_id=user.agency_id,
        raw=raw,
        category=form.release.category,
        embargo_until=form.release.embargo_until,
        licence_id=form.release.licence,
    )
    enqueue(steps)
    return RedirectResponse(f"/my/releases/{release_id}", status_code=303)


@router.post("/my/releases/{release_id}/retract", dependencies=[Csrf])
def retract(release_id: str, user: SignedIn, reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    with session() as s:
        _owned(s, release_id, user.agency_id)
    enqueue(pipeline.retract(release_id, agency_id=user.agency_id, reason=reason.strip() or None))
    return RedirectResponse(f"/my/releases/{release_id}", status_code=303)


# --- following releases -------------------------------------------------------------------------------------


@router.get("/my", response_class=HTMLResponse)
def my_releases(request: Request, user: SignedIn, page_no: Annotated[int, Query(alias="page", ge=1)] = 1) -> Response:
    with session() as s:
        rows = browse.agency_releases(s, user.agency_id, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE)
        total = browse.count_agency_releases(s, user.agency_id)
        items = [(row, (ver.content or ver.raw["release"]).get("title", "")) for row, ver in rows]
    ctx = {"user": user, "items": items, "page_no": page_no, "has_next": page_no * PER_PAGE < total}
    return page(request, "my_releases.html", ctx)


def _workspace(release_id: str, user: accounts.User) -> dict[str, object]:
    """Everything the release page shows: timeline, credit, original, translations, summaries, deliveries."""
    with session() as s:
        row = _owned(s, release_id, user.agency_id)
        ver = store.version(s, row.id, row.version)
        release = Release.model_validate(ver.content) if ver.content else None
        sent = views.deliveries(s, row)
        return {
            "row": row,
            "raw": ver.raw["release"],
            "release": release,
            "steps": views.timeline(row, store.events(s, row.id), views.delivered_count(sent)),
            "translations": views.translations(s, row),
            "review_languages": views.review_languages(row),
            "summaries": views.summaries(s, row, row.version),
            "deliveries": sent,
        }


@router.get("/my/releases/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, release_id: str, user: SignedIn) -> Response:
    ctx = _workspace(release_id, user)
    release = ctx["release"]
    row = ctx["row"]
    assert isinstance(row, ReleaseRow)
    ctx["credits"] = views.credits(release, row) if isinstance(release, Release) else []
    ctx["permissions"] = views.permissions(row)
    ctx["page_title"] = release.title if isinstance(release, Release) else ctx["raw"]["title"]  # type: ignore[index]
    return page(request, "release.html", {"user": user, **ctx})


@router.get("/my/releases/{release_id}/status", response_class=HTMLResponse)
def release_status(request: Request, release_id: str, user: SignedIn) -> Response:
    """The timeline alone, for htmx to refresh while the release moves through the pipeline. Once it settles,
    htmx is told to reload the whole page, whose other sections (credit, texts) are then filled in."""
    ctx = _workspace(release_id, user)
    response = page(request, "_status.html", {"user": user, **ctx})
    row = ctx["row"]
    if request.headers.get("hx-request") and isinstance(row, ReleaseRow) and row.status in SETTLED:
        response.headers["HX-Refresh"] = "true"
    return response


def _review_page(
    request: Request, release_id: str, language: str, user: accounts.User, draft: dict[str, Any] | None = None
) -> Response:
    """The original, paragraph by paragraph, beside the translation to edit (the draft after a refused try)."""
    with session() as s:
        row = _owned(s, release_id, user.agency_id)
        ver = store.version(s, row.id, row.version)
        if ver.content is None:
            raise NotFound("this release is not processed yet")
        original = Release.model_validate(ver.content)
        current = views.translation(s, row, language)
    shown = draft or {
        "title": current.title if current else "",
        "subtitle": (current.subtitle or "") if current else "",
        "paragraphs": list(current.paragraphs) if current else [],
    }
    paragraphs = shown["paragraphs"] + [""] * (len(original.paragraphs) - len(shown["paragraphs"]))
    ctx = {
        "user": user,
        "row": row,
        "original": original,
        "translation": current,
        "language": language,
        "draft": {**shown, "pairs": list(zip(original.paragraphs, paragraphs, strict=False))},
        "error": draft.get("error") if draft else None,
    }
    return page(request, "review.html", ctx, 422 if draft else 200)


@router.get("/my/releases/{release_id}/translations/{language}", response_class=HTMLResponse)
def review_form(request: Request, release_id: str, language: str, user: SignedIn) -> Response:
    check_language(language)
    return _review_page(request, release_id, language, user)


@router.post("/my/releases/{release_id}/translations/{language}", dependencies=[Csrf])
async def review(request: Request, release_id: str, language: str, user: SignedIn) -> Response:
    """Approve the edited translation: it replaces the machine's in feeds and pushes, and stays through later
    re-translations (issue 5's translation.approve)."""
    check_language(language)
    with session() as s:
        _owned(s, release_id, user.agency_id)
    form = await request.form()
    title = str(form.get("title") or "").strip()
    subtitle = str(form.get("subtitle") or "").strip() or None
    paragraphs = [str(p).strip() for p in form.getlist("paragraph")]
    try:
        if not title or not all(paragraphs):
            raise InputError("fill in the title and every paragraph")
        views.approve_translation(release_id, language, title, subtitle, paragraphs)
    except InputError as exc:
        draft = {"title": title, "subtitle": subtitle or "", "paragraphs": paragraphs, "error": exc.message}
        return _review_page(request, release_id, language, user, draft)
    return RedirectResponse(f"/my/releases/{release_id}", status_code=303)
