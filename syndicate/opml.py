"""OPML 2.0, the way feed readers move source lists around: read outlines into sources, write sources out.

Outlines carry our fields as extra attributes (``agency``, ``kind``, ``language``, ``interval``), which other
readers ignore; a plain OPML from elsewhere needs the agency given (or matched from the outline's title).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from syndicate.errors import InputError, UnsafeInput
from syndicate.model import Source, SourceKind

_KINDS = {
    "rss": SourceKind.rss,
    "atom": SourceKind.atom,
    "jsonfeed": SourceKind.jsonfeed,
    "json": SourceKind.jsonfeed,
    "page": SourceKind.page,
    "board": SourceKind.board,
}


@dataclass
class Imported:
    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why each unusable outline was left out


def read_opml(
    data: bytes, *, agency: str | None = None, match_agency: Callable[[str], str | None] = lambda _name: None
) -> Imported:
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise UnsafeInput("the OPML declares entities or a DTD; refused") from exc
    except SafeET.ParseError as exc:
        raise InputError(f"not an OPML document: {exc}") from exc
    if root.tag != "opml":
        raise InputError("not an OPML document (no <opml> root)")
    out = Imported()
    taken: set[str] = set()
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or (outline.get("url") if outline.get("kind") in ("page", "board") else None)
        if not url:
            continue
        title = outline.get("title") or outline.get("text") or url
        owner = outline.get("agency") or agency or match_agency(title)
        if not owner:
            out.skipped.append(f"{url}: no agency (give --agency or an agency attribute)")
            continue
        out.sources.append(
            Source(
                id=_unique(outline.get("id") or _slug(title, url), taken),
                agency=owner,
                url=url,
                kind=_KINDS.get((outline.get("kind") or outline.get("type") or "rss").lower(), SourceKind.rss),
                language=(outline.get("language") or "ko").split("-")[0].lower(),
                title=title,
                interval_minutes=int(outline.get("interval") or 30),
                category=outline.get("category") or None,
            )
        )
    return out


def write_opml(sources: Iterable[Source], title: str = "syndicate sources") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for source in sources:
        feed = source.kind in (SourceKind.rss, SourceKind.atom, SourceKind.jsonfeed)
        attrs = {
            "text": source.title or source.id,
            "title": source.title or source.id,
            "type": source.kind.value if feed else "link",
            ("xmlUrl" if feed else "url"): source.url,
            "id": source.id,
            "agency": source.agency,
            "kind": source.kind.value,
            "language": source.language,
            "interval": str(source.interval_minutes),
        }
        if source.category:
            attrs["category"] = source.category
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode()


def _slug(title: str, url: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(text) < 3:
        text = re.sub(r"[^a-z0-9]+", "-", re.sub(r"^https?://(www\.)?", "", url.lower())).strip("-")
    return text[:80] or "source"


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate
