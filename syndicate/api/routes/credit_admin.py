"""Operator's side of credit and licences: releases whose agency matched nothing, and licence overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, field_validator

from syndicate import pipeline
from syndicate.api.deps import Admin
from syndicate.api.dispatch import enqueue
from syndicate.credit.licence import KNOWN
from syndicate.store import releases as store
from syndicate.store.db import session

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class LicenceOverrideIn(BaseModel):
    licence: str
    note: str = Field(min_length=1, max_length=2000, description="why: who decided, on what grounds")
    by: str = Field(default="admin", max_length=200)

    @field_validator("licence")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KNOWN:
            raise ValueError(f"unknown licence; one of {', '.join(sorted(KNOWN))}")
        return value


class LicenceOverrideOut(BaseModel):
    id: str
    licence_override: dict[str, Any]
    rerun: list[str]


class Unmatched(BaseModel):
    release_id: str
    version: int
    status: str
    source_id: str | None
    found: str | None
    at: datetime


@router.put("/releases/{release_id}/licence", status_code=status.HTTP_202_ACCEPTED, response_model=LicenceOverrideOut)
def override_licence(release_id: str, body: LicenceOverrideIn, _: Admin) -> LicenceOverrideOut:
    """Set the licence of one release (recorded with the note); credit, the gate and publishing run again."""
    steps = pipeline.override_licence(release_id, body.licence, note=body.note, by=body.by)
    enqueue(steps)
    with session() as s:
        row = store.get(s, release_id)
        return LicenceOverrideOut(id=row.id, licence_override=row.licence_override or {}, rerun=[n.step for n in steps])


@router.post("/releases/{release_id}/recredit", status_code=status.HTTP_202_ACCEPTED, response_model=list[str])
def recredit(release_id: str, _: Admin) -> list[str]:
    """Run credit, the gate and publishing again for the current version (after a registry change)."""
    steps = pipeline.recredit(release_id)
    enqueue(steps)
    return [n.step for n in steps]


@router.get("/unmatched", response_model=list[Unmatched])
def unmatched(_: Admin, limit: int = Query(default=100, ge=1, le=1000)) -> list[Unmatched]:
    """Releases whose credit names an agency the registry does not know (kept as found, never guessed).
    A release drops off the list once credit, run again, matches it."""
    out: list[Unmatched] = []
    with session() as s:
        for row, event in store.flagged(s, "agency_unmatched", limit):
            content = store.version(s, row.id, event.version).content or {}
            if (content.get("credit") or {}).get("agency", {}).get("id") is not None:
                continue
            found = (event.detail or {}).get("found")
            if any(u.release_id == row.id for u in out):
                continue  # flagged again by a re-run: listed once
            out.append(
                Unmatched(
                    release_id=row.id,
                    version=event.version,
                    status=row.status,
                    source_id=row.source_id,
                    found=found,
                    at=event.at,
                )
            )
    return out
