"""Sources and their health: which are polled, which are failing and why."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from syndicate import polling
from syndicate.errors import NotFound

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])


class SourceError(BaseModel):
    kind: str
    message: str | None
    at: datetime | None


class SourceHealth(BaseModel):
    status: Literal["ok", "failing", "never", "paused"]
    last_poll_at: datetime | None
    last_success_at: datetime | None
    #: the last error, kept after recovery (``status`` says whether the source is failing now)
    last_error: SourceError | None
    consecutive_errors: int
    next_poll_at: datetime | None
    interval_seconds: int | None
    items_seen: int


class SourceOut(BaseModel):
    id: str
    agency: str
    title: str | None
    url: str
    kind: str
    language: str
    interval_minutes: int
    health: SourceHealth


@router.get("", response_model=list[SourceOut])
def list_sources(status: Literal["ok", "failing", "never", "paused"] | None = None) -> list[SourceOut]:
    """Every source (registry and imported) with its health: status, last poll, last success, last error (kind,
    message, time), consecutive errors and next poll. ``?status=failing`` lists only the failing ones."""
    rows = [SourceOut.model_validate(row) for row in polling.source_health()]
    return [row for row in rows if status is None or row.health.status == status]


@router.get("/{source_id}", response_model=SourceOut)
def read_source(source_id: str) -> SourceOut:
    """One source with its health."""
    for row in polling.source_health():
        if row["id"] == source_id:
            return SourceOut.model_validate(row)
    raise NotFound(f"no source {source_id!r}")
