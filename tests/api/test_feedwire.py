"""The feeds' protocol-level fast path: the bytes it writes are the bytes uvicorn writes for FeedApp's answer, and
every request it must not answer itself (stale, other paths, bodies, pipelining behind the ASGI path, flow control)
takes uvicorn's path. Each case runs the same requests through FeedProtocol and through uvicorn's own
HttpToolsProtocol on one app (one cache) and compares what went on the wire."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from syndicate import pipeline
from syndicate.api import feedserve
from syndicate.api.app import create_asgi
from syndicate.api.feedwire import FeedProtocol, find_feeds
from syndicate.model import RawRelease

DATE = [(b"date", b"Wed, 02 Dec 2026 02:00:00 GMT"), (b"server", b"uvicorn")]
FEED = "/feeds/ko/rss.xml"


def _publish(title: str) -> None:
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=RawRelease(title=title, body="본문."))
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, 1)


class Wire:
    """A transport that keeps what is written."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.data += data
        self.writes += 1

    def writelines(self, parts: list[bytes]) -> None:
        self.data += b"".join(parts)
        self.writes += 1

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Server:
    """One app (one FeedCache) served through either protocol, with uvicorn's default headers fixed."""

    def __init__(self, **config: Any) -> None:
        self.config = Config(app=create_asgi(), proxy_headers=True, log_config=None, **config)
        self.config.load()
        self.state = ServerState()
        self.state.default_headers = DATE + self.config.encoded_headers
        feeds, _ = find_feeds(self.config.loaded_app)
        assert feeds is not None
        self.feeds = feeds
        # No announcements listener: on subscribing it bumps the cache's generation from its thread, at a moment
        # these tests do not choose (test_feedserve covers it). They call cache.changed() themselves.
        feeds._listener = threading.Thread()

    async def serve(self, data: bytes | list[bytes], fast: bool = True) -> tuple[Any, Wire]:
        """Feed the request bytes (chunk by chunk) and wait until every answer is written."""
        protocol = (FeedProtocol if fast else HttpToolsProtocol)(self.config, self.state, {})
        wire = Wire()
        protocol.connection_made(wire)  # type: ignore[arg-type]
        for chunk in [data] if isinstance(data, bytes) else data:
            protocol.data_received(chunk)
        await self.settle(protocol)
        return protocol, wire

    async def settle(self, protocol: Any) -> None:
        deadline = time.monotonic() + 10
        while self.state.tasks or protocol.pipeline:
            assert time.monotonic() < deadline, "the ASGI path did not finish"
            await asyncio.sleep(0.001)

    async def both(self, data: bytes) -> tuple[Any, Wire, Wire]:
        """The fast protocol's answer and uvicorn's own, to the same request, on a warm cache."""
        await self.serve(data, fast=False)  # warms the cache entry (the database check) if needed
        fast, fast_wire = await self.serve(data)
        _, slow_wire = await self.serve(data, fast=False)
        return fast, fast_wire, slow_wire


@pytest.fixture
def server(database: str, broker: str) -> Server:
    _publish("첫 보도자료")
    srv = Server()
    srv.feeds.cache.fresh = 3600  # these tests decide when an entry goes stale
    return srv


def _request(method: str = "GET", path: str = FEED, version: str = "1.1", **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: feeds.example"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _etag(server: Server) -> str:
    entry = server.feeds.cache.entries["ko/rss.xml"]
    return entry.etag.decode()


def _answered_fast(protocol: Any) -> bool:
    return protocol.cycle is None  # uvicorn's path always leaves its RequestResponseCycle behind


def test_fast_answers_are_uvicorns_bytes(server: Server) -> None:
    async def check() -> None:
        await server.serve(_request(), fast=False)
        etag = _etag(server)
        modified = server.feeds.cache.entries["ko/rss.xml"].headers[2][1].decode()
        requests = [
            _request(),
            _request("HEAD"),
            _request(If_None_Match=etag),
            _request("HEAD", If_None_Match=etag),
            _request(If_None_Match=f'"other", {etag}'),
            _request(If_None_Match=f"W/{etag}"),  # a weak tag is not our strong tag: the ASGI path sends 200
            _request(If_None_Match='"other"'),
            _request(If_None_Match="*"),
            _request(If_Modified_Since=modified),
            _request(If_Modified_Since="Mon, 01 Jan 2001 00:00:00 GMT"),
            _request(If_Modified_Since="not a date"),
            _request(If_None_Match='"other"', If_Modified_Since=modified),  # If-None-Match wins (RFC 9110)
            _request(path=FEED + "?utm=x"),
            _request(version="1.0", If_None_Match=etag),
            _request(version="1.0", Connection="keep-alive"),  # uvicorn closes HTTP/1.0 whatever it asks
            _request(Connection="close"),
            _request("HEAD", Connection="close"),
        ]
        for raw in requests:
            fast, fast_wire, slow_wire = await server.both(raw)
            assert _answered_fast(fast), raw
            assert bytes(fast_wire.data) == bytes(slow_wire.data), raw
            assert fast_wire.closed == slow_wire.closed, raw
            assert fast_wire.writes == 1, "one write per answer"

    asyncio.run(check())


def test_answers_carry_the_current_date_header(server: Server) -> None:
    async def check() -> None:
        await server.serve(_request(), fast=False)
        _, first = await server.serve(_request(If_None_Match=_etag(server)))
        server.state.default_headers = [(b"date", b"Thu, 03 Dec 2026 00:00:00 GMT"), (b"server", b"uvicorn")]
        _, second = await server.serve(_request(If_None_Match=_etag(server)))
        assert b"date: Wed, 02 Dec 2026" in first.data and b"date: Thu, 03 Dec 2026" in second.data

    asyncio.run(check())


def test_pipelined_requests_are_answered_in_order(server: Server) -> None:
    async def check() -> None:
        await server.serve(_request(), fast=False)
        etag = _etag(server)
        batch = _request(If_None_Match=etag) + _request("HEAD") + _request() + _request(If_None_Match=etag)
        _, fast = await server.serve(batch)
        _, slow = await server.serve(batch, fast=False)
        assert bytes(fast.data) == bytes(slow.data)
        assert bytes(fast.data).count(b"HTTP/1.1 ") == 4
        # Behind a request the ASGI path answers (a stale entry: its database check), the rest wait their turn.
        server.feeds.cache.changed()
        _, fast = await server.serve(batch)
        server.feeds.cache.changed()
        _, slow = await server.serve(batch, fast=False)
        assert bytes(fast.data) == bytes(slow.data)
        # Nothing after Connection: close is answered, by either path.
        _, fast_close = await server.serve(_request(Connection="close") + _request())
        _, slow_close = await server.serve(_request(Connection="close") + _request(), fast=False)
        assert bytes(fast_close.data) == bytes(slow_close.data) and fast_close.data.count(b"HTTP/1.1 ") == 1
        # Split across reads, and two requests in one read with the rest of one in the next.
        chunks = [batch[:10], batch[10:150], batch[150:]]
        _, split = await server.serve(chunks)
        assert bytes(split.data) == bytes(slow.data)

    asyncio.run(check())


def test_a_changed_feed_is_never_served_from_a_stale_entry(server: Server) -> None:
    async def check() -> None:
        await server.serve(_request(), fast=False)
        old = _etag(server)
        _publish("새 보도자료")
        # Announced on Redis: the very next request takes the ASGI path and its database check.
        server.feeds.cache.changed()
        protocol, wire = await server.serve(_request(If_None_Match=old))
        assert not _answered_fast(protocol)
        assert wire.data.startswith(b"HTTP/1.1 200 ") and "새 보도자료".encode() in wire.data
        new = _etag(server)
        assert new != old
        protocol, wire = await server.serve(_request(If_None_Match=new))
        assert _answered_fast(protocol) and wire.data.startswith(b"HTTP/1.1 304 ")
        # Not announced: once FRESH_SECONDS have passed the entry is checked again, as FeedApp does.
        server.feeds.cache.fresh = feedserve.FRESH_SECONDS
        _publish("알리지 않은 보도자료")
        server.feeds.cache.entries["ko/rss.xml"].checked -= feedserve.FRESH_SECONDS  # checked that long ago
        protocol, wire = await server.serve(_request(If_None_Match=new))
        assert not _answered_fast(protocol)
        assert wire.data.startswith(b"HTTP/1.1 200 ") and "알리지 않은 보도자료".encode() in wire.data

    asyncio.run(check())


@pytest.mark.parametrize(
    "raw",
    [
        _request("POST"),
        _request(path="/feeds/ko/agencies/atlantis/rss.xml"),
        _request(path="/feeds/ko/%72ss.xml"),
        _request(path="/healthz"),
        _request(path="http://feeds.example/feeds/ko/rss.xml"),
        _request(Expect="100-continue"),
        _request(Content_Length="0"),
        _request(Transfer_Encoding="chunked") + b"0\r\n\r\n",
        _request(Connection="upgrade", Upgrade="h2c"),
    ],
    ids=[
        "post",
        "unknown-feed",
        "percent-escape",
        "other-path",
        "absolute-form",
        "expect",
        "content-length",
        "chunked",
        "upgrade",
    ],
)
def test_everything_else_takes_uvicorns_path(server: Server, raw: bytes) -> None:
    async def check() -> None:
        await server.serve(_request(), fast=False)
        fast, fast_wire = await server.serve(raw)
        _, slow_wire = await server.serve(raw, fast=False)
        assert not _answered_fast(fast)
        assert bytes(fast_wire.data) == bytes(slow_wire.data)

    asyncio.run(check())


def test_a_paused_transport_sends_the_request_the_asgi_way(server: Server) -> None:
    async def check() -> None:
        await server.serve(_request(), fast=False)
        protocol = FeedProtocol(server.config, server.state, {})
        wire = Wire()
        protocol.connection_made(wire)  # type: ignore[arg-type]
        protocol.pause_writing()  # the client is not reading: the 230 KB bodies must wait, not pile up
        protocol.data_received(_request())
        await asyncio.sleep(0.05)
        assert not _answered_fast(protocol) and not wire.data, "nothing written while paused"
        protocol.resume_writing()
        await server.settle(protocol)
        assert wire.data.startswith(b"HTTP/1.1 200 ")

    asyncio.run(check())


def test_setups_that_change_the_asgi_answer_are_left_to_it(database: str, broker: str) -> None:
    _publish("보도자료")

    async def check() -> None:
        for config in ({"root_path": "/syndicate"}, {"limit_concurrency": 100}):
            srv = Server(**config)
            srv.feeds.cache.fresh = 3600
            await srv.serve(_request(), fast=False)
            protocol, _ = await srv.serve(_request())
            assert not _answered_fast(protocol), config

    asyncio.run(check())


def test_the_access_log_line_is_uvicorns(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    # Behind a trusted proxy the client is the forwarded one, as uvicorn's proxy-headers middleware makes it.
    raw = _request(path=FEED + "?a=1", X_Forwarded_For="203.0.113.9")

    async def check() -> list[str]:
        await server.serve(raw, fast=False)
        lines = []
        for fast in (True, False):
            caplog.clear()
            protocol, _ = await server.serve(raw, fast=fast)
            assert _answered_fast(protocol) == fast
            lines.append(caplog.records[-1].getMessage())
        return lines

    access = logging.getLogger("uvicorn.access")
    access.addHandler(logging.NullHandler())  # uvicorn logs access only when the logger has a handler
    try:
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            fast_line, slow_line = asyncio.run(check())
    finally:
        access.handlers.clear()
    assert fast_line == slow_line == '203.0.113.9:0 - "GET /feeds/ko/rss.xml?a=1 HTTP/1.1" 200'


def test_the_protocol_finds_feedapp_as_syndicate_api_loads_it(database: str) -> None:
    config = Config(
        app="syndicate.api.app:create_asgi",
        factory=True,
        proxy_headers=True,
        http="syndicate.api.feedwire:FeedProtocol",
    )
    config.load()
    assert config.http_protocol_class is FeedProtocol
    feeds, proxies = find_feeds(config.loaded_app)
    assert feeds is not None and len(proxies) == 1
    # At trace level uvicorn's message logger must see every message: the fast path then stays off.
    traced = Config(app="syndicate.api.app:create_asgi", factory=True, log_level="trace", log_config=None)
    traced.load()
    assert find_feeds(traced.loaded_app)[0] is None


@pytest.mark.e2e
def test_syndicate_api_answers_keep_alive_and_pipelined_requests(api_server: str) -> None:
    host, port = api_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        reader = Answers(sock)
        sock.sendall(_request())
        status, headers, body = reader.next()
        assert status == b"200" and int(headers[b"content-length"]) == len(body)
        conditional = _request(If_None_Match=headers[b"etag"].decode())
        # The first of these takes the ASGI path or not depending on the entry's age; the order must hold either way.
        sock.sendall(conditional * 3 + _request("HEAD") + conditional + _request(Connection="close"))
        answers = [reader.next(head=i == 3) for i in range(6)]
        assert [a[0] for a in answers] == [b"304", b"304", b"304", b"200", b"304", b"200"]
        assert answers[3][2] == b"" and answers[3][1][b"content-length"] == headers[b"content-length"]
        assert answers[5][2] == body and answers[5][1][b"connection"] == b"close"
        assert sock.recv(1) == b"", "closed after Connection: close"


class Answers:
    """HTTP/1.1 answers read one by one off a socket (Content-Length bodies only, as FeedApp sends)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self, enough: Any) -> None:
        while not enough():
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed early"
            self.buffer += chunk

    def next(self, head: bool = False) -> tuple[bytes, dict[bytes, bytes], bytes]:
        self._fill(lambda: b"\r\n\r\n" in self.buffer)
        top, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = top.split(b"\r\n")
        headers = dict(line.split(b": ", 1) for line in lines)
        status = status_line.split(b" ")[1]
        length = 0 if head or status == b"304" else int(headers.get(b"content-length", b"0"))
        self._fill(lambda: len(self.buffer) >= length)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body
