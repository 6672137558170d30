"""A fast path for plain RSS 2.0/0.9x and RSS 1.0 (RDF) feeds: lxml straight to RawRelease.

feedparser handles every feed ever written, and takes about a millisecond an item doing it; a government's
well-formed RSS needs a fraction of that. This reader takes only what it is sure to read as feedparser does
(feed.py keeps feedparser for everything else): a well-formed document, items made of the common elements,
absolute http(s) links, text without markup where feedparser would treat it as HTML, no xml:lang or xml:base.
Bodies go through feedparser's own HTML pass (it escapes stray ``&``, closes void tags, resolves relative URLs)
unless they are plain paragraphs it would leave as they are. Anything else returns None and feedparser reads
the feed.
tests/ingest/test_fastfeed.py checks both give equal RawReleases on every feed fixture this path accepts.

The caller has decoded the bytes and refused hostile XML (feed.safe_xml) first; the parser here also resolves
no entities and fetches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from feedparser.urls import resolve_relative_uris
from lxml import etree

from syndicate.model import Attachment, RawRelease, Source

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_RSS10 = "{http://purl.org/rss/1.0/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
#: item elements read here (RSS 2.0 names; RSS 1.0 ones are mapped onto them), and ones safely ignored
_RSS_FIELDS = {"title", "link", "guid", "description", "pubDate", "category", "enclosure"}
_IGNORED = {"comments", f"{_DC}identifier"}
#: HTML that feedparser's HTML pass gives back unchanged: text without & < >, and bare lower-case tags that
#: are not void elements (those it rewrites as <br />); text runs matched whole, tags between them
_UNTOUCHED = re.compile(
    r"[^&<>]*(?:</?(?!(?:br|hr|img|input|meta|link|area|base|col|param|source|wbr)>)[a-z][a-z0-9]*>[^&<>]*)*"
)
_MARKUP = re.compile(r"[<>&]")
#: An absolute URL that urljoin gives back unchanged: a plain host (and port), and a path without what
#: urlsplit and urlunsplit would touch (a query or fragment, perhaps empty; ";" parameters; whitespace and
#: control characters; brackets). Most feeds' links are like this, and urljoin's two parses were a fifth of
#: this module's time.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s?#;\[\]\x00-\x1f\x7f]*)?")


class _Decline(Exception):
    """Not a feed this path reads exactly as feedparser would."""


@dataclass
class FastFeed:
    releases: list[RawRelease] = field(default_factory=list)
    title: str | None = None
    link: str | None = None
    ttl: str | None = None


def parse_fast(xml: bytes, *, base_url: str | None, source: Source | None) -> FastFeed | None:
    """The feed's items, or None when feedparser must read it (see the module docstring)."""
    try:
        root = etree.fromstring(xml, parser=_PARSER)
        if root.tag == "rss":
            return _rss(root, base_url, source)
        if root.tag == f"{_RDF}RDF":
            return _rdf(root, base_url, source)
    except (etree.XMLSyntaxError, _Decline, ValueError):
        return None
    return None


def _rss(root: etree._Element, base_url: str | None, source: Source | None) -> FastFeed:
    channel = root.find("channel")
    if channel is None or _has_lang(root):
        raise _Decline
    language = _language(_text(channel.find("language")), source)
    feed = FastFeed(
        title=_plain(channel.find("title")), link=_text(channel.find("link")), ttl=_text(channel.find("ttl"))
    )
    for item in channel.iterfind("item"):
        fields: dict[str, list[etree._Element]] = {}
        for child in item:
            if not isinstance(child.tag, str) or child.tag in _IGNORED:
                continue
            if child.tag not in _RSS_FIELDS:
                raise _Decline
            fields.setdefault(child.tag, []).append(child)
        guid = _first(fields, "guid")
        if guid is not None and guid.get("isPermaLink", "true").strip().lower() != "false" and "link" not in fields:
            raise _Decline  # feedparser takes such a guid as the link
        feed.releases.append(_release(fields, _text(guid), base_url, source, language))
    return feed


def _rdf(root: etree._Element, base_url: str | None, source: Source | None) -> FastFeed:
    if _has_lang(root):
        raise _Decline
    channel = root.find(f"{_RSS10}channel")
    if channel is None:
        raise _Decline
    language = _language(_text(channel.find(f"{_DC}language")), source)
    feed = FastFeed(title=_plain(channel.find(f"{_RSS10}title")), link=_text(channel.find(f"{_RSS10}link")))
    for item in root.iterfind(f"{_RSS10}item"):
        fields: dict[str, list[etree._Element]] = {}
        for child in item:
            if not isinstance(child.tag, str):
                continue
            name = _RDF_NAMES.get(child.tag)
            if name is None:
                raise _Decline
            fields.setdefault(name, []).append(child)
        feed.releases.append(_release(fields, item.get(f"{_RDF}about") or None, base_url, source, language))
    return feed


_RDF_NAMES = {
    f"{_RSS10}title": "title",
    f"{_RSS10}link": "link",
    f"{_RSS10}description": "description",
    f"{_DC}date": "pubDate",
}


def _release(
    fields: dict[str, list[etree._Element]],
    guid: str | None,
    base_url: str | None,
    source: Source | None,
    language: str | None,
) -> RawRelease:
    for name in ("title", "link", "guid", "description", "pubDate"):
        if len(fields.get(name, ())) > 1:
            raise _Decline  # which one feedparser keeps is its business
    body = _html(_text(_first(fields, "description")) or "", base_url)
    return RawRelease(
        source_id=source.id if source else None,
        guid=guid or None,
        url=_url(_text(_first(fields, "link")), base_url),
        title=_plain(_first(fields, "title")) or "",
        body=body,
        body_is_html=True,
        published=_plain(_first(fields, "pubDate")) or None,
        language=language,
        author=None,
        categories=_categories(fields.get("category", [])),
        attachments=_enclosures(fields.get("enclosure", []), base_url),
        timezone=source.timezone if source else "Asia/Seoul",
    )


def _html(body: str, base_url: str | None) -> str:
    """The body as feedparser gives it: through its HTML pass (relative URLs resolved, markup normalized)."""
    if _UNTOUCHED.fullmatch(body):
        return body
    return str(resolve_relative_uris(body, base_url or "", "utf-8", "text/html"))


def _first(fields: dict[str, list[etree._Element]], name: str) -> etree._Element | None:
    found = fields.get(name)
    return found[0] if found else None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    if len(el):
        raise _Decline  # markup inside (XHTML, or a stray element): feedparser's job
    return (el.text or "").strip()


def _plain(el: etree._Element | None) -> str | None:
    """Text feedparser would return as it is: no characters that would make it treat the text as HTML."""
    text = _text(el)
    if text and _MARKUP.search(text):
        raise _Decline
    return text


def _url(value: str | None, base_url: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or _MARKUP.search(value):  # feedparser: lower-case only
        raise _Decline
    if _PLAIN_URL.fullmatch(value):
        return value
    return urljoin(base_url or value, value)


def _language(value: str | None, source: Source | None) -> str | None:
    lang = value or (source.language if source else None)
    return lang.split("-")[0].lower() if lang else None


def _has_lang(root: etree._Element) -> bool:
    # xml:lang changes an item's language in feedparser; xml:base the URL its links resolve against.
    return root.xpath("boolean(//@xml:lang | //@xml:base)") is True


def _categories(elements: list[etree._Element]) -> list[str]:
    seen: list[tuple[str, str | None]] = []
    for el in elements:
        term = _plain(el)
        key = (term or "", el.get("domain"))
        if term and key not in seen:
            seen.append(key)
    return [term for term, _ in seen]


def _enclosures(elements: list[etree._Element], base_url: str | None) -> list[Attachment]:
    out = []
    for el in elements:
        url = _url((el.get("url") or "").strip(), base_url)
        if url:
            out.append(Attachment(url=url, name=None, type=el.get("type") or None))
    return out
