"""Normalize: RawRelease → Release. Clean text, sanitized HTML, parsed dates."""

from __future__ import annotations

from urllib.parse import urlsplit

from syndicate.model import Credit, RawRelease, Release
from syndicate.normalize.dates import parse_date
from syndicate.normalize.sanitize import sanitize_html
from syndicate.normalize.text import (
    clean_line,
    html_from_paragraphs,
    looks_like_html,
    paragraphs_from_html,
    paragraphs_from_text,
)

__all__ = ["normalize"]

#: No real press-release title comes near this; a longer one is hostile or broken input, cut with a mark.
MAX_TITLE = 1000


def plain_title(text: str) -> str:
    """A title is text: markup in it is reduced to its text, and an absurd length is cut (marked with …)."""
    if "<" in text or "&" in text:
        lines = paragraphs_from_html(sanitize_html(text))
        text = " ".join(lines)
    text = clean_line(text)
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"


def http_url(url: str | None) -> str | None:
    """Only http(s) URLs (or relative ones, when the page gave no base) leave normalize: a javascript:, data:
    or file: link from a source is dropped."""
    if not url:
        return None
    url = "".join(ch for ch in url.strip() if ch >= " ")  # "java\tscript:" is still javascript:
    return url if urlsplit(url).scheme.lower() in ("", "http", "https") else None


def normalize(raw: RawRelease) -> Release:
    if raw.body_is_html and looks_like_html(raw.body):
        body_html = sanitize_html(raw.body, raw.url)
        paragraphs = paragraphs_from_html(body_html)
    else:
        paragraphs = paragraphs_from_text(raw.body)
        body_html = html_from_paragraphs(paragraphs)
    published = raw.published_at or parse_date(raw.published, raw.timezone)
    return Release(
        title=plain_title(raw.title),
        subtitle=plain_title(raw.subtitle) if raw.subtitle else None,
        paragraphs=paragraphs,
        body_html=body_html,
        language=raw.language or "ko",
        published_at=published,
        original_url=http_url(raw.url),
        attachments=[a for a in raw.attachments if http_url(a.url)],
        category=raw.categories[0] if raw.categories else None,
        guid=raw.guid,
        licence_hint=raw.licence_hint,
        credit=Credit(via=raw.via),
    )
