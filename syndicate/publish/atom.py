"""Atom 1.0 (RFC 4287) rendering: rel=self and rel=hub links, author and rights for the credit, source for the
agency's original, enclosures for attachments, xml:lang and hreflang alternates for bilingual items."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from syndicate.publish.content import creator, item_html, item_summary, rights, source_name, source_url
from syndicate.publish.fragments import Fragment, direct, strip_declarations
from syndicate.publish.items import FeedItem, FeedMeta

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml"
_DECLARATIONS = b' xmlns="%s"' % ATOM.encode()


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ATOM}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _date(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def render_atom(meta: FeedMeta, items: list[FeedItem], fragment: Fragment = direct) -> bytes:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    feed.set(XML_LANG, meta.language.split("+")[-1])
    # The self URL is stable per scope and format, so it serves as the feed's permanent id.
    _sub(feed, "id", meta.self_url)
    _sub(feed, "title", meta.title)
    _sub(feed, "subtitle", meta.description)
    _sub(feed, "updated", _date(meta.updated_at))
    _sub(feed, "link", href=meta.self_url, rel="self", type=MEDIA_TYPE)
    _sub(feed, "link", href=meta.home_url, rel="alternate", type="text/html")
    if meta.hub:
        _sub(feed, "link", href=meta.hub, rel="hub")
    # A feed-level author keeps the feed valid even for an entry whose agency is unknown.
    author = _sub(feed, "author")
    _sub(author, "name", "syndicate")
    _sub(feed, "generator", "syndicate")
    document = etree.tostring(feed, xml_declaration=True, encoding="utf-8")
    cut = document.rindex(b"</feed>")
    return document[:cut] + b"".join(fragment("atom", item, entry_bytes) for item in items) + document[cut:]


def entry_bytes(item: FeedItem) -> bytes:
    """One <entry>, serialized as it reads inside the document."""
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _entry(feed, item)
    return strip_declarations(etree.tostring(feed[0], encoding="utf-8"), b"entry", _DECLARATIONS)


def _entry(feed: etree._Element, item: FeedItem) -> None:
    entry = _sub(feed, "entry")
    entry.set(XML_LANG, item.language)
    _sub(entry, "id", item.guid)
    _sub(entry, "title", item.title, type="text")
    _sub(entry, "updated", _date(item.updated_at))
    _sub(entry, "published", _date(item.published_at))
    # The item's own link goes last: readers (feedparser, newsboat) take the last alternate as the item's link.
    for lang, url in _alternates(item).items():
        _sub(entry, "link", href=url, rel="alternate", type="text/html", hreflang=lang)
    _sub(entry, "link", href=item.link, rel="alternate", type="text/html", hreflang=item.language)
    author = _sub(entry, "author")
    _sub(author, "name", creator(item.credit))
    _sub(entry, "rights", rights(item.credit, item.language), type="text")
    for category in item.categories:
        _sub(entry, "category", term=category)
    for att in item.attachments:
        _sub(entry, "link", href=att.url, rel="enclosure", type=att.type or "application/octet-stream", title=att.name)
    origin = source_url(item)
    if origin:
        source = _sub(entry, "source")
        _sub(source, "id", origin)
        _sub(source, "title", source_name(item.credit))
        _sub(source, "link", href=origin, rel="alternate")
    summary = item_summary(item)
    if summary:
        _sub(entry, "summary", summary, type="text")
    _sub(entry, "content", item_html(item), type="html")


def _alternates(item: FeedItem) -> dict[str, str]:
    """The same release in other languages (for a bilingual item: at least the original's own item)."""
    # Atom allows one alternate per (type, hreflang): the item's own language is its own link.
    out = {lang: url for lang, url in item.alternates.items() if url != item.link and lang != item.language}
    if item.original is not None and item.original.link != item.link:
        out.setdefault(item.original.language, item.original.link)
    return out
