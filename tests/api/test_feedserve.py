"""The feeds' hot path: validators, 304, HEAD, errors, and changes showing within a second."""

from __future__ import annotations

import time
from typing import Any

from syndicate import pipeline
from syndicate.api import feedserve
from syndicate.model import RawRelease
from tests.conftest import wait_for


def _publish(title: str) -> None:
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=RawRelease(title=title, body="본문."))
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, 1)


def test_validators_and_conditional_get(client: Any) -> None:
    first = client.get("/feeds/ko/rss.xml")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/rss+xml")
    assert first.headers["cache-control"] == "public, max-age=60"
    assert 'rel="self"' in first.headers["link"]
    assert int(first.headers["content-length"]) == len(first.content)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    not_modified = client.get("/feeds/ko/rss.xml", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    # A 304 carries the validators and caching fields, not the representation's metadata (RFC 9110, 15.4.5).
    assert not_modified.headers["etag"] == etag and not_modified.headers["cache-control"] == "public, max-age=60"
    assert not_modified.headers["last-modified"] == modified
    assert "content-type" not in not_modified.headers and "link" not in not_modified.headers
    assert client.get("/feeds/ko/rss.xml", headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get("/feeds/ko/rss.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/feeds/ko/rss.xml", headers={"If-Modified-Since": modified}).status_code == 304
    head = client.head("/feeds/ko/rss.xml")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


def test_errors_are_json_and_feeds_are_read_only(client: Any) -> None:
    missing = client.get("/feeds/ko/agencies/atlantis/rss.xml")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert client.get("/feeds/ko/nothing.txt").status_code == 404
    assert client.get("/feeds/../../etc/passwd").status_code == 404
    assert client.post("/feeds/ko/rss.xml").status_code == 405


def test_a_change_shows_within_the_freshness_interval(client: Any, monkeypatch: Any) -> None:
    before = client.get("/feeds/ko/rss.xml")
    _publish("새로 나온 보도자료")
    deadline = time.monotonic() + feedserve.FRESH_SECONDS + 1
    while "새로 나온 보도자료" not in client.get("/feeds/ko/rss.xml").text:
        assert time.monotonic() < deadline, "the feed did not change in time"
        time.sleep(0.05)
    after = client.get("/feeds/ko/rss.xml")
    assert after.headers["etag"] != before.headers["etag"]


def test_the_cache_is_bounded(database: str) -> None:
    cache = feedserve.FeedCache(size=3)
    for i in range(5):
        cache.get(f"ko/categories/c{i}/rss.xml")
    assert list(cache.entries) == [f"ko/categories/c{i}/rss.xml" for i in (2, 3, 4)]


def test_a_rendering_announced_on_redis_shows_at_once(database: str, broker: str) -> None:
    import threading

    from workers.tasks.pipeline import render

    cache = feedserve.FeedCache(fresh=3600)  # the freshness check alone would hide the change for an hour
    stop = threading.Event()
    listener = threading.Thread(target=feedserve.listen, args=(cache, stop), daemon=True)
    listener.start()
    try:
        wait_for(lambda: cache.generation >= 1, 10, what="listener subscribed")
        assert b"announced release" not in cache.get("ko/rss.xml").doc.body
        _publish("announced release")
        assert b"announced release" not in cache.get("ko/rss.xml").doc.body, "served from memory until told"
        generation = cache.generation
        render()  # the render task, run here: renders, commits, announces
        wait_for(lambda: cache.generation > generation, 10, what="announcement received")
        # The listener loaded the new rendering itself: the next request finds it current, without a query.
        wait_for(lambda: _current_body(cache, "ko/rss.xml", b"announced release"), 10, what="refreshed entry")
        assert b"announced release" in cache.get("ko/rss.xml").doc.body
    finally:
        stop.set()
        listener.join(5)


def _current_body(cache: feedserve.FeedCache, path: str, text: bytes) -> bool:
    entry = cache.fresh_entry(path)
    return entry is not None and text in entry.doc.body


def test_a_refresh_loads_changed_feeds_and_leaves_unrendered_ones_to_their_request(database: str) -> None:
    from syndicate import syndication

    cache = feedserve.FeedCache(fresh=3600)
    for path in ("ko/rss.xml", "ko/atom.xml", "ko/categories/culture/rss.xml"):
        cache.get(path)
    _publish("렌더링된 보도자료")  # touches ko (and no culture category)
    syndication.render_stale()
    unchanged = cache.entries["ko/categories/culture/rss.xml"]
    cache.changed()
    cache.refresh()
    # Changed and rendered: loaded; unchanged: still current, the very same entry.
    assert _current_body(cache, "ko/rss.xml", "렌더링된 보도자료".encode())
    assert _current_body(cache, "ko/atom.xml", "렌더링된 보도자료".encode())
    assert cache.fresh_entry("ko/categories/culture/rss.xml") is unchanged
    # Changed but not rendered yet: left for its next request, which renders it (get_document).
    _publish("아직 렌더링 전")
    cache.changed()
    cache.refresh()
    assert cache.fresh_entry("ko/rss.xml") is None
    assert "아직 렌더링 전" in cache.get("ko/rss.xml").doc.body.decode()


def test_the_announcement_listener_stops_with_the_app(database: str, broker: str) -> None:
    """An app that shuts down (lifespan) takes its listener thread with it: left running, it answered later
    announcements with queries under whatever settings were current then."""
    import threading

    from fastapi.testclient import TestClient

    from syndicate.api.app import create_app

    def listeners() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "feed-announcements" and t.is_alive())

    before = listeners()
    with TestClient(create_app()) as client:
        assert client.get("/feeds/ko/rss.xml").status_code == 200
        assert listeners() == before + 1
    assert listeners() == before


def test_a_feed_rendered_on_request_does_not_stall_other_requests(database: str, monkeypatch: Any) -> None:
    """A feed whose render pass has not stored it yet is rendered for its request (get_document); that takes
    tens of milliseconds on a large feed, and other requests on the same event loop must not wait for it."""
    import asyncio
    import threading

    import httpx

    from syndicate import syndication
    from syndicate.api.app import create_app

    rendering, release = threading.Event(), threading.Event()
    get_document = syndication.get_document

    def slow_render(scope: str, filename: str) -> syndication.Document:
        if scope == "ko":
            rendering.set()
            release.wait(5)  # a render that takes as long as the test needs
        return get_document(scope, filename)

    app = feedserve.FeedFastPath(create_app())

    async def check() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/feeds/ko/agencies/incheon/rss.xml")).status_code == 200  # cached from here
            monkeypatch.setattr(syndication, "get_document", slow_render)
            slow = asyncio.create_task(client.get("/feeds/ko/rss.xml"))
            while not rendering.is_set():
                await asyncio.sleep(0.01)
            started = time.monotonic()
            # Held fresh: answered from memory; and the API's own routes: both while the render goes on.
            assert (await client.get("/feeds/ko/agencies/incheon/rss.xml")).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
            assert time.monotonic() - started < 2 and not slow.done()
            release.set()
            assert (await slow).status_code == 200

    try:
        asyncio.run(check())
    finally:
        release.set()
        app.feeds.stop()
