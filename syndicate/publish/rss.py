"""RSS 2.0 rendering (with dc:creator, atom:link self/hub, source and enclosures for credit and attachments)."""

from __future__ import annotations

from email.utils import format_datetime

from lxml import etree

from syndicate.publish.content import item_html, item_summary
from syndicate.publish.fragments import Fragment, direct, strip_declarations
from syndicate.publish.items import FeedItem, FeedMeta, licence_name

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
NSMAP = {"atom": ATOM, "dc": DC, "content": CONTENT}
_DECLARATIONS = b"".join(b' xmlns:%s="%s"' % (prefix.encode(), uri.encode()) for prefix, uri in NSMAP.items())


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def render_rss(meta: FeedMeta, items: list[FeedItem], fragment: Fragment = direct) -> bytes:
    rss = etree.Element("rss", version="2.0", nsmap=NSMAP)
    channel = _sub(rss, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.home_url)
    _sub(channel, "description", meta.description)
    _sub(channel, "language", meta.language.split("+")[-1])
    _sub(channel, "lastBuildDate", format_datetime(meta.updated_at))
    _sub(channel, "generator", "syndicate")
    _sub(channel, f"{{{ATOM}}}link", href=meta.self_url, rel="self", type="application/rss+xml")
    if meta.hub:
        _sub(channel, f"{{{ATOM}}}link", href=meta.hub, rel="hub")
    document = etree.tostring(rss, xml_declaration=True, encoding="utf-8")
    cut = document.rindex(b"</channel>")
    return document[:cut] + b"".join(fragment("rss", item, item_bytes) for item in items) + document[cut:]


def item_bytes(item: FeedItem) -> bytes:
    """One <item>, serialized as it reads inside the document."""
    channel = etree.SubElement(etree.Element("rss", nsmap=NSMAP), "channel")
    _item(channel, item)
    return strip_declarations(etree.tostring(channel[0], encoding="utf-8"), b"item", _DECLARATIONS)


def _item(channel: etree._Element, item: FeedItem) -> None:
    el = _sub(channel, "item")
    el.set(XML_LANG, item.language)
    _sub(el, "title", item.title)
    _sub(el, "link", item.link)
    _sub(el, "guid", item.guid, isPermaLink="true" if item.guid == item.link else "false")
    _sub(el, "pubDate", format_datetime(item.published_at))
    credit = item.credit
    creator = credit.agency.name.en if credit.agency.name else (credit.agency.found or "unknown")
    _sub(el, f"{{{DC}}}creator", creator)
    rights = licence_name(credit.licence, item.language)
    _sub(el, f"{{{DC}}}rights", f"{rights} {credit.licence.url}" if credit.licence.url else rights)
    original = item.original_url or credit.agency.homepage
    if original:
        source_name = credit.agency.name.ko if credit.agency.name else creator
        _sub(el, "source", source_name, url=original)
    for category in item.categories:
        _sub(el, "category", category)
    for att in item.attachments:
        # RSS requires length; 0 is the accepted value when it is unknown.
        _sub(el, "enclosure", url=att.url, type=att.type or "application/octet-stream", length="0")
    for lang, url in _alternates(item).items():
        _sub(el, f"{{{ATOM}}}link", rel="alternate", hreflang=lang, href=url, type="text/html")
    _sub(el, "description", item_summary(item))
    _sub(el, f"{{{CONTENT}}}encoded", body_with_credit(item))


def _alternates(item: FeedItem) -> dict[str, str]:
    out = dict(item.alternates)
    if item.original is not None:
        out.setdefault(item.original.language, item.original.link)
    return out


def body_with_credit(item: FeedItem) -> str:
    """The item's body as published: label (if machine-translated), content, then the visible credit."""
    return item_html(item)
