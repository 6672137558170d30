"""Domain values shared by every stage.

Plain pydantic models: no SQL, no HTTP. Every input format converges on ``RawRelease``; ``normalize`` turns it
into a ``Release`` (the "normalized release JSON" of DESIGN.md, which ``syndicate extract`` prints); ``credit``
fills in ``Release.credit``; ``translate`` and ``summarize`` produce ``Translation`` and ``Summary`` values.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Value(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")


class LocalizedName(Value):
    ko: str
    en: str


# --- licences -----------------------------------------------------------------------------------------------


class Licence(Value):
    """What the rights holder allows. ``id`` is e.g. ``KOGL-1`` … ``KOGL-4``, ``CC-BY-4.0``, ``unknown``."""

    id: str = "unknown"
    derivatives: bool = False
    commercial: bool = False
    url: str | None = None
    #: where it was found: page | source | agency | override | submission | default
    origin: str = "default"
    note: str | None = None


# --- agencies, sources, glossary (the registry in feeds/) ---------------------------------------------------


class SourceKind(StrEnum):
    rss = "rss"
    atom = "atom"
    jsonfeed = "jsonfeed"
    page = "page"
    board = "board"


class Agency(Value):
    id: str
    name: LocalizedName
    aliases: list[str] = Field(default_factory=list)
    kind: str = "ministry"  # ministry | metropolitan | province | county | agency | outlet
    homepage: str | None = None
    licence: str = "KOGL-1"
    departments: list[str] = Field(default_factory=list)
    #: Names this agency shares with another ("광주시": 광주광역시 and 경기도 광주시): never matched alone, only
    #: with a context that tells them apart (credit/agency.py)
    shared_aliases: list[str] = Field(default_factory=list)


class BoardSelectors(Value):
    """CSS selectors for a press-release board (list page → detail pages)."""

    list_item: str | None = None
    list_link: str | None = None
    title: str | None = None
    body: str | None = None
    date: str | None = None
    attachments: str | None = None


class Source(Value):
    id: str
    agency: str
    url: str
    kind: SourceKind = SourceKind.rss
    language: str = "ko"
    licence: str | None = None
    #: an operator's decision: ``licence`` applies even where the pages say otherwise (with a note why)
    licence_override: bool = False
    licence_note: str | None = None
    interval_minutes: int = 30
    timezone: str = "Asia/Seoul"
    category: str | None = None
    selectors: BoardSelectors | None = None
    title: str | None = None


class GlossaryTerm(Value):
    """An official name or term whose translation must be exact."""

    source: str
    language: str = "ko"
    targets: dict[str, str]


# --- releases -----------------------------------------------------------------------------------------------


class Attachment(Value):
    url: str
    name: str | None = None
    type: str | None = None


class AgencyRef(Value):
    id: str | None = None
    name: LocalizedName | None = None
    #: the name as found in the text when it matched no registry entry (flagged for an operator)
    found: str | None = None
    department: str | None = None
    #: the agency's own site: where a credit links when the release has no original URL
    homepage: str | None = None


class Credit(Value):
    agency: AgencyRef = Field(default_factory=AgencyRef)
    line: str | None = None
    via: str | None = None
    licence: Licence = Field(default_factory=Licence)
    contact: str | None = None


class RawRelease(Value):
    """What a source gave us, before cleaning: one item of a feed, one page, or one submission."""

    source_id: str | None = None
    guid: str | None = None
    url: str | None = None
    title: str = ""
    subtitle: str | None = None
    #: HTML or plain text, as found (not yet sanitized)
    body: str = ""
    body_is_html: bool = True
    published: str | None = None  # as found; normalize parses it
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None
    author: str | None = None
    categories: list[str] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    licence_hint: str | None = None  # licence marks found on the page (text, alt, link)
    via: str | None = None
    timezone: str = "Asia/Seoul"


class Release(Value):
    """The normalized release JSON of DESIGN.md."""

    title: str
    subtitle: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    body_html: str = ""
    language: str = "ko"
    published_at: datetime | None = None
    original_url: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    credit: Credit = Field(default_factory=Credit)
    category: str | None = None
    guid: str | None = None
    #: licence marks found on the page (KOGL image alt text, licence links, notice text), for the credit stage
    licence_hint: str | None = None


class ReleaseStatus(StrEnum):
    received = "received"
    normalized = "normalized"
    credited = "credited"
    translated = "translated"
    summarized = "summarized"
    published = "published"
    embargoed = "embargoed"
    retracted = "retracted"
    failed = "failed"


class ReviewState(StrEnum):
    machine = "machine"
    approved = "approved"


class Translation(Value):
    language: str
    source_language: str
    title: str
    subtitle: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    provider: str
    model: str | None = None
    translated_at: datetime
    review: ReviewState = ReviewState.machine
    label: str = ""


class Summary(Value):
    language: str
    sentences: list[str]
    method: Literal["extractive", "abstractive", "lead", "translated"] = "extractive"


class GateDecision(Value):
    """The licence gate's answer for one action on one release."""

    action: str  # translate | summarize | deliver_commercial
    allowed: bool
    reason: str
