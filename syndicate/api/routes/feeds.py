"""The list of every feed (OPML) and the feed directory page. The feeds themselves are served by
syndicate.api.feedserve."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from syndicate import syndication
from syndicate.config import get_settings

router = APIRouter(tags=["feeds"])
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent.parent / "web" / "templates"))


@router.get("/feeds", response_class=HTMLResponse)
def directory(request: Request) -> Response:
    """The feed directory: every scope with its RSS, Atom and JSON Feed links."""
    scopes: dict[str, list[tuple[str, str]]] = {}
    for scope, fmt, url in syndication.feed_directory():
        scopes.setdefault(scope, []).append((fmt, url))
    context = {"scopes": list(scopes.items()), "hub": get_settings().websub_hub}
    return TEMPLATES.TemplateResponse(request, "feeds.html", context)


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
