"""IPTC ninjs (News in JSON) for partner pushes: 3.x by default (camelCase keys), 2.2 on request (lowercase).

Built from the same FeedItem the feeds show, so a partner gets exactly the text, credit and label a reader
sees. The credit maps to ``by`` (the issuing agency), ``copyrightHolder``, ``copyrightNotice`` (the visible
credit line) and ``usageTerms`` (the licence); the agency's own page is an ``infoSource``. Other languages of
the same release travel as ``associations`` with rel ``translation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import lxml.html

from syndicate.publish.content import creator, source_url
from syndicate.publish.items import FeedItem, credit_text, usage_terms

SCHEMAS = {
    "3": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#",
    "2.2": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json#",
}
STANDARD_VERSION = {"3": "3.1", "2.2": "2.2"}
#: pubStatus per state: a retraction is a cancellation in IPTC terms.
PUB_STATUS = {"published": "usable", "updated": "usable", "retracted": "canceled"}


def to_ninjs(
    item: FeedItem,
    *,
    version: int,
    status: str = "published",
    embargoed_until: datetime | None = None,
    translations: list[FeedItem] | None = None,
    ninjs_version: str = "3",
) -> dict[str, Any]:
    """One release (in one language) as a ninjs document of the requested version ("3" or "2.2")."""
    if ninjs_version not in SCHEMAS:
        raise ValueError(f"unknown ninjs version {ninjs_version!r}")
    doc = _ninjs3(item, version=version, status=status, embargoed_until=embargoed_until)
    doc["standard"] = {"name": "ninjs", "version": STANDARD_VERSION[ninjs_version], "schema": SCHEMAS[ninjs_version]}
    associations = [_attachment(att.url, att.name, att.type) for att in item.attachments]
    for other in translations or []:
        assoc = _ninjs3(other, version=version, status=status, embargoed_until=embargoed_until)
        assoc.update(name=other.language, rel="translation")
        associations.append(assoc)
    if associations:
        doc["associations"] = associations
    return doc if ninjs_version == "3" else to_v22(doc)


def _ninjs3(item: FeedItem, *, version: int, status: str, embargoed_until: datetime | None) -> dict[str, Any]:
    credit = item.credit
    doc: dict[str, Any] = {
        "uri": item.guid,
        "type": "text",
        "version": str(version),
        "firstCreated": _date(item.published_at),
        "versionCreated": _date(item.updated_at),
        "pubStatus": PUB_STATUS.get(status, "usable"),
        "language": item.language,
        "headlines": [{"role": "main", "value": item.title}],
        "bodies": _bodies(item),
        "by": creator(credit),
        "copyrightHolder": _holder(item),
        "copyrightNotice": credit_text(credit, item.original_url, item.language),
        "usageTerms": _usage_terms(item),
        "altIds": [{"role": "release-url", "value": item.link}],
    }
    if embargoed_until is not None:
        doc["embargoedUntil"] = _date(embargoed_until)
    if item.summary:
        doc["descriptions"] = [{"role": "summary", "contentType": "text/plain", "value": item.summary}]
    if item.label:
        doc["edNote"] = item.label
    if item.categories:
        doc["subjects"] = [{"name": c, "rel": "category", "literal": c} for c in item.categories]
    source: dict[str, Any] = {"name": _holder(item), "role": "originator"}
    if source_url(item):
        source["uri"] = source_url(item)
    doc["infoSources"] = [source]
    if credit.via:
        doc["infoSources"].append({"name": credit.via, "role": "distributor"})
    if credit.licence.url:
        doc["rightsInfo"] = {"linkedRights": credit.licence.url}
    return doc


def _bodies(item: FeedItem) -> list[dict[str, Any]]:
    text = _plain(item.content_html)
    return [
        {
            "role": "main",
            "contentType": "text/plain",
            "charCount": len(text),
            "wordCount": len(text.split()),
            "value": text,
        },
        {"role": "richtext", "contentType": "text/html", "value": item.content_html},
    ]


def _plain(html: str) -> str:
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    blocks = [el.text_content().strip() for el in root.iter("p", "li", "h1", "h2", "h3", "h4", "blockquote")]
    blocks = [b for b in blocks if b]
    return "\n\n".join(blocks) if blocks else root.text_content().strip()


def _holder(item: FeedItem) -> str:
    agency = item.credit.agency
    if agency.name is not None:
        return f"{agency.name.en} ({agency.name.ko})"
    return creator(item.credit)


def _usage_terms(item: FeedItem) -> str:
    terms = usage_terms(item.credit.licence, item.language)
    if item.credit.licence.url:
        terms += f" {item.credit.licence.url}"
    return f"{terms} {item.label}" if item.label else terms


def _attachment(url: str, name: str | None, media_type: str | None) -> dict[str, Any]:
    rendition: dict[str, Any] = {"name": "original", "href": url}
    if media_type:
        rendition["contentType"] = media_type
    return {
        "name": name or url.rsplit("/", 1)[-1] or "attachment",
        "uri": url,
        "rel": "attachment",
        "type": "component",
        "renditions": [rendition],
    }


def _date(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# --- ninjs 2.2 --------------------------------------------------------------------------------------------------

_RENAMES_22 = {"embargoedUntil": "embargoed"}


def to_v22(doc: dict[str, Any]) -> dict[str, Any]:
    """ninjs 3.x → 2.2: lowercase property names, ``embargoed``, and no ``rel`` on associations."""

    def convert(value: Any, in_association: bool = False) -> Any:
        if isinstance(value, list):
            return [convert(v, in_association) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, inner in value.items():
            if in_association and key == "rel":
                continue
            new = _RENAMES_22.get(key, key.lower())
            out[new] = convert(inner, key == "associations")
        return out

    result: dict[str, Any] = convert(doc)
    return result
