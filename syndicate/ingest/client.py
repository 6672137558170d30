"""The HTTP client polls fetch with: httpcore's guarded connection pool (netguard) driven directly.

httpx.Client on top of the same pool cost about 0.5 ms of CPU per request on loopback (request and response
models, URL merging, a cookie jar pass on every response, the auth and redirect generators), httpcore alone
0.2-0.3 ms, and most polls are one conditional GET answered 304. What httpx did above the pool is done here
the same way, for GET only: default headers, redirects (relative Location, the cap, the previous fragment),
cookies kept per client (the jar is only consulted once a site has set one), gzip/deflate decoding, and its
header decoding (ASCII, else UTF-8, else Latin-1). The SSRF guard, pinning and deadlines are the pool's own
network backend (netguard.GuardedBackend), as with httpx, so every connection, redirects included, passes it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType

import httpcore
import httpx

from syndicate import netguard
from syndicate.config import Settings
from syndicate.errors import FetchError, TooLarge, TooManyRedirects

REDIRECTS = frozenset((301, 302, 303, 307, 308))


class Fetcher:
    """A guarded connection pool with our timeouts, redirect cap and User-Agent; one per worker or poll."""

    def __init__(self, settings: Settings) -> None:
        self.pool = netguard.guarded_pool(settings)
        read, connect = settings.fetch_read_timeout, settings.fetch_connect_timeout
        self.timeouts = {"connect": connect, "read": read, "write": read, "pool": connect}
        self.max_redirects = settings.fetch_max_redirects
        self.headers = [
            (b"Accept-Encoding", b"gzip, deflate"),
            (b"Connection", b"keep-alive"),
            (b"User-Agent", settings.user_agent.encode()),
        ]
        self.cookies = httpx.Cookies()

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


@dataclass
class Response:
    """An answer whose headers are read and whose body is not yet: ``body`` streams it, decoded."""

    status: int
    url: str
    headers: dict[str, str]  # names lower-cased, repeated headers joined with ", " (as httpx's items())
    stream: httpcore.Response

    def body(self, cap: int) -> Iterator[bytes]:
        """The body's chunks, decompressed; TooLarge as soon as a decoder has put out more than ``cap`` bytes
        (a gzip bomb never expands in memory past the cap; the caller counts what comes out too)."""
        decoders = [_decoder(name) for name in self.headers.get("content-encoding", "").split(",")]
        active = [d for d in reversed(decoders) if d is not None]  # the last coding applied is undone first
        try:
            for chunk in self.stream.iter_stream():
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
    Raises httpcore's exceptions as they are (the caller maps them), ours for a bad or one redirect too many."""
    target = _parsed(url)
    hops = 0
    while True:
        sent = [(b"Host", target.netloc), *fetcher.headers, *headers]  # netloc: the port only if not the default
        if fetcher.cookies.jar:
            cookie = _cookie_header(fetcher.cookies, target)
            if cookie:
                sent.append((b"Cookie", cookie.encode("latin-1")))
        request = httpcore.Request(
            "GET",
            httpcore.URL(scheme=target.raw_scheme, host=target.raw_host, port=target.port, target=target.raw_path),
            headers=sent,
            extensions={"timeout": fetcher.timeouts},
        )
        answer = fetcher.pool.handle_request(request)
        try:
            found = _headers(answer.headers)
            if "set-cookie" in found:
                _keep_cookies(fetcher.cookies, target, answer)
            if answer.status not in REDIRECTS or "location" not in found:
                yield Response(answer.status, str(target), found, answer)
                return
            for _ in answer.iter_stream():  # read to the end: the connection goes back to the pool
                pass
        finally:
            answer.close()
        if hops >= fetcher.max_redirects:
            raise TooManyRedirects(f"more than {fetcher.max_redirects} redirects from {url}", url=url)
        hops += 1
        target = _redirect(target, found["location"])


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


def _keep_cookies(cookies: httpx.Cookies, url: httpx.URL, answer: httpcore.Response) -> None:
    cookies.extract_cookies(httpx.Response(answer.status, headers=answer.headers, request=httpx.Request("GET", url)))


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
