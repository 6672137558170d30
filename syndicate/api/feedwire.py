"""Serving feeds at the protocol: uvicorn's HTTP protocol, answering a fresh cached feed without the ASGI round trip.

Under uvicorn a request costs a scope, a RequestResponseCycle, an asyncio task, the proxy-headers middleware and
two send() calls before and around FeedApp, which alone then does a dictionary lookup: ~30 µs of Python for a
304 whose bytes are known in advance. FeedProtocol answers a complete GET or HEAD of /feeds/… from those bytes,
in the parser's callback, with one transport write, when FeedCache has the document fresh (the same test that
lets FeedApp skip the database). Everything else takes uvicorn's path unchanged: a stale entry (its database
check), errors, other paths, a body, Expect: 100-continue, upgrades, a request while another is in flight on the
connection (pipelining keeps its order), a paused transport (flow control), a concurrency limit, a root path.

The answer is byte for byte what uvicorn would write for FeedApp's response (status line, uvicorn's date and
server headers, FeedApp's headers, connection: close when the connection ends, no body for HEAD), and the rest
of the cycle is uvicorn's own: the access log line, the request count, the keep-alive timer.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string
from uvicorn.server import ServerState

from syndicate.api.feedserve import Entry, FeedApp, FeedFastPath, _not_modified, feed_key

#: Request headers that announce a body or a protocol change: such requests take uvicorn's path.
_NOT_SIMPLE = frozenset((b"content-length", b"transfer-encoding", b"upgrade"))


def find_feeds(app: Any) -> tuple[FeedApp | None, list[ProxyHeadersMiddleware]]:
    """FeedApp behind uvicorn's wrapping of the served app, and the proxy-headers middleware in front of it.
    None when anything else wraps it (a message logger at trace level, say): that must see every request."""
    proxies = []
    while isinstance(app, ProxyHeadersMiddleware):
        proxies.append(app)
        app = app.app
    return (app.feeds, proxies) if isinstance(app, FeedFastPath) else (None, proxies)


async def _nothing(*args: Any) -> Any:
    return None


class FeedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a fast path for fresh feeds (``uvicorn.Config(http=FeedProtocol)``)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        feeds, self.proxies = find_feeds(self.app)
        # A root path or a concurrency limit changes what the ASGI path answers; leave those setups to it.
        self.feeds = feeds if not self.root_path and self.limit_concurrency is None else None
        #: The request being answered here (set when its headers are complete, answered when it is).
        self.fast: tuple[Entry, bytes] | None = None
        self.defaults: list[tuple[bytes, bytes]] | None = None
        self.defaults_wire = b""

    def on_headers_complete(self) -> None:
        self.fast = self._fresh_request()
        if self.fast is None:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self.fast is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self.fast is None:
            super().on_message_complete()
            return
        entry, path = self.fast
        self.fast = None
        self._answer(entry, path)

    def _fresh_request(self) -> tuple[Entry, bytes] | None:
        """The fresh cache entry and raw path of a request this protocol may answer itself, else None."""
        # Origin-form only (a cheap test first: most other requests stop here); the absolute form goes the usual way.
        if self.feeds is None or not self.url.startswith(b"/feeds/"):
            return None
        if self.expect_100_continue or self.pipeline or self.flow.write_paused or self.transport.is_closing():
            return None
        if self.cycle is not None and not self.cycle.response_complete:
            return None  # answers go out in order: this one waits behind the ASGI one
        if self.parser.get_method() not in (b"GET", b"HEAD"):
            return None
        for name, _ in self.headers:
            if name in _NOT_SIMPLE:
                return None
        try:
            raw_path = httptools.parse_url(self.url).path
        except httptools.HttpParserInvalidURLError:
            return None  # uvicorn's path answers it (400)
        # Percent-escapes and non-ASCII bytes: uvicorn decodes those; not worth repeating here.
        if not raw_path.startswith(b"/feeds/") or b"%" in raw_path or not raw_path.isascii():
            return None
        entry = self.feeds.cache.fresh_entry(feed_key(raw_path.decode("ascii")))
        if entry is None or entry.wire_ok is None or entry.wire_not_modified is None:
            return None
        return entry, raw_path

    def _answer(self, entry: Entry, raw_path: bytes) -> None:
        """What uvicorn's RequestResponseCycle.send writes for FeedApp's response, and what follows it."""
        head = self.parser.get_method() == b"HEAD"
        http_version = self.parser.get_http_version()
        keep_alive = http_version != "1.0" and self.parser.should_keep_alive()
        if _not_modified(self.headers, entry):
            status, wire, body = 304, entry.wire_not_modified, b""
        else:
            status, wire, body = 200, entry.wire_ok, b"" if head else entry.doc.body
        if self.access_log:
            self._log(raw_path, http_version, status)
        defaults = self.server_state.default_headers
        if defaults is not self.defaults:  # uvicorn replaces the list when the date changes (once a second)
            self.defaults = defaults
            self.defaults_wire = b"".join(b"%s: %s\r\n" % (k.lower(), v) for k, v in defaults)
        end = b"\r\n" if keep_alive else b"connection: close\r\n\r\n"
        if body:
            # Header and body in one call without copying the body (uvloop writes both with one writev).
            self.transport.writelines([STATUS_LINE[status], self.defaults_wire, wire or b"", end, body])
        else:
            self.transport.write(b"".join([STATUS_LINE[status], self.defaults_wire, wire or b"", end]))
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _log(self, raw_path: bytes, http_version: str, status: int) -> None:
        """uvicorn's access log line, with the client the proxy-headers middleware would have put in the scope."""
        scope: Any = {
            "type": "http",
            "client": self.client,
            "scheme": self.scheme,
            "headers": self.headers,
            "path": raw_path.decode("ascii"),
            "query_string": httptools.parse_url(self.url).query or b"",
        }
        for proxy in self.proxies:
            # The middleware's own code on this scope, with nothing behind it: it completes without suspending.
            bare, nothing = copy.copy(proxy), _nothing
            bare.app = nothing
            try:
                bare(scope, nothing, nothing).send(None)
            except StopIteration:
                pass
        self.access_logger.info(
            '%s - "%s %s HTTP/%s" %d',
            get_client_addr(scope),
            self.parser.get_method().decode("ascii"),
            get_path_with_query_string(scope),
            http_version,
            status,
        )
