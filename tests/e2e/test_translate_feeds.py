"""Translations end to end: a real worker translates through a LibreTranslate-speaking server on 127.0.0.1,
the English feed gains the labelled item; with the server down the release still publishes in Korean, and the
retry task fills in English once the server is back."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import httpx
import pytest

from syndicate.config import get_settings
from tests.conftest import free_port, wait_for
from tests.translate.loopback import LoopbackServer

pytestmark = pytest.mark.e2e

BODY = {
    "title": "인천광역시, 2026년 청년 일자리 1만 개 만든다",
    "body": "인천광역시는 25일 청년 일자리 계획을 발표했다.\n\n시는 올해 1만 개의 일자리를 만든다.",
    "category": "economy",
}


@pytest.fixture
def libre_port(monkeypatch: pytest.MonkeyPatch) -> int:
    port = free_port()
    monkeypatch.setenv("SYNDICATE_LANGUAGES", "en")
    monkeypatch.setenv("SYNDICATE_TRANSLATORS", "libre")
    monkeypatch.setenv("SYNDICATE_LIBRETRANSLATE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_BACKOFF", "0.05")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_TIMEOUT", "3")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_RETRY_AFTER", "0.5")
    get_settings.cache_clear()
    return port


@pytest.fixture
def libre(libre_port: int) -> Iterator[LoopbackServer]:
    server = LoopbackServer(libre_port).start()
    yield server
    server.stop()


def _post(base: str, key: str) -> str:
    answer = httpx.post(f"{base}/api/v1/releases", json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _release(base: str, release_id: str, key: str) -> dict:
    answer = httpx.get(f"{base}/api/v1/releases/{release_id}", headers={"Authorization": f"Bearer {key}"})
    return answer.json()  # type: ignore[no-any-return]


def _entries(base: str, path: str) -> list:
    feed = feedparser.parse(httpx.get(base + path).content)
    assert feed.bozo == 0, (path, feed.bozo_exception)
    return list(feed.entries)


def test_the_english_feed_gains_the_translated_item(
    libre: LoopbackServer, api_server: str, worker: object, agency_key: object
) -> None:
    key = agency_key("incheon")  # type: ignore[operator]
    release_id = _post(api_server, key)
    wait_for(lambda: len(_entries(api_server, "/feeds/en/rss.xml")) == 1, 40, what="English item")
    entry = _entries(api_server, "/feeds/en/rss.xml")[0]
    assert entry.title.startswith("en:")
    content = entry.content[0].value
    assert f"Machine translation from Korean; original: {api_server}/releases/{release_id}" in content
    assert "Incheon Metropolitan City" in content
    assert len(_entries(api_server, "/feeds/en/agencies/incheon/rss.xml")) == 1
    assert len(_entries(api_server, "/feeds/ko/rss.xml")) == 1
    translations = _release(api_server, release_id, key)["translations"]
    assert [(t["language"], t["provider"], t["pending"]) for t in translations] == [("en", "libre", False)]


def test_provider_down_publishes_korean_and_english_fills_in_later(
    libre_port: int, api_server: str, worker: object, agency_key: object
) -> None:
    from workers.celery_app import app

    key = agency_key("incheon")  # type: ignore[operator]
    release_id = _post(api_server, key)
    wait_for(lambda: _release(api_server, release_id, key)["status"] == "published", 40, what="published")
    assert [e.title for e in _entries(api_server, "/feeds/ko/rss.xml")] == [BODY["title"]]
    assert _entries(api_server, "/feeds/en/rss.xml") == []
    pending = _release(api_server, release_id, key)["translations"]
    assert [(t["language"], t["pending"]) for t in pending] == [("en", True)]

    server = LoopbackServer(libre_port).start()
    try:

        def filled() -> bool:
            app.send_task("syndicate.pipeline.retry_translations")  # what the beat does every 30 s
            return len(_entries(api_server, "/feeds/en/rss.xml")) == 1

        wait_for(filled, 40, interval=1.0, what="English item after the retry")
    finally:
        server.stop()
    assert _release(api_server, release_id, key)["translations"][0]["pending"] is False
