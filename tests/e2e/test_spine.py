"""A release from a comms team's POST to the RSS feed, through a real worker on a real broker and database."""

from __future__ import annotations

import time

import feedparser
import httpx
import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.e2e


def _status(base: str, release_id: str, key: str) -> str:
    answer = httpx.get(f"{base}/api/v1/releases/{release_id}", headers={"Authorization": f"Bearer {key}"})
    answer.raise_for_status()
    return str(answer.json()["status"])


def test_submission_reaches_the_rss_feeds(api_server: str, worker: object, agency_key: object) -> None:
    key = agency_key("incheon")  # type: ignore[operator]
    body = {
        "title": "인천시, 2026년 청년 일자리 1만 개 만든다",
        "subtitle": "청년 고용 지원 확대",
        "body": "인천광역시는 25일 청년 일자리 계획을 발표했다.\n\n시는 올해 1만 개의 일자리를 만든다.",
        "category": "economy",
    }
    started = time.monotonic()
    answer = httpx.post(f"{api_server}/api/v1/releases", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    release_id = answer.json()["id"]
    assert answer.json()["status"] == "received"

    try:
        wait_for(lambda: _status(api_server, release_id, key) == "published", 60, what="published")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; status {_status(api_server, release_id, key)}\n{worker.output()[-5000:]}"
        ) from None  # type: ignore[attr-defined]
    seconds = time.monotonic() - started

    for path in ("/feeds/ko/rss.xml", "/feeds/ko/agencies/incheon/rss.xml", "/feeds/ko/categories/economy/rss.xml"):
        feed = feedparser.parse(httpx.get(api_server + path).content)
        assert feed.bozo == 0, (path, feed.bozo_exception)
        titles = [entry.title for entry in feed.entries]
        assert body["title"] in titles, (path, titles)
        entry = feed.entries[titles.index(body["title"])]
        assert "Incheon Metropolitan City" in entry.author
        assert "인천광역시" in entry.content[0].value
    other = feedparser.parse(httpx.get(api_server + "/feeds/ko/agencies/seoul/rss.xml").content)
    assert body["title"] not in [e.title for e in other.entries]

    release = httpx.get(f"{api_server}/api/v1/releases/{release_id}").json()
    stages = [event["stage"] for event in release["events"]]
    assert stages[0] == "received" and stages[-1] == "published", stages
    assert release["release"]["credit"]["agency"]["name"]["en"] == "Incheon Metropolitan City"

    opml = httpx.get(f"{api_server}/feeds.opml").text
    assert f"{api_server}/feeds/ko/agencies/incheon/rss.xml" in opml
    print(f"seconds from POST to published: {seconds:.3f}")
