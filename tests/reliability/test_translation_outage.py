"""Every translation provider down: releases publish in their own language at once, with their translations
pending; when a provider comes back, the beat's retry sweep fills every translation in.

Real processes: `syndicate up` (API, pipeline worker, beat) on the test database and broker, and two loopback
providers speaking the real APIs (LibreTranslate's /translate, an OpenAI-compatible /v1/chat/completions) that
first refuse connections (nothing listens on their ports). Then the OpenAI-compatible one returns; LibreTranslate
stays down, so the chain must fall through to it. The beat's sweeps run on a clock compressed ten times
(SYNDICATE_TIME_SCALE=0.1: the translation retry sweep every 3 s instead of 30 s), and pending translations are
retried after 1 s, doubling to 4 s.
"""

from __future__ import annotations

import time
from typing import Any

import feedparser
import httpx
import pytest

from syndicate.config import get_settings
from tests.conftest import figure, free_port, wait_for
from tests.reliability.conftest import Service
from tests.translate.loopback import LoopbackServer

pytestmark = pytest.mark.slow

RELEASES = 8
LANGUAGES = ("en", "ja")


@pytest.fixture
def provider_ports(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    libre, openai = free_port(), free_port()
    monkeypatch.setenv("SYNDICATE_LANGUAGES", ",".join(LANGUAGES))
    monkeypatch.setenv("SYNDICATE_TRANSLATORS", "libre,openai")
    monkeypatch.setenv("SYNDICATE_LIBRETRANSLATE_URL", f"http://127.0.0.1:{libre}")
    monkeypatch.setenv("SYNDICATE_OPENAI_BASE_URL", f"http://127.0.0.1:{openai}/v1")
    monkeypatch.setenv("SYNDICATE_OPENAI_API_KEY", "sk-loopback-0123456789")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_ATTEMPTS", "2")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_BACKOFF", "0.05")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_TIMEOUT", "3")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_RETRY_AFTER", "1")
    monkeypatch.setenv("SYNDICATE_TRANSLATE_RETRY_MAX", "4")
    monkeypatch.setenv("SYNDICATE_TIME_SCALE", "0.1")
    monkeypatch.setenv("SYNDICATE_SUBMIT_PER_MINUTE", "0")
    get_settings.cache_clear()
    return libre, openai


def _submit(base: str, key: str, i: int) -> str:
    body = {
        "title": f"번역 장애 중 보도자료 {i}",
        "body": f"인천광역시는 {i}일 계획을 발표했다.\n\n시는 올해 일자리 {i}천 개를 만든다.",
        "category": "economy",
    }
    answer = httpx.post(f"{base}/api/v1/releases", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _release(base: str, key: str, release_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}/api/v1/releases/{release_id}", headers={"Authorization": f"Bearer {key}"})
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]


def _feed_ids(base: str, language: str, ids: list[str]) -> set[str]:
    """Which of the releases the language's RSS feed carries."""
    feed = feedparser.parse(httpx.get(f"{base}/feeds/{language}/rss.xml").content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    text = " ".join(f"{e.get('id', '')} {e.get('link', '')}" for e in feed.entries)
    return {i for i in ids if i in text}


def _translated(base: str, key: str, release_id: str) -> set[str]:
    return {t["language"] for t in _release(base, key, release_id)["translations"] if not t["pending"]}


def test_every_provider_down_publishes_the_original_then_fills_in(
    provider_ports: tuple[int, int], service: Service, agency_key: Any
) -> None:
    base, key = service.base, agency_key("incheon")
    ids = [_submit(base, key, i) for i in range(RELEASES)]

    def published() -> bool:
        return all(_release(base, key, i)["status"] == "published" for i in ids)

    wait_for(published, 120, interval=0.5, what="every release published in Korean")
    wait_for(lambda: _feed_ids(base, "ko", ids) == set(ids), 20, what="every release in the Korean feed")
    for release_id in ids:
        pending = {t["language"]: t["pending"] for t in _release(base, key, release_id)["translations"]}
        assert pending == dict.fromkeys(LANGUAGES, True), (release_id, pending)
    for language in LANGUAGES:
        assert _feed_ids(base, language, ids) == set(), language

    server = LoopbackServer(provider_ports[1]).start()
    back_at = time.monotonic()
    try:

        def filled() -> bool:
            return all(_translated(base, key, i) == set(LANGUAGES) for i in ids)

        try:
            wait_for(filled, 120, interval=0.25, what="every translation filled in")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{service.log()}") from None
        filled_at = time.monotonic()
        for language in LANGUAGES:
            wait_for(lambda lang=language: _feed_ids(base, lang, ids) == set(ids), 30, what=f"{language} feed")  # type: ignore[misc]
        in_feeds_at = time.monotonic()
    finally:
        server.stop()

    for release_id in ids:
        providers = {t["language"]: t["provider"] for t in _release(base, key, release_id)["translations"]}
        assert providers == dict.fromkeys(LANGUAGES, "openai"), (release_id, providers)
    assert server.state.total > 0
    assert service.alive(), service.log()
    lost = sum(len(set(LANGUAGES) - _translated(base, key, i)) for i in ids)
    figure("translation_outage.translations", RELEASES * len(LANGUAGES))
    figure("translation_outage.lost", lost)
    figure("translation_outage.recovery_s", f"{filled_at - back_at:.1f}")
    figure("translation_outage.recovery_to_feeds_s", f"{in_feeds_at - back_at:.1f}")
