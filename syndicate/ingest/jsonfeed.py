"""JSON Feed 1.0/1.1 → RawRelease. Unknown keys (extensions) are ignored, as the spec asks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from syndicate.errors import ParseError
from syndicate.ingest.encoding import decode
from syndicate.ingest.feed import ParsedFeed
from syndicate.model import Attachment, RawRelease, Source

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_jsonfeed(body: bytes) -> bool:
    head = body[:2048].lstrip()
    # The version URL may be written with escaped slashes ("https:\\/\\/jsonfeed.org\\/version\\/1.1").
    return head.startswith(b"{") and b"jsonfeed.org" in body[:4096]


def parse_jsonfeed(
    body: bytes, *, base_url: str | None = None, http_charset: str | None = None, source: Source | None = None
) -> ParsedFeed:
    text, _ = decode(body, http_charset)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(VERSION_PREFIX):
        raise ParseError("not a JSON Feed (no https://jsonfeed.org/version/ version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError("JSON Feed without an items array")
    base = data.get("home_page_url") or data.get("feed_url") or base_url
    language = data.get("language") or (source.language if source else None)
    releases = [_item(item, base, language, source) for item in items if isinstance(item, dict)]
    return ParsedFeed(
        releases=[r for r in releases if r.title or r.body],
        title=data.get("title"),
        link=data.get("home_page_url"),
    )


def _item(item: dict[str, Any], base: str | None, language: str | None, source: Source | None) -> RawRelease:
    html = item.get("content_html")
    body, is_html = (html, True) if isinstance(html, str) and html else (str(item.get("content_text") or ""), False)
    url = item.get("url") or item.get("external_url")
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    lang = item.get("language") or language
    return RawRelease(
        source_id=source.id if source else None,
        guid=str(item["id"]) if item.get("id") not in (None, "") else None,
        url=_abs(base, url),
        title=str(item.get("title") or ""),
        subtitle=str(item["summary"]) if item.get("summary") and item.get("summary") != body else None,
        body=body,
        body_is_html=is_html,
        published=item.get("date_published") or item.get("date_modified"),
        language=lang.split("-")[0].lower() if isinstance(lang, str) else None,
        author=", ".join(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")) or None,
        categories=[str(t) for t in item.get("tags") or [] if t],
        attachments=[
            Attachment(url=_abs(base, a["url"]) or a["url"], name=a.get("title"), type=a.get("mime_type"))
            for a in item.get("attachments") or []
            if isinstance(a, dict) and a.get("url")
        ],
        timezone=source.timezone if source else "Asia/Seoul",
    )


def _abs(base: str | None, url: object) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return urljoin(base, url) if base else url
