"""Partner pushes: which partners get a release, building the signed message, sending it, retrying, replaying.

The pipeline calls ``plan_release`` / ``plan_retraction`` inside the transaction that publishes or retracts, so a
message exists exactly when the change commits (at least once, never lost). Each message is then sent by its
own task (``send``) with a short timeout, so one slow or dead partner never holds up another; a failure
schedules the next attempt from ``settings.delivery_schedule`` with jitter, and the beat sweep (``reserve_due``)
re-enqueues whatever has fallen due. After the schedule the message is dead until an operator replays it.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy.orm import Session, object_session

from syndicate import syndication
from syndicate.config import Settings, get_settings
from syndicate.credit import gate
from syndicate.errors import BlockedURL, SyndicateError
from syndicate.model import Licence
from syndicate.netguard import guarded_client
from syndicate.publish import ninjs, webhooks
from syndicate.store import deliveries as store
from syndicate.store import partners as partner_store
from syndicate.store import releases as release_store
from syndicate.store import summaries as summary_store
from syndicate.store.db import session
from syndicate.store.tables import DeliveryRow, PartnerRow, ReleaseRow, ReleaseVersionRow, utcnow

log = logging.getLogger(__name__)

PUBLISHED, UPDATED, RETRACTED = webhooks.EVENT_TYPES


# --- which partners ----------------------------------------------------------------------------------------------


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
    had = {d.partner_id for d in store.of_release(s, row.id) if d.status != store.REFUSED and d.type != RETRACTED}
    commercial = gate(licence, "deliver_commercial")
    pending = 0
    for partner in partner_store.active(s):
        if not matches(partner, row, languages):
            continue
        event = UPDATED if partner.id in had else PUBLISHED
        msg_id = webhooks.webhook_id(partner.id, row.id, version, event)
        refused = partner.commercial and not commercial.allowed
        added = store.add(
            s,
            partner_id=partner.id,
            release_id=row.id,
            version=version,
            type=event,
            webhook_id=msg_id,
            status=store.REFUSED if refused else store.PENDING,
            note=commercial.reason if refused else None,
        )
        if refused:
            log.info("delivery refused by licence", extra={"partner_id": partner.id, "release_id": row.id})
        elif added is not None:
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


# --- sending -------------------------------------------------------------------------------------------------------


def reserve_due(release_id: str | None = None) -> list[tuple[int, str]]:
    """Reserve every due message (or one release's) for a send task each: (delivery id, claim token) pairs."""
    lease_for = lease(get_settings())
    out = []
    with session() as s:
        now = utcnow()
        for delivery_id in store.due(s, now, release_id=release_id):
            token = store.reserve(s, delivery_id, now, lease_for)
            if token is not None:
                out.append((delivery_id, token))
    return out


def lease(settings: Settings) -> timedelta:
    """How long a claimed message is left alone: longer than any attempt can take (connect + read + write)."""
    return timedelta(seconds=4 * settings.delivery_timeout + 30)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    status_code: int | None = None
    error: str | None = None
    latency_ms: int = 0
    #: the partner's Retry-After, in seconds (429, 503)
    retry_after: float | None = None
    #: no retry: the partner is disabled or answered 410 Gone (Standard Webhooks: stop sending)
    final: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(delivery_id: int, token: str) -> str | None:
    """One attempt at one reserved message; returns its new status (None if it was not ours to send)."""
    settings = get_settings()
    claimed = _claim(settings, delivery_id, token)
    if claimed is None:
        return None
    row, partner, body = claimed
    outcome = _attempt(settings, row, partner, body)
    retry_at = None
    if not outcome.delivered and not outcome.final:
        retry_at = next_attempt(settings.delivery_schedule, row.attempts, utcnow(), outcome.retry_after)
    with session() as s:
        fresh = s.get(DeliveryRow, delivery_id)
        assert fresh is not None
        store.record_attempt(
            s,
            fresh,
            status_code=outcome.status_code,
            error=outcome.error,
            latency_ms=outcome.latency_ms,
            delivered=outcome.delivered,
            retry_at=retry_at,
        )
        if outcome.status_code == 410:
            partner_store.get(s, row.partner_id).active = False
        status = fresh.status
    extra = {
        "partner_id": row.partner_id,
        "release_id": row.release_id,
        "delivery_id": delivery_id,
        "attempt": row.attempts,
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
    }
    if outcome.delivered:
        log.info("delivered", extra=extra)
    else:
        log.warning("delivery failed (%s), now %s", outcome.error, status, extra=extra)
    return status


@dataclass(frozen=True)
class Target:
    url: str
    secret: str
    active: bool


def _claim(settings: Settings, delivery_id: int, token: str) -> tuple[DeliveryRow, Target, bytes | str] | None:
    """Claim the message and build its body (or the reason it cannot be built), committing the claim before any
    network traffic so a second task for the same message finds it taken."""
    with session() as s:
        row = store.claim(s, delivery_id, token, utcnow(), lease(settings))
        if row is None:
            return None
        partner = partner_store.get(s, row.partner_id)
        try:
            body: bytes | str = _body(s, row, partner)
        except SyndicateError as exc:
            body = f"cannot build the message: {exc}"
        return row, Target(partner.url, partner.secret, partner.active), body


def _attempt(settings: Settings, row: DeliveryRow, partner: Target, body: bytes | str) -> Outcome:
    if not partner.active:
        return Outcome(error="the partner is disabled (it answered 410 Gone); replay re-enables it", final=True)
    if isinstance(body, str):
        return Outcome(error=body)
    outcome = _post(settings, partner.url, partner.secret, row.webhook_id, body)
    if outcome.status_code == 410:
        return Outcome(410, "HTTP 410 Gone: the partner asked to stop; disabled", outcome.latency_ms, final=True)
    return outcome


def next_attempt(schedule: list[int], attempt: int, now: datetime, retry_after: float | None = None) -> datetime | None:
    """When to try again after failed attempt number ``attempt`` (1-based); None once the schedule is spent.
    Jitter (±20%) keeps retries to one partner from arriving in lockstep after an outage; a partner's
    Retry-After (up to a day) is honoured when it asks for longer."""
    if attempt > len(schedule):
        return None
    delay = schedule[attempt - 1] * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, min(retry_after, 86400.0))
    return now + timedelta(seconds=delay)


def _post(settings: Settings, url: str, secret: str, msg_id: str, body: bytes) -> Outcome:
    headers = webhooks.signed_headers(secret, msg_id, body, utcnow())
    timeout = httpx.Timeout(settings.delivery_timeout, connect=min(settings.delivery_timeout, 10.0))
    started = time.monotonic()
    try:
        # Redirects are not followed (Standard Webhooks: a 3xx is a failure; the partner should update its URL).
        with guarded_client(settings, timeout=timeout, follow_redirects=False) as client:
            answer = client.post(url, content=body, headers=headers)
    except BlockedURL as exc:
        return Outcome(error=f"blocked: {exc}", latency_ms=_ms(started))
    except httpx.TimeoutException as exc:
        return Outcome(error=f"timeout: {type(exc).__name__}", latency_ms=_ms(started))
    except (httpx.HTTPError, SyndicateError, OSError) as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:500], latency_ms=_ms(started))
    code = answer.status_code
    return Outcome(
        status_code=code,
        error=None if 200 <= code < 300 else f"HTTP {code}",
        latency_ms=_ms(started),
        retry_after=_retry_after(answer.headers.get("retry-after")),
    )


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


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
    session_ = object_session(release)
    summaries = {row.language: row for row in summary_store.for_release(session_, release.id)} if session_ else {}
    items = [
        item for lang in wanted if (item := syndication.item_for(release, ver, lang, summaries.get(lang))) is not None
    ]
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
