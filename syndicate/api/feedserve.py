"""Serving feeds: the hot path, as a plain ASGI app mounted at /feeds.

Feeds are read far more often than they change, so each API process keeps the rendered documents in memory and
asks the database whether a document is still current at most every FRESH_SECONDS per feed. A request therefore
costs no query, no rendering and no framework routing: the bytes and the ready-made headers go straight out.
Conditional requests (If-None-Match, If-Modified-Since) get 304.

On Redis, the render task announces each new rendering (syndication.FEEDS_CHANGED) and every API process drops
its freshness at once, so a change shows immediately; the FRESH_SECONDS check stays as the bound when an
announcement is missed (no Redis, a reconnect).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import anyio
from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE

from syndicate import syndication
from syndicate.config import get_settings
from syndicate.errors import SyndicateError

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

CACHE_CONTROL = b"public, max-age=60"
#: How long a cached document is served before the database is asked whether it changed (a change shows this
#: much later at most; the question itself is one small query).
FRESH_SECONDS = 0.2
#: Feeds kept in memory per process (category names come from URLs, so the set must be bounded).
MAX_ENTRIES = 2048


@dataclass
class Entry:
    doc: syndication.Document
    headers: list[tuple[bytes, bytes]]
    etag: bytes
    checked: float
    generation: int
    #: A 304 carries only the validators and caching fields (RFC 9110, 15.4.5), not the representation's
    #: metadata: fewer headers to write on the most frequent answer a feed gets.
    not_modified: list[tuple[bytes, bytes]] = field(init=False, default_factory=list)

    #: The same two answers' header lines as they go on the wire (feedwire writes them without the ASGI
    #: round trip); None when a header would not pass uvicorn's checks, so that the ASGI path answers instead.
    wire_ok: bytes | None = field(init=False, default=None)
    wire_not_modified: bytes | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.not_modified = [(k, v) for k, v in self.headers if k in (b"etag", b"cache-control", b"last-modified")]
        self.wire_ok = _wire([*self.headers, (b"content-length", str(len(self.doc.body)).encode())])
        self.wire_not_modified = _wire(self.not_modified)


def _wire(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    # uvicorn's own checks: where they fail, the ASGI path answers (with uvicorn's error) rather than us.
    if any(HEADER_RE.search(k) or HEADER_VALUE_RE.search(v) for k, v in headers):
        return None
    return b"".join(b"%s: %s\r\n" % (k.lower(), v) for k, v in headers)


def _headers(path: str, doc: syndication.Document) -> list[tuple[bytes, bytes]]:
    settings = get_settings()
    links = [f'<{settings.base_url.rstrip("/")}/feeds/{path}>; rel="self"']
    if settings.websub_hub:
        links.append(f'<{settings.websub_hub}>; rel="hub"')
    return [
        (b"content-type", doc.media_type.encode()),
        (b"etag", doc.etag.encode()),
        (b"last-modified", format_datetime(doc.last_modified, usegmt=True).encode()),
        (b"cache-control", CACHE_CONTROL),
        (b"link", ", ".join(links).encode()),
    ]


class FeedCache:
    def __init__(self, fresh: float = FRESH_SECONDS, size: int = MAX_ENTRIES) -> None:
        self.fresh = fresh
        self.size = size
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        #: load() runs in worker threads (FeedApp): their changes to the order and size of ``entries`` and the
        #: event loop's take turns. Held for those changes only, never across a query, so the event loop never
        #: waits on one.
        self._order = threading.Lock()
        #: Bumped (from the listener thread) when feeds were rendered: every entry is then checked again. A
        #: counter, not a walk over the entries, because the event loop may be changing them meanwhile.
        self.generation = 0

    def changed(self) -> None:
        self.generation += 1

    def refresh(self) -> None:
        """After an announcement (the listener thread): load every cached feed that changed, in two queries, so
        that requests find their feeds current and feedwire goes on answering them, instead of each request
        asking the database in the event loop. A feed not yet rendered again is left for its next request."""
        generation = self.generation
        now = time.monotonic()
        try:
            known = {path: entry.doc.etag for path, entry in tuple(self.entries.items())}
        except RuntimeError:  # the event loop changed the cache meanwhile: its requests check for themselves
            return
        same, changed = syndication.current_documents(known)
        for path in same:
            entry = self.entries.get(path)
            if entry is not None:
                entry.checked, entry.generation = now, generation
        for path, doc in changed.items():
            if path in self.entries:
                self.entries[path] = _entry(path, doc, now, generation)

    def fresh_entry(self, path: str) -> Entry | None:
        """The entry as it may be served without asking the database (same generation, checked less than
        ``fresh`` seconds ago), else None. get() asks only then; feedwire, which must not block on a query, uses
        this alone."""
        entry = self.entries.get(path)
        if entry is not None and entry.generation == self.generation and time.monotonic() - entry.checked < self.fresh:
            with self._order:
                if path in self.entries:  # not dropped by a thread meanwhile
                    self.entries.move_to_end(path)
            return entry
        return None

    def get(self, path: str) -> Entry:
        return self.current(path) or self.load(path)

    def current(self, path: str) -> Entry | None:
        """The entry if it may be served as it is: fresh, or its stored rendering still has the entry's ETag (one
        small query). Else None, and ``load`` answers."""
        # Taken before the freshness test: a change announced from here on leaves the entry to be checked again.
        now, generation = time.monotonic(), self.generation
        fresh = self.fresh_entry(path)
        if fresh is not None:
            return fresh
        entry = self.entries.get(path)
        scope, _, filename = path.rpartition("/")
        if entry is None or syndication.fresh_etag(scope, filename) != entry.doc.etag:
            return None
        entry.checked, entry.generation = now, generation
        self._keep(path, entry)
        return entry

    def load(self, path: str) -> Entry:
        """The stored rendering, rendered now if its render pass has not stored it yet (``get_document``)."""
        now, generation = time.monotonic(), self.generation
        scope, _, filename = path.rpartition("/")
        entry = _entry(path, syndication.get_document(scope, filename), now, generation)
        self._keep(path, entry)
        return entry

    def _keep(self, path: str, entry: Entry) -> None:
        with self._order:
            self.entries[path] = entry
            self.entries.move_to_end(path)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _entry(path: str, doc: syndication.Document, checked: float, generation: int) -> Entry:
    return Entry(doc, _headers(path, doc), doc.etag.encode(), checked, generation)


def _not_modified(request_headers: list[tuple[bytes, bytes]], entry: Entry) -> bool:
    inm = ims = None
    for name, value in request_headers:
        if name == b"if-none-match":
            inm = value
        elif name == b"if-modified-since":
            ims = value
    if inm is not None:
        return inm.strip() == b"*" or entry.etag in (tag.strip() for tag in inm.split(b","))
    if ims is not None:
        try:
            return parsedate_to_datetime(ims.decode("latin-1")) >= entry.doc.last_modified.replace(microsecond=0)
        except (TypeError, ValueError):
            return False
    return False


def listen(cache: FeedCache, stop: threading.Event) -> None:
    """Follow the render task's announcements on the broker's Redis until ``stop`` (a daemon thread's loop).
    Without Redis there is nothing to follow, and FRESH_SECONDS alone bounds how late a change shows."""
    from redis.exceptions import RedisError

    from workers.celery_app import broker_redis

    while not stop.is_set():
        client = broker_redis()
        if client is None:
            return
        try:
            with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                pubsub.subscribe(syndication.FEEDS_CHANGED)
                cache.changed()  # anything announced while we were not subscribed
                while not stop.is_set():
                    # A short wait, so that a stopping app's listener is gone within it (FeedApp.stop).
                    if pubsub.get_message(timeout=LISTEN_TIMEOUT) is not None and not stop.is_set():
                        cache.changed()
                        _refresh(cache)
        except (RedisError, OSError) as exc:
            log.warning("feed announcements unavailable; retrying", extra={"error": str(exc)})
            stop.wait(1.0)


#: Seconds the listener waits for an announcement before it checks whether it should stop.
LISTEN_TIMEOUT = 0.2


def _refresh(cache: FeedCache) -> None:
    try:
        cache.refresh()
    except Exception as exc:  # requests check for themselves; the listener must keep listening
        log.warning("cached feeds not refreshed", extra={"error": str(exc)})


class FeedApp:
    """ASGI app for GET/HEAD /feeds/{scope}/{file}."""

    def __init__(self) -> None:
        self.cache = FeedCache()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    def _follow_announcements(self) -> None:
        # Started on the first request, in the serving process (a server's parent may fork after building us).
        if self._listener is None:
            self._listener = threading.Thread(
                target=listen, args=(self.cache, self._stop), name="feed-announcements", daemon=True
            )
            self._listener.start()

    def stop(self) -> None:
        """Stop following announcements (the app shuts down). Without it, the listener thread outlived its app:
        in one process serving app after app (the tests), an old listener answered a later announcement with
        queries made with whatever settings were current then."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=2 * LISTEN_TIMEOUT + 1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self._follow_announcements()
        if scope["method"] not in ("GET", "HEAD"):
            await _send(
                send, 405, b'{"error":"method_not_allowed","message":"feeds are read-only"}', [(b"allow", b"GET, HEAD")]
            )
            return
        path = feed_key(scope["path"].removeprefix(scope.get("root_path", "")))
        try:
            # Whether the held entry is still current is one small query, asked here: a thread's hand-off costs
            # more than that while other threads want the interpreter (measured: about 10 ms later to readers
            # right after a render's announcement). Loading a rendering, or rendering a feed whose render pass
            # has not stored it yet, takes up to tens of milliseconds: in a thread, so that every other request
            # on this loop (feeds held fresh, the API) goes on meanwhile.
            entry = self.cache.current(path)
            if entry is None:
                entry = await anyio.to_thread.run_sync(self.cache.load, path)
        except SyndicateError as exc:
            from syndicate.api.app import status_for

            body = json.dumps({"error": exc.code, "message": exc.message}).encode()
            await _send(send, status_for(exc), body, [])
            return
        if _not_modified(scope["headers"], entry):
            await send({"type": "http.response.start", "status": 304, "headers": entry.not_modified})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.doc.body
        headers = [*entry.headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def feed_key(path: str) -> str:
    """The cache key (``scope/file``) of a request path under /feeds."""
    return path.removeprefix("/feeds").lstrip("/")


async def _send(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FeedFastPath:
    """ASGI middleware: /feeds/… goes to FeedApp before any framework routing; everything else passes on."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app
        self.feeds = FeedApp()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/feeds/"):
            await self.feeds(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.app(scope, self._watch_shutdown(receive), send)
        else:
            await self.app(scope, receive, send)

    def _watch_shutdown(self, receive: Receive) -> Receive:
        async def watched() -> MutableMapping[str, Any]:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self.feeds.stop()
            return message

        return watched
