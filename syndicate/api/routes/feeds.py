"""Feeds, served from their stored rendering with validators (ETag, Last-Modified) and WebSub links."""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from html import escape

from fastapi import APIRouter, Request, Response

from syndicate import syndication
from syndicate.config import get_settings

router = APIRouter(tags=["feeds"])

CACHE_CONTROL = "public, max-age=60"


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
