"""Feeds as served: every format and scope, validators and 304s, WebSub links, OPML; newsboat reads them."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from syndicate import syndication
from syndicate.config import get_settings
from tests.conftest import wait_for
from tests.publish import flow
from tests.publish.schemas import errors, jsonfeed_validator

SCOPES = ["ko", "ko/agencies/incheon", "ko/categories/economy", "en", "ko+en", "ko+en/agencies/incheon"]
FILES = {"rss.xml": "application/rss+xml", "atom.xml": "application/atom+xml", "feed.json": "application/feed+json"}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SYNDICATE_WEBSUB_HUB", "https://hub.example.org/")
    get_settings.cache_clear()
    return "https://hub.example.org/"


@pytest.mark.parametrize("scope", SCOPES)
def test_every_scope_and_format_is_valid(hub: str, client: Any, scope: str) -> None:
    flow.publish()
    flow.publish('R&D & 특수문자 "따옴표" <보도자료>', category="culture")
    for filename, media_type in FILES.items():
        answer = client.get(f"/feeds/{scope}/{filename}")
        assert answer.status_code == 200, (scope, filename, answer.text)
        assert answer.headers["content-type"].startswith(media_type)
        self_url = f"http://testserver/feeds/{scope}/{filename}"
        assert f'<{self_url}>; rel="self"' in answer.headers["link"]
        assert f'<{hub}>; rel="hub"' in answer.headers["link"]
        assert answer.headers["cache-control"].startswith("public")
        if filename == "feed.json":
            feed = json.loads(answer.content)
            assert errors(jsonfeed_validator(), feed) == []
            assert feed["feed_url"] == self_url
            titles = [item["title"] for item in feed["items"]]
        else:
            parsed = feedparser.parse(answer.content)
            assert parsed.bozo == 0, (scope, filename, parsed.get("bozo_exception"))
            assert {link.rel: link.href for link in parsed.feed.links}["self"] == self_url
            titles = [entry.title for entry in parsed.entries]
        expected = [] if scope.startswith(("en", "ko+en")) else ["인천시, 청년 일자리 1만 개 만든다"]
        if scope in ("ko", "ko/agencies/incheon"):
            expected.insert(0, 'R&D & 특수문자 "따옴표" <보도자료>')
        assert titles == expected, (scope, filename)


def test_validators_give_304_and_a_change_gives_a_new_etag(client: Any) -> None:
    flow.publish()
    first = client.get("/feeds/ko/atom.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/feeds/ko/atom.xml", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feeds/ko/atom.xml", headers={"If-Modified-Since": modified}).status_code == 304
    flow.publish("두 번째 보도자료")
    # The API process serves a feed from memory for up to feedserve.FRESH_SECONDS before asking the database.
    wait_for(
        lambda: client.get("/feeds/ko/atom.xml", headers={"If-None-Match": etag}).status_code == 200,
        5,
        what="the change to reach the feed",
    )
    second = client.get("/feeds/ko/atom.xml", headers={"If-None-Match": etag})
    assert second.status_code == 200 and second.headers["etag"] != etag
    assert "두 번째 보도자료" in second.text


def test_feeds_are_rendered_once_per_change(client: Any) -> None:
    flow.publish()
    assert syndication.render_stale() > 0
    assert syndication.render_stale() == 0  # nothing changed: nothing rendered
    before = client.get("/feeds/ko/feed.json").headers["etag"]
    assert client.get("/feeds/ko/feed.json").headers["etag"] == before


def test_a_correction_to_another_category_leaves_the_old_categorys_feeds(client: Any) -> None:
    from syndicate import pipeline

    release_id, _ = flow.publish("인천시, 청년 일자리 1만 개 만든다", category="economy")
    syndication.render_stale()
    assert "청년 일자리".encode() in client.get("/feeds/ko/categories/economy/rss.xml").content
    corrected = flow.raw("인천시, 청년 주거 지원")
    flow.run(pipeline.correct(release_id, agency_id=None, raw=corrected, category="welfare")[1])
    syndication.render_stale()
    assert "청년".encode() not in client.get("/feeds/ko/categories/economy/rss.xml").content
    assert "청년 주거 지원".encode() in client.get("/feeds/ko/categories/welfare/rss.xml").content


@pytest.mark.parametrize(
    "path",
    ["ko+ko/rss.xml", "ko+/rss.xml", "+en/rss.xml", "ko+en/agencies/nowhere/rss.xml", "ko/feed.xml", "KO/rss.xml"],
)
def test_unknown_feeds_are_404(client: Any, path: str) -> None:
    assert client.get(f"/feeds/{path}").status_code == 404


def test_opml_lists_every_format_and_the_bilingual_feeds(client: Any) -> None:
    flow.publish()
    opml = client.get("/feeds.opml").text
    for filename in FILES:
        assert f"http://testserver/feeds/ko/{filename}" in opml
        assert f"http://testserver/feeds/ko+en/{filename}" in opml
        assert f"http://testserver/feeds/ko/agencies/incheon/{filename}" in opml


def _newsboat() -> str:
    """newsboat, installed from Debian if missing (the test fails, never skips, when it cannot be had)."""
    found = shutil.which("newsboat")
    if found is None and os.geteuid() == 0 and Path("/etc/debian_version").exists():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # One installer at a time (pytest -n runs tests in parallel processes; dpkg takes one lock).
        with open("/tmp/syndicate-newsboat-install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if shutil.which("newsboat") is None:
                install = ["apt-get", "install", "-y", "-qq", "newsboat"]
                if subprocess.run(install, env=env, check=False, timeout=900).returncode != 0:
                    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=900)
                    subprocess.run(install, env=env, check=False, timeout=900)
        found = shutil.which("newsboat")
    assert found, "newsboat is not installed and could not be installed (apt-get install newsboat)"
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("filename", ["rss.xml", "atom.xml"])
def test_newsboat_reads_the_served_feed(api_server: str, tmp_path: Path, filename: str) -> None:
    """A real reader: newsboat fetches the feed over HTTP and stores what it understood in its cache."""
    newsboat = _newsboat()
    flow.publish()
    flow.publish('R&D & "위험한" <제목>', category="culture")
    url = f"{api_server}/feeds/ko/{filename}"
    assert httpx.get(url).status_code == 200
    (tmp_path / "urls").write_text(url + "\n")
    cache = tmp_path / "cache.db"
    done = subprocess.run(
        [newsboat, "-u", str(tmp_path / "urls"), "-c", str(cache), "-C", "/dev/null", "-x", "reload"],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(cache) as db:
        items = db.execute("SELECT title, author, url, guid, content FROM rss_item ORDER BY title").fetchall()
        feeds = db.execute("SELECT title FROM rss_feed").fetchall()
    assert feeds == [("syndicate (ko)",)]
    titles = sorted(row[0] for row in items)
    assert titles == sorted(['R&D & "위험한" <제목>', "인천시, 청년 일자리 1만 개 만든다"])
    for _title, author, link, guid, content in items:
        assert author == "Incheon Metropolitan City"
        assert link.startswith(f"{api_server}/releases/") and guid.startswith(f"{api_server}/releases/")
        assert "인천광역시" in content and "공공누리 제1유형" in content, content


def test_feed_directory_page_links_every_format(client: Any) -> None:
    flow.publish()
    page = client.get("/feeds")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for filename in FILES:
        for scope in ("ko", "ko+en", "ko/categories/economy", "ko/agencies/incheon"):
            assert f'href="http://testserver/feeds/{scope}/{filename}"' in page.text


def test_concurrent_first_renders_of_a_feed_do_not_fail(database: str) -> None:
    """The render task and a reader's request may render the same document at once: both succeed."""
    from concurrent.futures import ThreadPoolExecutor

    flow.publish()
    for attempt in range(5):
        flow.publish(f"동시 렌더 {attempt}")  # the scope changes: every document is stale again
        with ThreadPoolExecutor(8) as pool:
            docs = list(pool.map(lambda _: syndication.get_document("ko", "atom.xml"), range(8)))
        assert len({d.etag for d in docs}) == 1


def test_a_document_rendered_again_from_the_same_inputs_has_the_same_etag(database: str) -> None:
    """ETags are made from a document's inputs (format, metadata, item hashes), not by hashing its bytes: the
    same inputs, rendered afresh in a process that kept nothing, give the same bytes and the same ETag."""
    from sqlalchemy import delete

    from syndicate import itemcache
    from syndicate.store.db import session
    from syndicate.store.tables import FeedDocumentRow

    flow.publish()
    flow.publish("두 번째 보도자료")
    syndication.render_stale()
    before = {f: syndication.get_document("ko", f) for f in FILES}
    itemcache.clear()
    syndication.FRAGMENTS.clear()
    with session() as s:
        s.execute(delete(FeedDocumentRow))
    for f in FILES:
        again = syndication.get_document("ko", f)  # rendered on read, same scope version
        assert again.body == before[f].body and again.etag == before[f].etag
    assert len({doc.etag for doc in before.values()}) == len(FILES)
    flow.publish("세 번째 보도자료")
    assert syndication.get_document("ko", "rss.xml").etag != before["rss.xml"].etag
