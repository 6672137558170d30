"""The HTTP client polls fetch with: the standard library's HTTP/1.1 (http.client) over connections made by
the SSRF guard's network backend (netguard).

Every connection, redirects' included, is made by netguard.GuardedBackend: the host resolved and checked, the
socket connected to a checked address, TLS verified against the host name, and every read and write bounded by
its timeout and by the caller's deadline (netguard.deadline: a server dripping its headers a byte at a time is
cut off). On top of it http.client reads the status line, headers (at most 100, lines of at most 64 KB) and the
body (Content-Length, chunked, or to the close), and keeps the connection for the next request to the same
origin. httpcore's HTTP/1.1 (h11) did the same at 0.2-0.3 ms of CPU a request on loopback, most of an
unchanged poll's cost; http.client, whose status and header parsing is partly in C, about half that.

What httpx did above its pool is done here the same way, for GET only: default headers, redirects (relative
Location, the cap, the previous fragment), cookies kept per client (the jar is only consulted once a site has
set one), gzip/deflate decoding, and its header decoding (ASCII, else UTF-8, else Latin-1).
"""

from __future__ import annotations

import http.client
import io
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType
from typing import Any

import httpcore
import httpx

from syndicate import netguard
from syndicate.config import Settings
from syndicate.errors import FetchError, TooLarge, TooManyRedirects

REDIRECTS = frozenset((301, 302, 303, 307, 308))
#: Bytes asked of the connection at a time, and of a response body
_CHUNK = 64 * 1024
#: What a request on a kept-alive connection may meet when the server closed it meanwhile: the request is sent
#: once more on a new connection (a GET may be repeated).
_STALE = (http.client.RemoteDisconnected, httpcore.ReadError, httpcore.WriteError, ConnectionError)


class Fetcher:
    """Guarded connections, one kept alive per origin, with our timeouts, redirect cap and User-Agent; one per
    thread of a worker (``syndicate.polling``), or per poll. Not shared between threads."""

    def __init__(self, settings: Settings) -> None:
        self.backend = netguard.GuardedBackend(netguard.Policy.from_settings(settings))
        read, connect = settings.fetch_read_timeout, settings.fetch_connect_timeout
        self.timeouts = {"connect": connect, "read": read, "write": read}
        self.max_redirects = settings.fetch_max_redirects
        self.headers = [
            (b"Accept-Encoding", b"gzip, deflate"),
            (b"Connection", b"keep-alive"),
            (b"User-Agent", settings.user_agent.encode()),
        ]
        self.cookies = httpx.Cookies()
        self.connections: dict[tuple[str, str, int], _Connection] = {}

    def connection(self, url: httpx.URL) -> _Connection:
        # the host as sent on the wire (IDNA-encoded; an IPv6 address without brackets), as httpcore had it
        key = (url.scheme, url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80))
        conn = self.connections.get(key)
        if conn is None:
            conn = self.connections[key] = _Connection(self, *key)
        return conn

    def prune(self, idle_seconds: float, keep: int) -> None:
        """Close the connections unused for ``idle_seconds``, and the least recently used beyond ``keep``: a
        client kept between polls must not hold a socket open for every site it ever fetched from."""
        now = time.monotonic()
        ranked = sorted(self.connections.items(), key=lambda item: item[1].last_used, reverse=True)
        for index, (key, conn) in enumerate(ranked):
            if index >= keep or now - conn.last_used > idle_seconds:
                conn.close()
                del self.connections[key]

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()
        self.connections.clear()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


class _Connection(http.client.HTTPConnection):
    """http.client's connection to one origin, connected through the guard's backend."""

    def __init__(self, fetcher: Fetcher, scheme: str, host: str, port: int) -> None:
        super().__init__(host, port, timeout=fetcher.timeouts["read"])
        self.fetcher, self.scheme = fetcher, scheme
        self.last_used = time.monotonic()

    def connect(self) -> None:
        timeouts = self.fetcher.timeouts
        stream = self.fetcher.backend.connect_tcp(self.host, self.port, timeout=timeouts["connect"])
        if self.scheme == "https":
            stream = stream.start_tls(netguard.tls_context(), server_hostname=self.host, timeout=timeouts["connect"])
        self.sock = _Socket(stream, timeouts["read"], timeouts["write"])

    def stale(self) -> bool:
        """Kept alive, but readable while idle: the server closed it (or sent what nobody asked for)."""
        return isinstance(self.sock, _Socket) and self.sock.readable()


class _Socket:
    """What http.client asks of a socket, over a guarded connection. As with a socket, closing it while a
    response still reads from its file closes the connection only once that file is closed too."""

    def __init__(self, stream: httpcore.NetworkStream, read_timeout: float, write_timeout: float) -> None:
        self.stream: httpcore.NetworkStream | None = stream
        self.read_timeout, self.write_timeout = read_timeout, write_timeout
        self.files = 0
        self.closed = False

    def sendall(self, data: bytes) -> None:
        if self.stream is None:
            raise httpcore.WriteError("the connection is closed")
        self.stream.write(bytes(data), self.write_timeout)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        self.files += 1
        return io.BufferedReader(_StreamFile(self), _CHUNK)

    def read(self, size: int) -> bytes:
        if self.stream is None:
            return b""
        return self.stream.read(size, self.read_timeout)

    def readable(self) -> bool:
        return self.stream is not None and bool(self.stream.get_extra_info("is_readable"))

    def file_closed(self) -> None:
        self.files -= 1
        self._end()

    def close(self) -> None:
        self.closed = True
        self._end()

    def _end(self) -> None:
        if self.closed and self.files <= 0 and self.stream is not None:
            self.stream.close()
            self.stream = None


class _StreamFile(io.RawIOBase):
    """The raw file under a response: reads from the guarded connection."""

    def __init__(self, sock: _Socket) -> None:
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.sock.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.sock.file_closed()
        super().close()


@dataclass
class Response:
    """An answer whose headers are read and whose body is not yet: ``body`` streams it, decoded."""

    status: int
    url: str
    headers: dict[str, str]  # names lower-cased, repeated headers joined with ", " (as httpx's items())
    stream: http.client.HTTPResponse

    def body(self, cap: int) -> Iterator[bytes]:
        """The body's chunks, decompressed; TooLarge as soon as a decoder has put out more than ``cap`` bytes
        (a gzip bomb never expands in memory past the cap; the caller counts what comes out too)."""
        decoders = [_decoder(name) for name in self.headers.get("content-encoding", "").split(",")]
        active = [d for d in reversed(decoders) if d is not None]  # the last coding applied is undone first
        try:
            while chunk := self.stream.read(_CHUNK):
                for decoder in active:
                    chunk = self._bounded(decoder, decoder.decode(chunk, cap), cap)
                if chunk:
                    yield chunk
            tail = b""
            for decoder in active:
                tail = self._bounded(decoder, decoder.decode(tail, cap) + decoder.flush(), cap)
        except zlib.error as exc:
            raise FetchError(f"DecodingError fetching {self.url}: {exc}", url=self.url) from exc
        if tail:
            yield tail

    def _bounded(self, decoder: _Decoder, out: bytes, cap: int) -> bytes:
        decoder.size += len(out)
        if decoder.size > cap:
            raise TooLarge(f"{self.url} sent more than the cap of {cap} bytes", url=self.url)
        return out


@contextmanager
def get(fetcher: Fetcher, url: str, headers: list[tuple[bytes, bytes]]) -> Iterator[Response]:
    """GET ``url`` following redirects up to the cap; the last answer, its body unread, closed on exit.
    Raises httpcore's and http.client's exceptions as they are (the caller maps them), ours for a bad redirect
    or one redirect too many."""
    target = _parsed(url)
    hops = 0
    while True:
        sent = [(b"Host", target.netloc), *fetcher.headers, *headers]  # netloc: the port only if not the default
        if fetcher.cookies.jar:
            cookie = _cookie_header(fetcher.cookies, target)
            if cookie:
                sent.append((b"Cookie", cookie.encode("latin-1")))
        conn = fetcher.connection(target)
        conn.last_used = time.monotonic()
        answer = _request(conn, target.raw_path.decode("ascii"), sent)
        try:
            raw = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in answer.getheaders()]
            found = _headers(raw)
            if "set-cookie" in found:
                _keep_cookies(fetcher.cookies, target, raw)
            if answer.status not in REDIRECTS or "location" not in found:
                yield Response(answer.status, str(target), found, answer)
                return
            while answer.read(_CHUNK):  # read to the end: the connection is kept for the next request
                pass
        finally:
            done = answer.isclosed()
            answer.close()
            if not done:  # the body was not read to its end: the connection cannot carry another request
                conn.close()
        if hops >= fetcher.max_redirects:
            raise TooManyRedirects(f"more than {fetcher.max_redirects} redirects from {url}", url=url)
        hops += 1
        target = _redirect(target, found["location"])


def _request(conn: _Connection, path: str, headers: list[tuple[bytes, bytes]]) -> http.client.HTTPResponse:
    """Send the GET and read the status line and headers; on a kept-alive connection the server closed, once
    more on a new one."""
    if conn.stale():
        conn.close()
    reused = conn.sock is not None
    try:
        return _send(conn, path, headers)
    except _STALE:
        conn.close()
        if not reused:
            raise
    return _send(conn, path, headers)


def _send(conn: _Connection, path: str, headers: list[tuple[bytes, bytes]]) -> http.client.HTTPResponse:
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
    except ValueError as exc:  # a header or path that would break the request (http.client checks them)
        conn.close()
        raise FetchError(f"invalid request to {conn.host}: {exc}") from exc
    try:
        conn.endheaders()
        return conn.getresponse()
    except BaseException:
        conn.close()
        raise


@lru_cache(maxsize=4096)
def _parsed(url: str) -> httpx.URL:
    # A source's URL is fetched again every poll, and parsing it was a tenth of a request's CPU (httpx.URL is
    # immutable, so one parse serves them all).
    return httpx.URL(url)


def _redirect(current: httpx.URL, location: str) -> httpx.URL:
    """Where a Location header points, as httpx resolves it."""
    try:
        url = httpx.URL(location)
    except httpx.InvalidURL as exc:
        message = f"RemoteProtocolError fetching {current}: Invalid URL in location header: {exc}."
        raise FetchError(message, url=str(current)) from exc
    if url.scheme and not url.host:  # a malformed absolute form without a host
        url = url.copy_with(host=current.host)
    if url.is_relative_url:
        url = current.join(url)
    if current.fragment and not url.fragment:
        url = url.copy_with(fragment=current.fragment)
    if url.scheme not in ("http", "https"):
        message = f"UnsupportedProtocol fetching {url}: Request URL has an unsupported protocol '{url.scheme}://'."
        raise FetchError(message, url=str(url))
    return url


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    encoding = _encoding(raw)
    found: dict[str, str] = {}
    for key, value in raw:
        name, text = key.decode(encoding).lower(), value.decode(encoding)
        found[name] = f"{found[name]}, {text}" if name in found else text
    return found


def _encoding(raw: list[tuple[bytes, bytes]]) -> str:
    # httpx.Headers: the one encoding every header decodes in, trying ASCII, then UTF-8, then Latin-1
    for encoding in ("ascii", "utf-8"):
        try:
            for key, value in raw:
                key.decode(encoding)
                value.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "iso-8859-1"


def _cookie_header(cookies: httpx.Cookies, url: httpx.URL) -> str | None:
    request = httpx.Request("GET", url)
    cookies.set_cookie_header(request)
    return request.headers.get("cookie")


def _keep_cookies(cookies: httpx.Cookies, url: httpx.URL, headers: list[tuple[bytes, bytes]]) -> None:
    cookies.extract_cookies(httpx.Response(200, headers=headers, request=httpx.Request("GET", url)))


class _Decoder:
    """One content coding undone with zlib, its output bounded (``max_length``) so that it stops at the cap."""

    def __init__(self, wbits: int, retry_raw: bool) -> None:
        self.inner = zlib.decompressobj(wbits)
        self.retry_raw = retry_raw  # "deflate" is sent both zlib-wrapped and raw (as httpx's DeflateDecoder)
        self.size = 0

    def decode(self, data: bytes, cap: int) -> bytes:
        if not data:
            return b""
        try:
            # At most one byte past the cap: with less out than that, all of ``data`` went in.
            out = self.inner.decompress(data, max(cap - self.size, 0) + 1)
        except zlib.error:
            if not self.retry_raw:
                raise
            self.inner, self.retry_raw = zlib.decompressobj(-zlib.MAX_WBITS), False
            return self.decode(data, cap)
        self.retry_raw = False
        return out

    def flush(self) -> bytes:
        return self.inner.flush()


def _decoder(name: str) -> _Decoder | None:
    name = name.strip().lower()
    if name == "gzip":
        return _Decoder(zlib.MAX_WBITS | 16, retry_raw=False)
    if name == "deflate":
        return _Decoder(zlib.MAX_WBITS, retry_raw=True)
    return None  # identity, or a coding we never asked for: passed through, as httpx does
