"""The admin API for partners: register (the secret is in this answer only), list, delivery log, replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from syndicate import partners as operators
from syndicate.api.deps import Admin
from syndicate.errors import InputError

router = APIRouter(prefix="/api/v1/admin/partners", tags=["admin: partners"])


Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Slug = Annotated[str, Field(pattern=r"^[\w\-]{1,100}$")]
#: partner ids are generated (pt_ + hex); anything else is not one (and never reaches the database)
PartnerId = Annotated[str, PathParam(pattern=r"^[\w\-]{1,64}$")]


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: printable text only (no control characters)
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    url: str = Field(max_length=2000, pattern=r"^https?://[^\x00-\x20\x7f]+$")
    languages: list[Language] = Field(default_factory=list, max_length=50)
    agencies: list[Slug] = Field(default_factory=list, max_length=500)
    categories: list[Slug] = Field(default_factory=list, max_length=500)
    commercial: bool = False
    ninjs_version: str = Field(default="3", pattern=r"^(3|2\.2)$")


class PartnerCreated(BaseModel):
    id: str
    #: the signing secret (Standard Webhooks, whsec_…): shown in this answer only
    secret: str


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: datetime | None = None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PartnerCreated)
def create(body: PartnerIn, _: Admin) -> PartnerCreated:
    """Register a partner endpoint. The answer carries its signing secret, which is never shown again."""
    try:
        partner_id, secret = operators.add_partner(
            name=body.name,
            url=body.url,
            languages=body.languages,
            agencies=body.agencies,
            categories=body.categories,
            commercial=body.commercial,
            ninjs_version=body.ninjs_version,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return PartnerCreated(id=partner_id, secret=secret)


@router.get("")
def list_partners(_: Admin) -> list[dict[str, Any]]:
    """Every partner (without secrets) with its message counts per status."""
    return operators.partner_summaries()


@router.get("/{partner_id}/deliveries")
def deliveries(
    partner_id: PartnerId, _: Admin, since: datetime | None = None, limit: int = Query(default=200, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """The delivery log: messages newest first, each with its attempts, status codes and latency."""
    return operators.delivery_log(partner_id, since=since, limit=limit)


@router.post("/{partner_id}/replay", status_code=status.HTTP_202_ACCEPTED)
def replay(partner_id: PartnerId, _: Admin, body: ReplayIn | None = None) -> dict[str, Any]:
    """Send a partner's messages again, dead ones included (same webhook ids)."""
    from syndicate.api.dispatch import enqueue_due

    found, count = operators.replay(partner_id, body.since if body else None)
    enqueue_due()
    return {"id": found, "replayed": count}
