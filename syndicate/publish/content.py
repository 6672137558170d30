"""What every feed format shows for one item: the published body (label, content, credit) and who to credit.

Shared by the RSS, Atom and JSON Feed renderers so the three formats never disagree. A bilingual item (a
translation with ``original`` set) shows the translation first and the original below it, each in an element
that carries its language, so readers and screen readers pick the right fonts and voices.
"""

from __future__ import annotations

from html import escape

from syndicate.model import Credit
from syndicate.publish.items import FeedItem, credit_html, licence_name


def creator(credit: Credit) -> str:
    """The issuing agency's name as an author field shows it (English name, else what was found)."""
    agency = credit.agency
    if agency.name is not None:
        return agency.name.en
    return agency.found or "unknown agency"


def source_name(credit: Credit) -> str:
    """The agency's own (Korean) name, for <source>: where the text really comes from."""
    agency = credit.agency
    return agency.name.ko if agency.name is not None else creator(credit)


def source_url(item: FeedItem) -> str | None:
    """Where the credit links: the original, else the agency's own site."""
    return item.original_url or item.credit.agency.homepage


def rights(credit: Credit, language: str = "en") -> str:
    """The licence as readers know it, with its URL: "KOGL Type 1 (attribution) https://…"."""
    name = licence_name(credit.licence, language)
    return f"{name} {credit.licence.url}" if credit.licence.url else name


def _single(item: FeedItem) -> str:
    parts = []
    if item.label:
        parts.append(f'<p class="mt-label"><em>{escape(item.label)}</em></p>')
    parts.append(item.content_html)
    return "".join(parts)


def item_html(item: FeedItem) -> str:
    """The item's body as published: label (if machine-translated), content, the original beside a translation
    (bilingual feeds), then the visible credit line."""
    credit = credit_html(item.credit, item.original_url, item.language)
    if item.original is None:
        return f"{_single(item)}{credit}"
    original = item.original
    return (
        f'<div lang="{escape(item.language)}" class="translation">{_single(item)}</div>'
        f'<hr/><div lang="{escape(original.language)}" class="original">'
        f"<h2>{escape(original.title)}</h2>{_single(original)}</div>"
        f"{credit}"
    )


def item_summary(item: FeedItem) -> str:
    """Plain-text summary; a bilingual item gives both, translation first."""
    own = item.summary or ""
    if item.original is None or not item.original.summary:
        return own
    return f"{own}\n\n{item.original.summary}".strip()
