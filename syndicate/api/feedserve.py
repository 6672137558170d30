"""Serving feeds: the hot path, as a plain ASGI app mounted at /feeds.

Feeds are read far more often than they change, so each API process keeps the rendered documents in memory and
asks the database whether a document is still current at most every FRESH_SECONDS per feed. A change therefore
shows within that time; in return a request costs no query, no rendering and no framework routing: the bytes
and the ready-made headers go straight out. Conditional requests (If-None-Match, If-Modified-Since) get 304.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from syndicate import syndication
from syndicate.config import get_settings
from syndicate.errors import SyndicateError

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

    def get(self, path: str) -> Entry:
        now = time.monotonic()
        entry = self.entries.get(path)
        if entry is not None and now - entry.checked < self.fresh:
            self.entries.move_to_end(path)
            return entry
        scope, _, filename = path.rpartition("/")
        if entry is not None and syndication.fresh_etag(scope, filename) == entry.doc.etag:
            entry.checked = now
        else:
            doc = syndication.get_document(scope, filename)
            entry = Entry(doc, _headers(path, doc), doc.etag.encode(), now)
        self.entries[path] = entry
        self.entries.move_to_end(path)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return entry


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


class FeedApp:
    """ASGI app for GET/HEAD /feeds/{scope}/{file}."""

    def __init__(self) -> None:
        self.cache = FeedCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _send(
                send, 405, b'{"error":"method_not_allowed","message":"feeds are read-only"}', [(b"allow", b"GET, HEAD")]
            )
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")).removeprefix("/feeds").lstrip("/")
        try:
            entry = self.cache.get(path)
        except SyndicateError as exc:
            from syndicate.api.app import status_for

            body = json.dumps({"error": exc.code, "message": exc.message}).encode()
            await _send(send, status_for(exc), body, [])
            return
        if _not_modified(scope["headers"], entry):
            await send({"type": "http.response.start", "status": 304, "headers": entry.headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.doc.body
        headers = [*entry.headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


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
        else:
            await self.app(scope, receive, send)
