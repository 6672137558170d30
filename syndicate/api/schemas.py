"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from syndicate.credit.licence import KNOWN


class ReleaseIn(BaseModel):
    """A release as a comms team submits it."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    subtitle: str | None = Field(default=None, max_length=1000)
    #: plain text (paragraphs separated by blank lines) or HTML (sanitized on arrival)
    body: str = Field(min_length=1, max_length=500_000)
    language: str = Field(default="ko", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    category: str | None = Field(default=None, pattern=r"^[\w\-]{1,100}$")
    embargo_until: datetime | None = None
    licence: str | None = None
    original_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")

    @field_validator("embargo_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("embargo_until needs a time zone offset, e.g. 2026-01-01T09:00:00+09:00")
        return value

    @field_validator("licence")
    @classmethod
    def _known_licence(cls, value: str | None) -> str | None:
        if value is not None and value not in KNOWN:
            raise ValueError(f"unknown licence; one of {', '.join(sorted(KNOWN))}")
        return value


class Accepted(BaseModel):
    id: str
    status: str
    version: int = 1


class Event(BaseModel):
    stage: str
    version: int
    at: datetime
    detail: dict[str, Any] | None = None


class SummaryOut(BaseModel):
    """A release's summary in one language (extractive, abstractive, or translated from the original's)."""

    language: str
    sentences: list[str]
    method: str
    version: int


class ReleaseOut(BaseModel):
    """The API's release object: the normalized release JSON plus its state."""

    id: str
    status: str
    version: int
    published_version: int
    agency_id: str | None
    category: str | None
    language: str
    embargo_until: datetime | None
    created_at: datetime
    published_at: datetime | None
    retracted_at: datetime | None
    error: str | None
    release: dict[str, Any] | None
    licence: dict[str, Any] | None
    gate: dict[str, Any] | None
    #: summaries of the version shown, one per language (none when the licence forbids derivatives)
    summaries: list[SummaryOut] = Field(default_factory=list)
    events: list[Event]
    #: the release in other languages: content, provider, model, time, review state; pending ones say so
    translations: list[TranslationOut] = Field(default_factory=list)


class TranslationOut(BaseModel):
    language: str
    version: int
    pending: bool
    review: str
    provider: str | None
    model: str | None
    attempts: int
    error: str | None
    content: dict[str, Any] | None


class TranslationIn(BaseModel):
    """A person's translation: one paragraph per original paragraph."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    subtitle: str | None = Field(default=None, max_length=1000)
    paragraphs: list[str] = Field(max_length=2000)


class RetractIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class Problem(BaseModel):
    error: str
    message: str
    detail: Any | None = None
