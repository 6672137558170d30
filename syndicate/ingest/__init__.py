"""Ingest: bytes from a source → RawRelease values. Every format converges on RawRelease.

fetch.py      conditional GET with caps and timeouts, through the SSRF guard
client.py     the HTTP client under it: http.client over guarded connections, redirects, cookies, gzip/deflate
encoding.py   bytes → text (declared charsets checked, undeclared ones detected)
feed.py       RSS 0.9x/1.0/2.0, Atom, RDF (feedparser), hostile XML refused
fastfeed.py   plain RSS 2.0/0.9x/1.0 straight through lxml, as feedparser reads them (feedparser otherwise)
jsonfeed.py   JSON Feed 1.0/1.1
page.py       an article page → one release (selectors or trafilatura), outlet dateline → via
board.py      a press-release board's list page → detail page URLs
schedule.py   when to poll next: adaptive interval, cache headers, backoff
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from syndicate.errors import ParseError
from syndicate.ingest.encoding import decode
from syndicate.ingest.feed import parse_feed
from syndicate.ingest.jsonfeed import looks_like_jsonfeed, parse_jsonfeed
from syndicate.ingest.page import extract_page, load_html, site_url
from syndicate.model import RawRelease, Source, SourceKind

__all__ = ["Document", "parse_document", "sniff"]

_FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|RDF)[\s>]", re.I)


@dataclass
class Document:
    kind: str  # feed | jsonfeed | page
    releases: list[RawRelease] = field(default_factory=list)
    ttl_minutes: int | None = None
    title: str | None = None
    #: for a page, the address it gives for itself even when that is only its site (to find its source)
    site_url: str | None = None


def sniff(body: bytes, content_type: str = "") -> str:
    """feed | jsonfeed | page, from the media type and the first bytes."""
    media = content_type.split(";")[0].strip().lower()
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in media or head.startswith(b"{"):
        if looks_like_jsonfeed(body):
            return "jsonfeed"
        raise ParseError("JSON that is not a JSON Feed")
    if _FEED_ROOT.search(body[:4096]) and b"<html" not in head[:512].lower():
        return "feed"
    if any(word in media for word in ("rss", "atom", "rdf")) or (
        media.endswith("/xml") and b"<html" not in head.lower()
    ):
        return "feed"
    return "page"


def parse_document(
    body: bytes, *, url: str | None = None, content_type: str = "", source: Source | None = None
) -> Document:
    """One fetched document → its releases. A board's list page is not a document of releases (board.py)."""
    if not body.strip():
        raise ParseError("the document is empty")
    kind = _kind(body, content_type, source)
    charset = _charset(content_type)
    if kind == "jsonfeed":
        parsed = parse_jsonfeed(body, base_url=url, http_charset=charset, source=source)
        return Document("jsonfeed", parsed.releases, None, parsed.title)
    if kind == "feed":
        parsed = parse_feed(body, base_url=url, http_charset=charset, source=source)
        return Document("feed", parsed.releases, parsed.ttl_minutes, parsed.title)
    text, _ = decode(body, charset)
    return Document("page", [extract_page(text, url, source)], site_url=site_url(load_html(text)))


def _kind(body: bytes, content_type: str, source: Source | None) -> str:
    # What the bytes are decides; a registry kind of page/board only says "expect HTML".
    if source is not None and source.kind in (SourceKind.page, SourceKind.board):
        return "page"
    return sniff(body, content_type)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None
