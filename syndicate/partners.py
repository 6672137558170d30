"""Partners as operators manage them: registering one (its secret shown once), listing, the delivery log, replay.

Nothing here returns a partner's signing secret except ``add_partner``, to the operator who created it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from syndicate.config import get_settings
from syndicate.errors import InputError
from syndicate.netguard import check_url
from syndicate.publish import ninjs, webhooks
from syndicate.store import deliveries as store
from syndicate.store import partners as partner_store
from syndicate.store.db import session
from syndicate.store.tables import PartnerRow

log = logging.getLogger(__name__)


def add_partner(
    *,
    name: str,
    url: str,
    languages: list[str] | None = None,
    agencies: list[str] | None = None,
    categories: list[str] | None = None,
    commercial: bool = False,
    ninjs_version: str = "3",
) -> tuple[str, str]:
    """Register a partner; returns (id, signing secret). The secret is shown to the caller this once only."""
    if not name.strip():
        raise ValueError("a partner needs a name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name + url):
        raise ValueError("the name and URL must not contain control characters")
    if ninjs_version not in ninjs.SCHEMAS:
        raise ValueError(f"ninjs version must be one of {', '.join(ninjs.SCHEMAS)}")
    check_url(url, get_settings())  # BlockedURL for private addresses, non-http schemes
    secret = webhooks.new_secret()
    with session() as s:
        row = partner_store.create(
            s,
            name=name.strip(),
            url=url,
            secret=secret,
            languages=languages,
            agencies=agencies,
            categories=categories,
            commercial=commercial,
            ninjs_version=ninjs_version,
        )
        log.info("partner added", extra={"partner_id": row.id})
        return row.id, secret


def parse_since(value: str | None) -> datetime | None:
    """An ISO 8601 time from an operator (naive means UTC); InputError if it is not one."""
    if not value:
        return None
    try:
        return aware(datetime.fromisoformat(value.strip()))
    except ValueError as exc:
        raise InputError(f"not an ISO 8601 time: {value!r}") from exc


def aware(when: datetime) -> datetime:
    """Operators' times without an offset are UTC (the database only takes aware times)."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def partner_summaries() -> list[dict[str, Any]]:
    """Every partner without its secret, with its message counts per status."""
    with session() as s:
        counts = store.counts_by_partner(s)
        return [public_partner(p) | {"counts": counts.get(p.id, {})} for p in partner_store.all_partners(s)]


def public_partner(p: PartnerRow) -> dict[str, Any]:
    """What may be shown about a partner: everything but the secret."""
    return {
        "id": p.id,
        "name": p.name,
        "url": p.url,
        "languages": list(p.languages),
        "agencies": list(p.agencies),
        "categories": list(p.categories),
        "commercial": p.commercial,
        "ninjs_version": p.ninjs_version,
        "active": p.active,
        "created_at": p.created_at,
    }


def delivery_log(partner_id: str, *, since: datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """A partner's messages, newest first, each with its attempts (status code, error, latency)."""
    with session() as s:
        partner_store.get(s, partner_id)
        rows = store.for_partner(s, partner_id, since=aware(since) if since else None, limit=limit)
        attempts: dict[int, list[dict[str, Any]]] = {}
        for a in store.attempts(s, [r.id for r in rows]):
            attempts.setdefault(a.delivery_id, []).append(
                {
                    "attempt": a.attempt,
                    "at": a.at,
                    "status_code": a.status_code,
                    "error": a.error,
                    "latency_ms": a.latency_ms,
                }
            )
        return [
            {
                "id": r.id,
                "release_id": r.release_id,
                "version": r.version,
                "type": r.type,
                "webhook_id": r.webhook_id,
                "status": r.status,
                "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at,
                "last_status_code": r.last_status_code,
                "last_error": r.last_error,
                "last_latency_ms": r.last_latency_ms,
                "created_at": r.created_at,
                "delivered_at": r.delivered_at,
                "log": attempts.get(r.id, []),
            }
            for r in rows
        ]


def replay(partner_id_or_name: str, since: datetime | None = None) -> tuple[str, int]:
    """Make a partner's messages (dead ones included) due again; returns (partner id, count)."""
    with session() as s:
        partner = partner_store.find(s, partner_id_or_name)
        partner.active = True  # an operator's replay re-enables a partner that had answered 410 Gone
        count = store.replay(s, partner.id, since=aware(since) if since else None)
        log.info("replay", extra={"partner_id": partner.id, "count": count})
        return partner.id, count
