"""Feeds (RSS 0.9x/1.0/2.0, Atom, RDF) → RawRelease: plain RSS through fastfeed.py, everything else (and
anything fastfeed.py is not sure of) through feedparser.

The bytes are decoded here (encoding.py), checked for hostile XML, and handed on as UTF-8 with the prolog
rewritten to say so, so feedparser never second-guesses the charset into mojibake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import feedparser

from syndicate.errors import ParseError, UnsafeInput
from syndicate.ingest.encoding import decode
from syndicate.ingest.fastfeed import parse_fast
from syndicate.model import Attachment, RawRelease, Source

_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)
_ENTITY = re.compile(r"<!ENTITY", re.I)
_DOCTYPE = re.compile(r"<!DOCTYPE[^>\[]*(\[)?[^>]*>", re.I)


@dataclass
class ParsedFeed:
    releases: list[RawRelease] = field(default_factory=list)
    title: str | None = None
    link: str | None = None
    #: the feed's own <ttl> in minutes (RSS 2.0), a floor for the poll interval
    ttl_minutes: int | None = None


def safe_xml(text: str) -> str:
    """Refuse entity declarations and internal DTD subsets (billion laughs, external entities); drop a plain
    external DOCTYPE (RSS 0.91 has one), which nothing here would fetch anyway."""
    head = text[:65536]
    if _ENTITY.search(head):
        raise UnsafeInput("the document declares XML entities; refused")
    found = _DOCTYPE.search(head)
    if found is not None:
        if found.group(1) or "[" in found.group(0):
            raise UnsafeInput("the document has an internal DTD subset; refused")
        text = text[: found.start()] + text[found.end() :]
    return text


def parse_feed(
    body: bytes,
    *,
    base_url: str | None = None,
    http_charset: str | None = None,
    source: Source | None = None,
    use_fast: bool = True,
) -> ParsedFeed:
    text, _ = decode(body, http_charset)
    text = safe_xml(text)
    utf8 = b'<?xml version="1.0" encoding="utf-8"?>\n' + _PROLOG.sub("", text, count=1).lstrip().encode("utf-8")
    fast = parse_fast(utf8, base_url=base_url, source=source) if use_fast else None
    if fast is not None:
        return ParsedFeed(
            releases=[r for r in fast.releases if r.title or r.body],
            title=fast.title,
            link=fast.link,
            ttl_minutes=_int(fast.ttl),
        )
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    parsed: Any = feedparser.parse(utf8, response_headers=headers, sanitize_html=False)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = getattr(parsed, "bozo_exception", None) or "not a feed"
        raise ParseError(f"could not read the feed: {reason}")
    meta = parsed.feed
    language = meta.get("language") or (source.language if source else None) or None
    releases = [_entry(entry, source, language) for entry in parsed.entries]
    # In a document that is not well-formed (truncated in transit, typically) an item without a body is a
    # fragment cut off mid-way, not a release; the next poll will see it whole.
    keep = (lambda r: bool(r.body.strip())) if parsed.bozo else (lambda r: bool(r.title or r.body))
    kept = [r for r in releases if keep(r)]
    if parsed.bozo and releases and not kept:
        # Nothing whole survived: say so, so that the source shows the error instead of a quiet empty poll.
        raise ParseError(f"the feed is not well-formed and no item is complete: {parsed.get('bozo_exception')}")
    return ParsedFeed(
        releases=kept,
        title=meta.get("title"),
        link=meta.get("link"),
        ttl_minutes=_int(meta.get("ttl")),
    )


def _entry(entry: Any, source: Source | None, language: str | None) -> RawRelease:
    body, is_html = _body(entry)
    return RawRelease(
        source_id=source.id if source else None,
        guid=entry.get("id") or None,
        url=entry.get("link") or None,
        title=entry.get("title", ""),
        body=body,
        body_is_html=is_html,
        published=entry.get("published") or entry.get("updated") or entry.get("created"),
        language=_language(entry, language),
        author=entry.get("author") or None,
        categories=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
        attachments=_enclosures(entry),
        timezone=source.timezone if source else "Asia/Seoul",
    )


def _body(entry: Any) -> tuple[str, bool]:
    contents = entry.get("content") or []
    best = max(contents, key=lambda c: len(c.get("value", "")), default=None)
    if best is None or len(best.get("value", "")) < len(entry.get("summary", "")):
        detail = entry.get("summary_detail") or {}
        return entry.get("summary", ""), detail.get("type", "text/html") != "text/plain"
    return best.get("value", ""), best.get("type", "text/html") != "text/plain"


def _language(entry: Any, fallback: str | None) -> str | None:
    detail = entry.get("title_detail") or {}
    lang = detail.get("language") or fallback
    return lang.split("-")[0].lower() if lang else None


def _enclosures(entry: Any) -> list[Attachment]:
    out = []
    for link in entry.get("links", []):
        if link.get("rel") == "enclosure" and link.get("href"):
            out.append(Attachment(url=link["href"], name=None, type=link.get("type") or None))
    return out


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
