"""The list of every feed (OPML). The feeds themselves are served by syndicate.api.feedserve."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Response

from syndicate import syndication

router = APIRouter(tags=["feeds"])


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
