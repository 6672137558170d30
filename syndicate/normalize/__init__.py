"""Normalize: RawRelease → Release. Clean text, sanitized HTML, parsed dates."""

from __future__ import annotations

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


def normalize(raw: RawRelease) -> Release:
    if raw.body_is_html and looks_like_html(raw.body):
        body_html = sanitize_html(raw.body, raw.url)
        paragraphs = paragraphs_from_html(body_html)
    else:
        paragraphs = paragraphs_from_text(raw.body)
        body_html = html_from_paragraphs(paragraphs)
    published = raw.published_at or parse_date(raw.published, raw.timezone)
    return Release(
        title=clean_line(raw.title),
        subtitle=clean_line(raw.subtitle) if raw.subtitle else None,
        paragraphs=paragraphs,
        body_html=body_html,
        language=raw.language or "ko",
        published_at=published,
        original_url=raw.url,
        attachments=raw.attachments,
        category=raw.categories[0] if raw.categories else None,
        guid=raw.guid,
        licence_hint=raw.licence_hint,
        credit=Credit(via=raw.via),
    )
