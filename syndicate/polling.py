"""One poll of one source, start to end: load its state, fetch politely, parse, hand the releases to the
pipeline, and record health and the next poll time. Never raises for a source's failure: the error is
recorded on the source (kind, message, time, consecutive count) and the source is tried again after a backoff.

Also ``extract``: a file or URL → normalized, credited releases without storing anything (``syndicate extract``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from syndicate import catalog, netguard, pipeline
from syndicate.config import Settings, get_settings
from syndicate.errors import FetchTimeout, InputError, ParseError, Retriable, SyndicateError
from syndicate.ingest import parse_document
from syndicate.ingest import schedule as timing
from syndicate.ingest.board import board_links
from syndicate.ingest.client import Fetcher
from syndicate.ingest.encoding import decode
from syndicate.ingest.fetch import FetchResult, fetch, make_client
from syndicate.ingest.page import extract_page
from syndicate.model import RawRelease, Release, Source, SourceKind
from syndicate.normalize import identity as ident
from syndicate.normalize.dates import parse_date
from syndicate.store import places
from syndicate.store import sources as source_store
from syndicate.store.db import get_engine, session
from syndicate.store.tables import SourceStateRow, utcnow

log = logging.getLogger(__name__)

#: While a poll is queued or running, the beat leaves its source alone for this long.
LEASE = timedelta(minutes=5)
#: Detail pages fetched per board poll (new posts only); the rest wait for the next poll.
BOARD_PAGES = 20
#: A board poll's detail pages together get at most this long: half the lease, so that a slow board never
#: outlives its lease (the poll would then run twice at once). Pages not read in time are new next poll.
BOARD_SECONDS = LEASE.total_seconds() / 2


#: A poll's client is kept for the next poll in the same thread (a worker's pool process polls one source at a
#: time): sources on one site, which the beat's sweep enqueues together, then share a kept-alive connection
#: instead of a TCP connection and, on HTTPS, a full TLS handshake each. Connections unused this long are
#: closed before a poll (servers close idle ones after 5–75 s; a request meeting one the server closed is sent
#: again on a new one), and at most this many sites are kept.
CLIENT_IDLE_SECONDS = 60.0
CLIENT_SITES = 16


class _Client(threading.local):
    pid = 0
    settings: Settings | None = None
    fetcher: Fetcher | None = None


_client = _Client()


def shared_client(settings: Settings) -> Fetcher:
    """This thread's poll client. Made anew in a forked child, which drops the parent's without closing it (the
    sockets are the parent's to close), and when the settings change (timeouts, User-Agent and the address
    policy are the client's)."""
    mine = _client
    if mine.fetcher is None or mine.pid != os.getpid() or mine.settings is not settings:
        if mine.fetcher is not None and mine.pid == os.getpid():
            mine.fetcher.close()
        mine.fetcher, mine.pid, mine.settings = make_client(settings), os.getpid(), settings
    mine.fetcher.prune(CLIENT_IDLE_SECONDS, CLIENT_SITES)
    return mine.fetcher


@dataclass
class PollResult:
    source_id: str
    status: str  # ok | not_modified | unchanged | error
    new: int = 0
    error: str | None = None
    next_poll_at: datetime | None = None
    steps: list[pipeline.Next] = field(default_factory=list)


@dataclass
class _Seen:
    raws: list[RawRelease]
    ttl_minutes: int | None = None


def claim_due(now: datetime | None = None) -> list[str]:
    """Sources due for a poll, leased so they are enqueued once (the beat calls this)."""
    now = now or utcnow()
    ids = list(catalog.all_sources())
    with session() as s:
        return list(source_store.claim_due(s, ids, now, LEASE))


def poll(source_id: str, *, now: datetime | None = None, client: Fetcher | None = None) -> PollResult:
    settings = get_settings()
    now = now or utcnow()
    # Two short transactions, none held across the fetch: read the source and its validators; then store the
    # releases and the source's new state together. Both on a bare connection (Core) unless there are releases
    # to store: most polls find nothing new, and a Session's bookkeeping was a good part of their cost.
    with get_engine().begin() as conn:
        source = catalog.get_source(source_id, conn)
        known = source_store.validators(conn, source_id)
        etag, modified, body_hash = known.etag, known.last_modified, known.body_hash
    http = client or shared_client(settings)
    try:
        result = fetch(source.url, settings, etag=etag, last_modified=modified, client=http)
        digest = hashlib.sha256(result.body).hexdigest() if not result.not_modified else body_hash
        if result.not_modified or digest == body_hash:
            status = "not_modified" if result.not_modified else "unchanged"
            with get_engine().begin() as conn:
                return _succeeded(conn, source, result, now, status, digest, _Seen([]), [], known.interval_seconds)
        seen = _read(source, result, http)
        with session() as s:
            steps = pipeline.ingest(source.id, seen.raws, source=source, s=s)
            return _succeeded(s, source, result, now, "ok", digest, seen, steps, known.interval_seconds)
    except DBAPIError:
        raise  # the database is the task's problem (retried), not the source's
    except SyndicateError as exc:
        return _failed(source, now, exc)
    except Exception as exc:  # a bug or a dependency's surprise must not stop the source being polled
        log.exception("poll failed", extra={"source_id": source.id, "stage": "ingest"})
        return _failed(source, now, SyndicateError(f"{type(exc).__name__}: {exc}"))


def _read(source: Source, result: FetchResult, http: Fetcher) -> _Seen:
    if source.kind != SourceKind.board:
        doc = parse_document(result.body, url=result.url, content_type=result.content_type, source=source)
        if doc.kind == "page" and source.kind != SourceKind.page:
            # A feed URL answering with an HTML page (a login wall, an error page) is an error, not a release.
            raise ParseError(f"expected a {source.kind.value} feed, got an HTML page")
        return _Seen(doc.releases, doc.ttl_minutes)
    text, _ = decode(result.body, result.charset)
    links = board_links(text, result.url, source.selectors)
    with session() as s:
        known = places.known(s, [f"url:{ident.canonical_url(u)}" for u in links])
    settings = get_settings()
    new = [u for u in links if f"url:{ident.canonical_url(u)}" not in known][:BOARD_PAGES]
    raws = _board_pages(source, new, settings, http)
    if links and not raws and len(known) < len(links):
        raise ParseError(f"none of the {len(links) - len(known)} new posts on the board could be read")
    return _Seen(raws)


def _board_pages(source: Source, urls: list[str], settings: Settings, http: Fetcher) -> list[RawRelease]:
    raws: list[RawRelease] = []
    # `end` first: the guard's deadline, set just after, then never runs out before it (see the except below).
    end = time.monotonic() + BOARD_SECONDS
    with netguard.deadline(BOARD_SECONDS):
        for index, url in enumerate(urls):
            try:
                if time.monotonic() >= end:
                    raise FetchTimeout("the board poll's time ran out", url=url)
                page = fetch(url, settings, client=http)
                page_text, _ = decode(page.body, page.charset)
                raws.append(extract_page(page_text, page.url, source))
            except (InputError, SyndicateError) as exc:
                if isinstance(exc, FetchTimeout) and time.monotonic() >= end:
                    # Keep what was read; the rest are still new next poll.
                    log.warning(
                        "board poll out of time; %d pages left for the next poll",
                        len(urls) - index,
                        extra={"source_id": source.id, "stage": "ingest"},
                    )
                    break
                if isinstance(exc, Retriable):
                    raise  # the site is asking us to stop: back off the whole source
                log.warning("board page %s skipped", url, extra={"source_id": source.id, "error": exc.code})
    return raws


def _succeeded(
    s: Session | Connection,
    source: Source,
    result: FetchResult,
    now: datetime,
    status: str,
    digest: str | None,
    seen: _Seen,
    steps: list[pipeline.Next],
    previous_interval: int | None,
) -> PollResult:
    base = source.interval_minutes * 60
    published = [d for d in (parse_date(r.published, r.timezone) for r in seen.raws) if d is not None]
    interval = timing.adapt(base, previous_interval, published, len(steps))
    wait = timing.polite(interval, ttl_minutes=seen.ttl_minutes, fresh_for=result.fresh_for(now))
    next_at = now + _after(wait)
    values: dict[str, Any] = {
        "body_hash": digest,
        "interval_seconds": interval,
        "last_poll_at": now,
        "last_success_at": now,
        "consecutive_errors": 0,
        "next_poll_at": next_at,
    }
    if status == "ok" or not result.not_modified:
        values.update(etag=result.etag, last_modified=result.last_modified)
    # One UPDATE of the columns a success sets (a concurrent pause or lease is left alone); the interval it
    # adapts is the one read before the fetch, as only a poll of this source (leased, so one at a time) sets it.
    source_store.record_success(s, source.id, len(seen.raws), values)
    log.info("polled: %d new", len(steps), extra={"source_id": source.id, "status": status, "stage": "ingest"})
    return PollResult(source.id, status, len(steps), None, next_at, steps)


def _after(seconds: float) -> timedelta:
    # The schedule reasons in real seconds; a compressed clock (tests, demos) only shortens the wait.
    return timedelta(seconds=seconds * get_settings().time_scale)


def _failed(source: Source, now: datetime, exc: SyndicateError) -> PollResult:
    retry_after = exc.retry_after if isinstance(exc, Retriable) else None
    with session() as s:
        state = source_store.state(s, source.id, lock=True)
        state.consecutive_errors += 1
        state.error_kind, state.error_message, state.error_at = exc.code, str(exc)[:2000], now
        state.last_poll_at = now
        delay = timing.backoff(
            state.interval_seconds or source.interval_minutes * 60, state.consecutive_errors, retry_after
        )
        state.next_poll_at = now + _after(delay)
        next_at, count = state.next_poll_at, state.consecutive_errors
    log.warning(
        "poll failed %d time(s) in a row", count, extra={"source_id": source.id, "error": exc.code, "stage": "ingest"}
    )
    return PollResult(source.id, "error", 0, f"{exc.code}: {exc}", next_at, [])


def health(state: SourceStateRow | None) -> dict[str, Any]:
    """A source's health as the API and CLI show it."""
    if state is None:
        return {
            "status": "never",
            "last_poll_at": None,
            "last_success_at": None,
            "last_error": None,
            "consecutive_errors": 0,
            "next_poll_at": None,
            "interval_seconds": None,
            "items_seen": 0,
        }
    if state.paused:
        status = "paused"
    elif state.last_poll_at is None:
        status = "never"
    else:
        status = "failing" if state.consecutive_errors else "ok"
    error = None
    if state.error_kind:
        error = {"kind": state.error_kind, "message": state.error_message, "at": _iso(state.error_at)}
    return {
        "status": status,
        "last_poll_at": _iso(state.last_poll_at),
        "last_success_at": _iso(state.last_success_at),
        "last_error": error,
        "consecutive_errors": state.consecutive_errors,
        "next_poll_at": _iso(state.next_poll_at),
        "interval_seconds": state.interval_seconds,
        "items_seen": state.items_seen,
    }


def source_health() -> list[dict[str, Any]]:
    """Every source with its health, registry and imported alike."""
    sources = catalog.all_sources()
    with session() as s:
        states = source_store.states(s)
        return [
            {
                "id": source.id,
                "agency": source.agency,
                "title": source.title,
                "url": source.url,
                "kind": source.kind.value,
                "language": source.language,
                "interval_minutes": source.interval_minutes,
                "health": health(states.get(source.id)),
            }
            for source in sources.values()
        ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- syndicate extract -----------------------------------------------------------------------------------


def extract(target: str, *, source_id: str | None = None) -> tuple[list[Release], bool]:
    """(releases, is_page) for a file path or URL of a feed or a page. Nothing is stored."""
    body, url, content_type = _load(target)
    source = catalog.get_source(source_id) if source_id else catalog.for_url(url)
    doc = parse_document(body, url=url, content_type=content_type, source=source)
    if doc.kind == "page" and source is None:
        # A saved page names its own address (canonical, og:url); a registry source there has selectors.
        source = catalog.for_url(doc.releases[0].url or doc.site_url)
        if source is not None:
            doc = parse_document(body, url=url, content_type=content_type, source=source)
    if doc.kind != "page" and not doc.releases:
        raise ParseError("the feed has no items")
    return pipeline.preview(doc.releases, source), doc.kind == "page"


def _load(target: str) -> tuple[bytes, str | None, str]:
    if target.startswith(("http://", "https://")):
        result = fetch(target, get_settings())
        return result.body, result.url, result.content_type
    path = Path(target)
    if not path.is_file():
        raise InputError(f"no such file: {target}")
    try:
        return path.read_bytes(), None, ""
    except OSError as exc:
        raise InputError(f"cannot read {target}: {exc.strerror}") from exc
