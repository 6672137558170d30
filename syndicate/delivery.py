"""Partner pushes: which partners get a release, building the signed message, sending it, retrying, replaying.

The pipeline calls ``plan_release`` / ``plan_retraction`` inside the transaction that publishes or retracts, so a
message exists exactly when the change commits (at least once, never lost). Each message is then sent by its
own task (``send``) with a short timeout, so one slow or dead partner never holds up another; a failure
schedules the next attempt from ``settings.delivery_schedule`` with jitter, and the beat sweep (``due_ids``)
re-enqueues whatever has fallen due. After the schedule the message is dead until an operator replays it.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from syndicate import syndication
from syndicate.config import Settings, get_settings
from syndicate.credit import gate
from syndicate.errors import BlockedURL, InputError, SyndicateError
from syndicate.model import Licence
from syndicate.netguard import check_url, guarded_client
from syndicate.publish import ninjs, webhooks
from syndicate.store import deliveries as store
from syndicate.store import partners as partner_store
from syndicate.store import releases as release_store
from syndicate.store.db import session
from syndicate.store.tables import DeliveryRow, PartnerRow, ReleaseRow, ReleaseVersionRow, utcnow

log = logging.getLogger(__name__)

PUBLISHED, UPDATED, RETRACTED = webhooks.EVENT_TYPES


# --- partners -----------------------------------------------------------------------------------------------------


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


def matches(partner: PartnerRow, row: ReleaseRow, languages: list[str]) -> bool:
    """Do the partner's filters (empty = everything) select this release?"""
    if partner.languages and not set(partner.languages) & set(languages):
        return False
    if partner.agencies and row.agency_id not in partner.agencies:
        return False
    return not (partner.categories and row.category not in partner.categories)


# --- planning (inside the pipeline's transaction) -------------------------------------------------------------


def plan_release(s: Session, row: ReleaseRow, version: int, licence: Licence) -> int:
    """Create a published/updated message for every matching partner; returns how many are pending.

    A commercial partner never gets a release whose licence forbids commercial use: the refusal is recorded
    as a ``refused`` delivery with the gate's reason, visible in the partner's log.
    """
    languages = syndication.languages_of(row)
    pending = 0
    for partner in partner_store.active(s):
        if not matches(partner, row, languages):
            continue
        event = UPDATED if _has_had(s, partner.id, row.id) else PUBLISHED
        msg_id = webhooks.webhook_id(partner.id, row.id, version, event)
        if partner.commercial:
            decision = gate(licence, "deliver_commercial")
            if not decision.allowed:
                store.add(
                    s,
                    partner_id=partner.id,
                    release_id=row.id,
                    version=version,
                    type=event,
                    webhook_id=msg_id,
                    status=store.REFUSED,
                    note=decision.reason,
                )
                continue
        if store.add(s, partner_id=partner.id, release_id=row.id, version=version, type=event, webhook_id=msg_id):
            pending += 1
    return pending


def plan_retraction(s: Session, row: ReleaseRow) -> int:
    """A retraction message to every partner that got (or is still to get) the release."""
    told = {d.partner_id for d in store.of_release(s, row.id) if d.status != store.REFUSED}
    pending = 0
    for partner_id in sorted(told):
        msg_id = webhooks.webhook_id(partner_id, row.id, row.version, RETRACTED)
        if store.add(
            s, partner_id=partner_id, release_id=row.id, version=row.version, type=RETRACTED, webhook_id=msg_id
        ):
            pending += 1
    return pending


def _has_had(s: Session, partner_id: str, release_id: str) -> bool:
    return any(
        d.partner_id == partner_id and d.status != store.REFUSED and d.type != RETRACTED
        for d in store.of_release(s, release_id)
    )


# --- sending -------------------------------------------------------------------------------------------------------


def due_ids(release_id: str | None = None) -> list[int]:
    with session() as s:
        return list(store.due(s, utcnow(), release_id=release_id))


def lease(settings: Settings) -> timedelta:
    """How long a claimed message is left alone: longer than any attempt can take (connect + read + write)."""
    return timedelta(seconds=4 * settings.delivery_timeout + 30)


def send(delivery_id: int) -> str | None:
    """One attempt at one message; returns its new status (None if it was not ours to send)."""
    settings = get_settings()
    with session() as s:
        row = store.claim(s, delivery_id, utcnow(), lease(settings))
        if row is None:
            return None
        partner = partner_store.get(s, row.partner_id)
        body = _body(s, row, partner)
        url, secret, attempt = partner.url, partner.secret, row.attempts
    status_code, error, latency_ms = _post(settings, url, secret, row.webhook_id, body)
    delivered = status_code is not None and 200 <= status_code < 300
    retry_at = None if delivered else next_attempt(settings.delivery_schedule, attempt, utcnow())
    with session() as s:
        fresh = s.get(DeliveryRow, delivery_id)
        assert fresh is not None
        store.record_attempt(
            s,
            fresh,
            status_code=status_code,
            error=error,
            latency_ms=latency_ms,
            delivered=delivered,
            retry_at=retry_at,
        )
        status = fresh.status
    extra = {
        "partner_id": row.partner_id,
        "release_id": row.release_id,
        "delivery_id": delivery_id,
        "attempt": attempt,
        "status_code": status_code,
        "latency_ms": latency_ms,
    }
    if delivered:
        log.info("delivered", extra=extra)
    else:
        log.warning("delivery failed (%s), now %s", error or status_code, status, extra=extra)
    return status


def next_attempt(schedule: list[int], attempt: int, now: datetime) -> datetime | None:
    """When to try again after failed attempt number ``attempt`` (1-based); None once the schedule is spent.
    Jitter (±20%) keeps retries to one partner from arriving in lockstep after an outage."""
    if attempt > len(schedule):
        return None
    delay = schedule[attempt - 1] * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    return now + timedelta(seconds=delay)


def _post(settings: Settings, url: str, secret: str, msg_id: str, body: bytes) -> tuple[int | None, str | None, int]:
    headers = webhooks.signed_headers(secret, msg_id, body, utcnow())
    timeout = httpx.Timeout(settings.delivery_timeout, connect=min(settings.delivery_timeout, 10.0))
    started = time.monotonic()
    try:
        with guarded_client(settings, timeout=timeout, follow_redirects=False) as client:
            answer = client.post(url, content=body, headers=headers)
    except BlockedURL as exc:
        return None, f"blocked: {exc}", _ms(started)
    except httpx.TimeoutException as exc:
        return None, f"timeout: {type(exc).__name__}", _ms(started)
    except (httpx.HTTPError, SyndicateError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500], _ms(started)
    error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    return answer.status_code, error, _ms(started)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _body(s: Session, row: DeliveryRow, partner: PartnerRow) -> bytes:
    """The message as JSON bytes: the same bytes on every attempt (only the signature headers change)."""
    release = release_store.get(s, row.release_id)
    shown = release.published_version if row.type == RETRACTED else row.version
    ver = release_store.version(s, release.id, shown or row.version)
    data = release_ninjs(release, ver, partner, status=row.type.removeprefix("release."))
    return webhooks.payload(row.type, data, row.created_at)


def release_ninjs(
    release: ReleaseRow, ver: ReleaseVersionRow, partner: PartnerRow, *, status: str
) -> dict[str, object]:
    """The release in the partner's languages: the first one it wants as the document, others as associations."""
    available = syndication.languages_of(release)
    wanted = [lang for lang in partner.languages if lang in available] or available
    items = [item for lang in wanted if (item := syndication.item_for(release, ver, lang)) is not None]
    if not items:
        raise SyndicateError(f"release {release.id} version {ver.version} has no content to deliver")
    return ninjs.to_ninjs(
        items[0],
        version=ver.version,
        status=status,
        embargoed_until=release.embargo_until,
        translations=items[1:],
        ninjs_version=partner.ninjs_version,
    )


# --- operators -----------------------------------------------------------------------------------------------------


def parse_since(value: str | None) -> datetime | None:
    """An ISO 8601 time from an operator (naive means UTC); InputError if it is not one."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"not an ISO 8601 time: {value!r}") from exc
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
        rows = store.for_partner(s, partner_id, since=since, limit=limit)
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
        count = store.replay(s, partner.id, since=since)
        log.info("replay", extra={"partner_id": partner.id, "count": count})
        return partner.id, count
