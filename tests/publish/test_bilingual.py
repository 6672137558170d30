"""Bilingual feeds and partner pushes with real translations (the translate stage through a loopback
LibreTranslate), in-process: ko+en items carry the original beside the translation; partners get their language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest
from sqlalchemy import select

from syndicate import delivery, syndication
from syndicate import partners as partners_module
from syndicate.store import deliveries as store
from syndicate.store.db import session
from syndicate.store.tables import FeedDocumentRow
from tests.publish import flow
from tests.publish.schemas import errors, jsonfeed_validator, ninjs_validator
from tests.translate.loopback import LoopbackServer, use_libre


@pytest.fixture
def translating(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    use_libre(monkeypatch, server.url, "en")
    yield server
    server.stop()


def test_bilingual_feeds_carry_original_and_translation(translating: LoopbackServer, client: Any) -> None:
    release_id, _ = flow.publish()
    from syndicate.store import releases

    with session() as s:
        assert syndication.languages_of(releases.get(s, release_id)) == ["ko", "en"]
    for filename in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse(client.get(f"/feeds/ko+en/{filename}").content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        (entry,) = parsed.entries
        content = entry.content[0].value
        assert entry.title.startswith("en:")  # the loopback provider's deterministic translation
        assert "인천시, 청년 일자리 1만 개 만든다" in content and "Machine translation" in content
        assert 'lang="ko"' in content and 'lang="en"' in content
        hreflang = {link.hreflang: link.href for link in entry.links if link.get("hreflang")}
        assert hreflang["ko"] == f"http://testserver/releases/{release_id}"
        assert hreflang["en"] == f"http://testserver/releases/{release_id}?lang=en"
    feed = client.get("/feeds/ko+en/feed.json").json()
    assert errors(jsonfeed_validator(), feed) == []
    assert feed["language"] == "en" and feed["items"][0]["_syndicate"]["original"]["language"] == "ko"
    assert feed["items"][0]["_syndicate"]["machine_translation_label"].startswith("Machine translation")
    english = feedparser.parse(client.get("/feeds/en/rss.xml").content)
    assert [e.title for e in english.entries] == [entry.title]


def test_partner_gets_its_language_with_the_label(translating: LoopbackServer) -> None:
    partner_id, _ = partners_module.add_partner(name="kyodo", url="http://127.0.0.1:9/k", languages=["en"])
    release_id, _ = flow.publish()
    with session() as s:
        (row,) = store.of_release(s, release_id)
        from syndicate.store import partners as partner_store
        from syndicate.store import releases

        release = releases.get(s, release_id)
        data = delivery.release_ninjs(
            release, releases.version(s, release_id, 1), partner_store.get(s, partner_id), status="published"
        )
    assert row.partner_id == partner_id
    assert data["language"] == "en" and str(data["edNote"]).startswith("Machine translation")
    assert "associations" not in data or all(a.get("rel") != "translation" for a in data["associations"])  # type: ignore[union-attr]
    assert errors(ninjs_validator("3"), json.loads(json.dumps(data))) == []


def test_a_render_pass_shows_each_language_its_own_summary(translating: LoopbackServer) -> None:
    """The pass fetches every language's summaries together: the translation's item must still show the
    summary in its language and its original the source language's, as a feed rendered on its own does."""
    from syndicate.store import feeds as feed_store
    from syndicate.store import summaries as summary_store

    release_id, _ = flow.publish()
    with session() as s:
        made = {row.language: row.sentences for row in summary_store.for_release(s, release_id)}
    assert set(made) == {"ko", "en"} and made["en"][0].startswith("en:")
    assert syndication.render_stale() > 0
    with session() as s:
        stored = {(d.scope, d.format): d.body for d in s.scalars(select(FeedDocumentRow))}
        for (scope_key, fmt), body in stored.items():
            scope = syndication.Scope.parse(scope_key)
            alone = syndication.items_for(s, scope, syndication.RenderPass(s))  # its own pass, one language
            changed = feed_store.scope_version(s, scope_key)
            assert changed is not None
            assert body == syndication._render(scope, syndication.FORMATS[fmt], changed[1], alone)[0], scope_key
    (item,) = json.loads(stored[("ko+en", "json")])["items"]
    # A bilingual item's summary gives both, the translation first.
    assert item["summary"] == " ".join(made["en"]) + "\n\n" + " ".join(made["ko"])
    assert item["_syndicate"]["original"]["summary"] == " ".join(made["ko"])
