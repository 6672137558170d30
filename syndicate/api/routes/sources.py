"""Sources and their health: which are polled, which are failing and why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from syndicate import polling
from syndicate.errors import NotFound

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])


@router.get("")
def list_sources(status: str | None = None) -> list[dict[str, Any]]:
    """Every source (registry and imported) with its health: status (ok, failing, never, paused), last poll,
    last success, last error (kind, message, time), consecutive errors and next poll. ``?status=failing``
    lists only the failing ones."""
    rows = polling.source_health()
    return [row for row in rows if status is None or row["health"]["status"] == status]


@router.get("/{source_id}")
def read_source(source_id: str) -> dict[str, Any]:
    for row in polling.source_health():
        if row["id"] == source_id:
            return row
    raise NotFound(f"no source {source_id!r}")
