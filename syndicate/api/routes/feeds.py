"""Feeds, served from their stored rendering with validators (ETag, Last-Modified) and WebSub links."""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from syndicate import syndication
from syndicate.config import get_settings

router = APIRouter(tags=["feeds"])

CACHE_CONTROL = "public, max-age=60"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent.parent / "web" / "templates"))


@router.get("/feeds", response_class=HTMLResponse)
def directory(request: Request) -> Response:
    """The feed directory: every scope with its RSS, Atom and JSON Feed links."""
    scopes: dict[str, list[tuple[str, str]]] = {}
    for scope, fmt, url in syndication.feed_directory():
        scopes.setdefault(scope, []).append((fmt, url))
    context = {"scopes": list(scopes.items()), "hub": get_settings().websub_hub}
    return TEMPLATES.TemplateResponse(request, "feeds.html", context)


@router.get("/feeds/{path:path}")
def feed(path: str, request: Request) -> Response:
    scope, _, filename = path.rpartition("/")
    doc = syndication.get_document(scope, filename)
    base = get_settings().base_url.rstrip("/")
    links = [f'<{base}/feeds/{path}>; rel="self"']
    hub = get_settings().websub_hub
    if hub:
        links.append(f'<{hub}>; rel="hub"')
    headers = {
        "ETag": doc.etag,
        "Last-Modified": format_datetime(doc.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
        "Link": ", ".join(links),
    }
    if _not_modified(request, doc.etag, doc.last_modified):
        return Response(status_code=304, headers=headers)
    return Response(content=doc.body, media_type=doc.media_type, headers=headers)


def _not_modified(request: Request, etag: str, last_modified: object) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        return etag in {tag.strip() for tag in inm.split(",")} or inm.strip() == "*"
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return parsedate_to_datetime(ims) >= last_modified.replace(microsecond=0)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            return False
    return False


@router.get("/feeds.opml")
def opml() -> Response:
    outlines = "".join(
        f'<outline type="rss" text="{escape(title)}" title="{escape(title)}" xmlUrl="{escape(url)}"/>'
        for title, url in syndication.all_feed_urls()
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<opml version="2.0"><head><title>syndicate feeds</title></head><body>{outlines}</body></opml>'
    )
    return Response(content=body, media_type="text/x-opml; charset=utf-8")
