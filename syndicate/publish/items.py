"""What a feed is made of, independent of its format: FeedMeta for the channel, FeedItem per release."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from syndicate.model import Attachment, Credit


class FeedItem(BaseModel):
    guid: str
    link: str
    title: str
    summary: str | None = None
    content_html: str = ""
    language: str
    published_at: datetime
    updated_at: datetime
    credit: Credit
    #: where the agency published it (the credit links here)
    original_url: str | None = None
    categories: list[str] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    #: "Machine translation from Korean; original: URL", or None for originals and reviewed translations
    label: str | None = None
    #: language → URL of the same release in other languages (hreflang alternates)
    alternates: dict[str, str] = Field(default_factory=dict)
    #: for bilingual feeds: the original beside the translation
    original: FeedItem | None = None


class FeedMeta(BaseModel):
    scope: str
    title: str
    description: str
    language: str
    self_url: str
    home_url: str
    updated_at: datetime
    hub: str | None = None


def credit_text(credit: Credit, original_url: str | None = None) -> str:
    """The visible credit line: "Source: Incheon Metropolitan City (인천광역시) · KOGL-1 · URL"."""
    agency = credit.agency
    if agency.name is not None:
        who = f"{agency.name.en} ({agency.name.ko})"
    else:
        who = agency.found or "unknown agency"
    parts = [f"Source: {who}"]
    if credit.via:
        parts.append(f"via {credit.via}")
    parts.append(f"Licence: {credit.licence.id}")
    if original_url:
        parts.append(original_url)
    return " · ".join(parts)
