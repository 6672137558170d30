"""Partner pushes: which partners get a release, building the signed message, sending it, retrying, replaying.

The pipeline calls ``plan_release`` / ``plan_retraction`` inside the transaction that publishes or retracts, so a
message exists exactly when the change commits (at least once, never lost). The deliver worker's batch sender
(``syndicate.fanout``) takes due messages and sends them concurrently, each with its own timeout, so one slow or
dead partner never holds up another; a failure schedules the next attempt from ``settings.delivery_schedule``
with jitter, and the beat sweep starts a batch for whatever has fallen due. After the schedule the message is
dead until an operator replays it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy.orm import Session, object_session

from syndicate import syndication
from syndicate.config import Settings, get_settings
from syndicate.credit import gate
from syndicate.errors import BlockedURL, SyndicateError
from syndicate.model import Licence
from syndicate.netguard import guarded_async_client
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


def plan_release(
    s: Session,
    row: ReleaseRow,
    version: int,
    licence: Licence | Callable[[], Licence],
    languages: list[str] | None = None,
) -> int:
    """Create a published/updated message for every matching partner; returns how many are pending.
    ``licence``: the version's, or a function that reads it (called only when there is a partner to tell);
    ``languages``: what ``syndication.languages_of(row)`` answered, when the caller asked already.

    A commercial partner never gets a release whose licence forbids commercial use: the refusal is recorded
    as a ``refused`` delivery with the gate's reason, visible in the partner's log.
    """
    partners = partner_store.active(s)
    if not partners:
        return 0  # nobody to tell: the release's earlier messages need not be read
    if languages is None:
        languages = syndication.languages_of(row)
    had = {d.partner_id for d in store.of_release(s, row.id) if d.status != store.REFUSED and d.type != RETRACTED}
    commercial = gate(licence() if callable(licence) else licence, "deliver_commercial")
    pending = 0
    for partner in partners:
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
    """Reserve every due message (or one release's) for ``send`` one at a time: (delivery id, token) pairs.
    The deliver worker sends in batches instead (``syndicate.fanout``); this is the single-message path."""
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
    """How long a taken message is left alone: longer than any attempt can take (``attempt_deadline``)."""
    return timedelta(seconds=4 * settings.delivery_timeout + 30)


def attempt_deadline(settings: Settings) -> float:
    """The most one attempt may take, start to end: httpx's timeouts are per phase, so a partner that drips its
    answer a byte at a time is cut off here. Shorter than the lease, so no second sender starts meanwhile."""
    return 3 * settings.delivery_timeout


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


@dataclass(frozen=True)
class Message:
    """A taken message, ready to send: everything the attempt needs, so no database session is held meanwhile."""

    delivery_id: int
    #: the token it was taken with; its outcome is recorded only while the row still holds it
    token: str
    #: this attempt's number (1-based)
    attempt: int
    partner_id: str
    release_id: str
    webhook_id: str
    url: str
    secret: str = field(repr=False)
    active: bool
    #: the JSON body, or why it could not be built (recorded as the attempt's error)
    body: bytes | str


def messages(s: Session, rows: Sequence[DeliveryRow]) -> list[Message]:
    """Build the messages for taken rows. The ninjs document is built once per release version and partner
    profile (languages, ninjs version) in a batch, not once per partner."""
    documents: dict[tuple[object, ...], dict[str, object] | SyndicateError] = {}
    partners = {p.id: p for p in partner_store.load(s, {row.partner_id for row in rows})}
    out = []
    for row in rows:
        assert row.claim_token is not None, "only a taken message is sent"
        partner = partners[row.partner_id]
        try:
            body: bytes | str = _body(s, row, partner, documents)
        except SyndicateError as exc:
            body = f"cannot build the message: {exc}"
        out.append(
            Message(
                delivery_id=row.id,
                token=row.claim_token,
                attempt=row.attempts,
                partner_id=row.partner_id,
                release_id=row.release_id,
                webhook_id=row.webhook_id,
                url=partner.url,
                secret=partner.secret,
                active=partner.active,
                body=body,
            )
        )
    return out


def record(s: Session, settings: Settings, results: Sequence[tuple[Message, Outcome]]) -> None:
    """Record a batch of attempts in the delivery log, schedule retries (the partner's Retry-After honoured when it
    asks for longer), dead-letter what has spent the schedule, and disable partners that answered 410 Gone."""
    now = utcnow()
    attempts = []
    for message, outcome in results:
        retry_at = None
        if not outcome.delivered and not outcome.final:
            retry_at = next_attempt(settings.delivery_schedule, message.attempt, now, outcome.retry_after)
        attempts.append(
            store.Attempt(
                delivery_id=message.delivery_id,
                token=message.token,
                attempt=message.attempt,
                status_code=outcome.status_code,
                error=outcome.error,
                latency_ms=outcome.latency_ms,
                delivered=outcome.delivered,
                retry_at=retry_at,
            )
        )
    store.record(s, attempts)
    partner_store.disable(s, {m.partner_id for m, o in results if o.status_code == 410})
    for (message, outcome), attempt in zip(results, attempts, strict=True):
        extra = {
            "partner_id": message.partner_id,
            "release_id": message.release_id,
            "delivery_id": message.delivery_id,
            "attempt": message.attempt,
            "status_code": outcome.status_code,
            "latency_ms": outcome.latency_ms,
        }
        if outcome.delivered:
            log.info("delivered", extra=extra)
        else:
            now_status = store.PENDING if attempt.retry_at is not None else store.DEAD
            log.warning("delivery failed (%s), now %s", outcome.error, now_status, extra=extra)


def client(settings: Settings, *, concurrency: int = 1) -> httpx.AsyncClient:
    """The HTTP client for partner pushes: every connection through the SSRF guard (checked at connect time,
    so a partner's name cannot be rebound to an inside address), kept alive for the next message to the same
    partner, redirects not followed (Standard Webhooks: a 3xx is a failure; the partner should update its URL)."""
    return guarded_async_client(
        settings,
        timeout=httpx.Timeout(settings.delivery_timeout, connect=min(settings.delivery_timeout, 10.0)),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


async def attempt(http: httpx.AsyncClient, settings: Settings, message: Message) -> Outcome:
    """One attempt at one message; never raises for anything the partner or the network does."""
    if not message.active:
        return Outcome(error="the partner is disabled (it answered 410 Gone); replay re-enables it", final=True)
    if isinstance(message.body, str):
        return Outcome(error=message.body)
    headers = webhooks.signed_headers(message.secret, message.webhook_id, message.body, utcnow())
    started = time.monotonic()
    try:
        async with asyncio.timeout(attempt_deadline(settings)):
            answer = await http.post(message.url, content=message.body, headers=headers)
    except BlockedURL as exc:
        return Outcome(error=f"blocked: {exc}", latency_ms=_ms(started))
    except (httpx.TimeoutException, TimeoutError) as exc:
        return Outcome(error=f"timeout: {type(exc).__name__}", latency_ms=_ms(started))
    except (httpx.HTTPError, SyndicateError, OSError) as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:500], latency_ms=_ms(started))
    code = answer.status_code
    if code == 410:
        return Outcome(410, "HTTP 410 Gone: the partner asked to stop; disabled", _ms(started), final=True)
    return Outcome(
        status_code=code,
        error=None if 200 <= code < 300 else f"HTTP {code}",
        latency_ms=_ms(started),
        retry_after=retry_after(answer.headers.get("retry-after")),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def _send_one(settings: Settings, message: Message) -> Outcome:
    async with client(settings) as http:
        return await attempt(http, settings, message)


def send(delivery_id: int, token: str) -> str | None:
    """One attempt at one reserved message; returns its new status (None if it was not ours to send)."""
    settings = get_settings()
    with session() as s:
        # Claimed and committed before any traffic, so a second task for the same message finds it taken.
        row = store.claim(s, delivery_id, token, utcnow(), lease(settings))
        if row is None:
            return None
        (message,) = messages(s, [row])
    outcome = asyncio.run(_send_one(settings, message))
    with session() as s:
        record(s, settings, [(message, outcome)])
        fresh = s.get(DeliveryRow, delivery_id, populate_existing=True)
        return fresh.status if fresh is not None else None


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


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


def _body(
    s: Session,
    row: DeliveryRow,
    partner: PartnerRow,
    documents: dict[tuple[object, ...], dict[str, object] | SyndicateError],
) -> bytes:
    """The message as JSON bytes: the same bytes on every attempt (only the signature headers change)."""
    key = (row.release_id, row.version, row.type, tuple(partner.languages or ()), partner.ninjs_version)
    data = documents.get(key)
    if data is None:
        release = release_store.get(s, row.release_id)
        shown = release.published_version if row.type == RETRACTED else row.version
        ver = release_store.version(s, release.id, shown or row.version)
        try:
            data = release_ninjs(release, ver, partner, status=row.type.removeprefix("release."))
        except SyndicateError as exc:
            data = exc
        documents[key] = data
    if isinstance(data, SyndicateError):
        raise data
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
