"""Fetching one URL politely: conditional GET, timeouts, a body-size cap, a redirect cap, the SSRF guard.

Every error of the client's (httpcore's network layer, http.client's HTTP/1.1) is turned into one of ours at
this boundary (``FetchTimeout``, ``RateLimited``, ``HTTPStatusError``, ``TooLarge``, ``TooManyRedirects``,
``FetchError``); a 304 is a result, not an error. The client: ingest/client.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.client import HTTPException

import httpcore
import httpx

from syndicate import netguard
from syndicate.config import Settings
from syndicate.errors import FetchError, FetchTimeout, HTTPStatusError, RateLimited, SyndicateError, TooLarge
from syndicate.ingest import client
from syndicate.ingest.client import Fetcher

ACCEPT = b"application/rss+xml, application/atom+xml, application/feed+json, text/html;q=0.9, */*;q=0.5"


@dataclass
class FetchResult:
    status: int
    body: bytes
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def charset(self) -> str | None:
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return None

    def fresh_for(self, now: datetime) -> float | None:
        """Seconds the server says the answer stays fresh (Cache-Control max-age, else Expires)."""
        return freshness(self.headers, now)


def make_client(settings: Settings) -> Fetcher:
    """A guarded client with our timeouts, redirect cap and User-Agent (gzip/deflate decoded: ingest/client.py)."""
    return Fetcher(settings)


def fetch(
    url: str,
    settings: Settings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    client: Fetcher | None = None,
) -> FetchResult:
    """GET ``url``; a 304 comes back as a result with ``not_modified``. Raises our FetchError family."""
    netguard.check_url(url, settings, resolve=False)  # the guard's backend checks every connection (netguard)
    headers = [(b"Accept", ACCEPT)]
    if etag:
        headers.append((b"If-None-Match", etag.encode("latin-1")))
    if last_modified:
        headers.append((b"If-Modified-Since", last_modified.encode("latin-1")))
    own = client is None
    http = client or make_client(settings)
    try:
        return _get(http, url, headers, settings.fetch_max_bytes, settings.fetch_total_timeout)
    except SyndicateError:
        raise
    except (httpcore.TimeoutException, httpx.TimeoutException, TimeoutError) as exc:
        raise FetchTimeout(f"timed out fetching {url}", url=url) from exc
    except (
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
        HTTPException,
        OSError,
        httpx.HTTPError,
        httpx.InvalidURL,
    ) as exc:
        raise FetchError(f"{type(exc).__name__} fetching {url}: {exc}", url=url) from exc
    finally:
        if own:
            http.close()


def _get(http: Fetcher, url: str, headers: list[tuple[bytes, bytes]], cap: int, total: float) -> FetchResult:
    # The read timeout bounds each read; a server dripping a byte at a time needs a bound on the whole: the
    # guard's deadline cuts off the status line and headers too, the check below the body.
    deadline = time.monotonic() + total
    with netguard.deadline(total), client.get(http, url, headers) as response:
        status, answer, final = response.status, response.headers, response.url
        if status == 304:
            # Reading the (empty) body ends the exchange, so the connection is kept for the next request: closing
            # the answer with it unread would drop the connection and make the next poll connect again.
            for _ in response.body(cap):
                pass
            return _result(status, b"", final, answer)
        if status == 429 or (status == 503 and "retry-after" in answer):
            wait = retry_after(answer.get("retry-after"), datetime.now(UTC))
            raise RateLimited(f"HTTP {status} from {url}", retry_after=wait, url=url, status=status)
        if status >= 400:
            raise HTTPStatusError(f"HTTP {status} from {url}", status=status, url=url)
        declared = answer.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"{url} declares {declared} bytes, more than the cap of {cap}", url=url)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.body(cap):  # decompressed, so a gzip bomb is capped too
            size += len(chunk)
            if size > cap:
                raise TooLarge(f"{url} sent more than the cap of {cap} bytes", url=url)
            if time.monotonic() > deadline:
                raise FetchTimeout(f"{url} took longer than {total:g} s in all", url=url)
            chunks.append(chunk)
        return _result(status, b"".join(chunks), final, answer)


def _result(status: int, body: bytes, url: str, headers: dict[str, str]) -> FetchResult:
    return FetchResult(
        status=status,
        body=body,
        url=url,
        headers=headers,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
    )


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    return max(0.0, (when - now).total_seconds()) if when else None


def freshness(headers: dict[str, str], now: datetime) -> float | None:
    for directive in headers.get("cache-control", "").split(","):
        key, _, value = directive.strip().partition("=")
        if key.lower() in ("no-cache", "no-store"):
            return None
        if key.lower() == "max-age" and value.strip().isdigit():
            return float(value.strip())
    expires = _http_date(headers.get("expires", ""))
    if expires:
        return max(0.0, (expires - now).total_seconds())
    return None


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
