"""JSON Feed 1.1 rendering (https://jsonfeed.org/version/1.1).

Credit, licence and the machine-translation label travel in a ``_syndicate`` extension object (JSON Feed's rule
for extensions: a key starting with an underscore), besides the visible credit line in ``content_html`` and the
agency in ``authors``. A bilingual item carries its original under ``_syndicate.original``.
"""

from __future__ import annotations

import json
from typing import Any

from syndicate.publish.content import creator, item_html, item_summary, source_url
from syndicate.publish.items import FeedItem, FeedMeta, credit_text, licence_name, usage_terms

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def render_jsonfeed(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": meta.language.split("+")[-1],
        "authors": [{"name": "syndicate"}],
        "items": [_item(item) for item in items],
    }
    if meta.hub:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    # No indent: with one, json falls back from its C encoder to pure Python, 10× slower on a 50-item feed.
    return json.dumps(feed, ensure_ascii=False).encode("utf-8")


def _item(item: FeedItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.guid,
        "url": item.link,
        "title": item.title,
        "content_html": item_html(item),
        "date_published": item.published_at.isoformat(timespec="seconds"),
        "date_modified": item.updated_at.isoformat(timespec="seconds"),
        "language": item.language,
        "authors": [_author(item)],
        "_syndicate": _extension(item),
    }
    summary = item_summary(item)
    if summary:
        out["summary"] = summary
    if item.original_url:
        out["external_url"] = item.original_url
    if item.categories:
        out["tags"] = list(item.categories)
    if item.attachments:
        out["attachments"] = [
            {"url": a.url, "mime_type": a.type or "application/octet-stream", **({"title": a.name} if a.name else {})}
            for a in item.attachments
        ]
    return out


def _author(item: FeedItem) -> dict[str, str]:
    author = {"name": creator(item.credit)}
    url = source_url(item)
    if url:
        author["url"] = url
    return author


def _extension(item: FeedItem) -> dict[str, Any]:
    credit = item.credit
    ext: dict[str, Any] = {
        "credit": credit_text(credit, item.original_url, item.language),
        "agency": credit.agency.model_dump(mode="json", exclude_none=True),
        "via": credit.via,
        "licence": {
            "id": credit.licence.id,
            "name": licence_name(credit.licence, item.language),
            "url": credit.licence.url,
            "usage_terms": usage_terms(credit.licence, item.language),
        },
        "machine_translation_label": item.label,
        "alternates": dict(item.alternates),
        "about": "syndicate: the credit (agency, outlet, licence) and machine-translation label of this item",
    }
    if item.original is not None:
        original = item.original
        ext["original"] = {
            "language": original.language,
            "url": original.link,
            "title": original.title,
            "summary": original.summary,
            "content_html": original.content_html,
        }
        ext["alternates"].setdefault(original.language, original.link)
    return ext
