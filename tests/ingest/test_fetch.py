"""Fetching over real HTTP on 127.0.0.1: conditional GET, rate limits, timeouts, redirects, size caps, gzip,
the SSRF guard and our User-Agent."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from syndicate.config import get_settings
from syndicate.errors import BlockedURL, FetchTimeout, HTTPStatusError, RateLimited, TooLarge, TooManyRedirects
from syndicate.ingest.fetch import fetch, freshness, make_client, retry_after
from tests.ingest.server import Answer, Loopback, Request, serve


@pytest.fixture
def site() -> Iterator[Loopback]:
    with serve() as loop:
        yield loop


def test_conditional_get_and_304(site: Loopback) -> None:
    def feed(req: Request) -> Answer:
        if req.headers.get("if-none-match") == '"v1"':
            return Answer(304)
        return Answer(200, b"<rss/>", {"ETag": '"v1"', "Last-Modified": "Thu, 18 Sep 2025 05:32:00 GMT"})

    site.route("/feed", feed)
    first = fetch(f"{site.base}/feed", get_settings())
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', "Thu, 18 Sep 2025 05:32:00 GMT")
    second = fetch(f"{site.base}/feed", get_settings(), etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = site.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Thu, 18 Sep 2025 05:32:00 GMT"
    assert sent["user-agent"].startswith("syndicate/")


def test_429_with_retry_after(site: Loopback) -> None:
    site.route("/busy", Answer(429, b"slow down", {"Retry-After": "120"}))
    with pytest.raises(RateLimited) as caught:
        fetch(f"{site.base}/busy", get_settings())
    assert caught.value.retry_after == 120
    site.route("/gone", Answer(410, b"gone"))
    with pytest.raises(HTTPStatusError) as status:
        fetch(f"{site.base}/gone", get_settings())
    assert status.value.status == 410


def test_read_timeout(site: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_FETCH_READ_TIMEOUT", "0.3")
    get_settings.cache_clear()
    site.route("/slow", Answer(200, b"late", delay=1.5))
    with pytest.raises(FetchTimeout):
        fetch(f"{site.base}/slow", get_settings())


def test_redirects_followed_up_to_the_cap(site: Loopback) -> None:
    for i in range(8):
        site.route(f"/r{i}", Answer(302, b"", {"Location": f"/r{i + 1}"}))
    site.route("/r8", Answer(200, b"<rss/>"))
    ok = fetch(f"{site.base}/r5", get_settings())  # 3 hops
    assert ok.url.endswith("/r8") and ok.body == b"<rss/>"
    with pytest.raises(TooManyRedirects):
        fetch(f"{site.base}/r0", get_settings())  # 8 hops > 5


def test_size_cap_declared_streamed_and_gzip_bomb(site: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_FETCH_MAX_BYTES", "10000")
    get_settings.cache_clear()
    site.route("/big", Answer(200, b"x" * 20000))
    with pytest.raises(TooLarge):
        fetch(f"{site.base}/big", get_settings())
    # No Content-Length: the body is counted as it streams.
    site.route("/stream", Answer(200, b"y" * 20000, {"Content-Length": "", "Connection": "close"}))
    with pytest.raises(TooLarge):
        fetch(f"{site.base}/stream", get_settings())
    bomb = gzip.compress(b"<rss>" + b" " * 5_000_000)
    site.route("/bomb", Answer(200, bomb, {"Content-Encoding": "gzip"}))
    assert len(bomb) < 10000
    with pytest.raises(TooLarge):
        fetch(f"{site.base}/bomb", get_settings())
    small = gzip.compress(b"<rss>ok</rss>")
    site.route("/gz", Answer(200, small, {"Content-Encoding": "gzip"}))
    assert fetch(f"{site.base}/gz", get_settings()).body == b"<rss>ok</rss>"


def test_deflate_wrapped_and_raw_and_a_deflate_bomb(site: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    site.route("/raw", Answer(200, raw.compress(b"<rss>raw</rss>") + raw.flush(), {"Content-Encoding": "deflate"}))
    site.route("/zlib", Answer(200, zlib.compress(b"<rss>zlib</rss>"), {"Content-Encoding": "deflate"}))
    assert fetch(f"{site.base}/raw", get_settings()).body == b"<rss>raw</rss>"
    assert fetch(f"{site.base}/zlib", get_settings()).body == b"<rss>zlib</rss>"
    monkeypatch.setenv("SYNDICATE_FETCH_MAX_BYTES", "10000")
    get_settings.cache_clear()
    site.route("/bomb", Answer(200, zlib.compress(b" " * 5_000_000), {"Content-Encoding": "deflate"}))
    with pytest.raises(TooLarge):
        fetch(f"{site.base}/bomb", get_settings())


def test_cookies_set_on_a_redirect_are_sent_after_it(site: Loopback) -> None:
    # Some sites set a session cookie and redirect to the page that wants it.
    site.route("/login", Answer(302, b"", {"Location": "/feed", "Set-Cookie": "session=abc; Path=/"}))
    site.route("/feed", Answer(200, b"<rss/>", {"Cache-Control": "max-age=60"}))
    with make_client(get_settings()) as client:
        assert fetch(f"{site.base}/login", get_settings(), client=client).body == b"<rss/>"
        assert fetch(f"{site.base}/feed", get_settings(), client=client).headers["cache-control"] == "max-age=60"
    assert "cookie" not in site.hits("/login")[0].headers
    assert [hit.headers.get("cookie") for hit in site.hits("/feed")] == ["session=abc", "session=abc"]


def test_private_addresses_are_refused_unless_allowed(site: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    site.route("/feed", Answer(200, b"<rss/>"))
    monkeypatch.setenv("SYNDICATE_ALLOW_HOSTS", "")
    get_settings.cache_clear()
    with pytest.raises(BlockedURL):
        fetch(f"{site.base}/feed", get_settings())
    with pytest.raises(BlockedURL):
        fetch("http://169.254.169.254/latest/meta-data/", get_settings())
    assert site.hits("/feed") == []
    monkeypatch.setenv("SYNDICATE_ALLOW_HOSTS", "127.0.0.0/8")
    get_settings.cache_clear()
    assert fetch(f"{site.base}/feed", get_settings()).status == 200


def test_redirect_into_a_private_address_is_refused(site: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_ALLOW_HOSTS", "localhost")
    get_settings.cache_clear()
    port = site.base.rsplit(":", 1)[1]
    site.route("/hop", Answer(302, b"", {"Location": f"http://127.0.0.1:{port}/inside"}))
    site.route("/inside", Answer(200, b"secret"))
    with pytest.raises(BlockedURL):
        fetch(f"http://localhost:{port}/hop", get_settings())
    assert site.hits("/inside") == []


def test_cache_headers() -> None:
    now = datetime(2025, 9, 18, 5, 0, tzinfo=UTC)
    assert freshness({"cache-control": "public, max-age=900"}, now) == 900
    assert freshness({"expires": "Thu, 18 Sep 2025 06:00:00 GMT"}, now) == 3600
    assert freshness({"cache-control": "no-cache", "expires": "Thu, 18 Sep 2025 06:00:00 GMT"}, now) is None
    assert retry_after("Thu, 18 Sep 2025 05:10:00 GMT", now) == 600
    assert retry_after("30", now) == 30
    assert retry_after("soon", now) is None
