"""RSS, Atom and JSON Feed renderings read back by feedparser (bozo 0) and checked against the JSON Feed schema."""

from __future__ import annotations

import json
from collections.abc import Callable

import feedparser
import pytest
from lxml import etree

from syndicate.publish.atom import render_atom
from syndicate.publish.items import FeedItem, FeedMeta
from syndicate.publish.jsonfeed import render_jsonfeed
from syndicate.publish.rss import render_rss
from tests.publish import samples
from tests.publish.schemas import errors, jsonfeed_validator

Renderer = Callable[[FeedMeta, list[FeedItem]], bytes]
XML_RENDERERS: dict[str, tuple[Renderer, str]] = {"rss": (render_rss, "rss.xml"), "atom": (render_atom, "atom.xml")}


def _cases() -> dict[str, tuple[str, list[FeedItem]]]:
    return {
        "ko": ("ko", [samples.original(1), samples.original(2)]),
        "en-translated": ("en", [samples.translation(1)]),
        "bilingual": ("ko+en", [samples.bilingual(1), samples.bilingual(2)]),
        "hostile": ("ko", [samples.original(3, title=samples.HOSTILE)]),
        "empty": ("ko/agencies/seoul", []),
    }


@pytest.mark.parametrize("case", list(_cases()))
@pytest.mark.parametrize("fmt", list(XML_RENDERERS))
def test_xml_feeds_parse_cleanly_and_carry_every_field(fmt: str, case: str) -> None:
    scope, items = _cases()[case]
    render, filename = XML_RENDERERS[fmt]
    body = render(samples.meta(scope, filename), items)
    etree.fromstring(body)  # well-formed XML
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == ("rss20" if fmt == "rss" else "atom10")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == f"http://testserver/feeds/{scope}/{filename}"
    assert links["hub"] == "http://127.0.0.1:9/hub"
    assert len(feed.entries) == len(items)
    for entry, item in zip(feed.entries, items, strict=True):
        assert entry.id == item.guid
        assert entry.title == item.title and entry.link == item.link
        assert entry.author == "Incheon Metropolitan City"
        assert entry.published_parsed[:5] == (2026, 11, 25, 8, 30)
        content = entry.content[0].value
        assert "인천광역시" in content and "licenseType1.do" in content
        assert ("출처: " if item.language == "ko" else "Source: ") in content
        assert [t.term for t in entry.tags] == ["economy"]
        enclosures = [link for link in entry.links if link.rel == "enclosure"]
        assert [e.href for e in enclosures] == [a.url for a in item.attachments]
        if item.label:
            assert "Machine translation from Korean" in content
        if item.original is not None:
            assert item.original.title in content and entry.title == item.title
            assert 'lang="ko"' in content and 'lang="en"' in content
            hreflangs = {link.get("hreflang"): link.href for link in entry.links if link.rel == "alternate"}
            assert hreflangs["ko"] == item.original.link
            assert hreflangs["en"] == item.link
        if fmt == "atom":
            assert entry.title_detail.language == item.language  # from xml:lang
            assert entry.rights.startswith("공공누리 제1유형" if item.language == "ko" else "KOGL Type 1")
            assert entry.source.link == item.original_url and entry.source.title == "인천광역시"


def test_hostile_title_is_escaped_not_interpreted() -> None:
    item = samples.original(3, title=samples.HOSTILE)
    for render, filename in XML_RENDERERS.values():
        body = render(samples.meta("ko", filename), [item])
        assert b"<script>" not in body
        assert feedparser.parse(body).entries[0].title == samples.HOSTILE
    feed = json.loads(render_jsonfeed(samples.meta("ko", "feed.json"), [item]))
    assert feed["items"][0]["title"] == samples.HOSTILE


def test_rss_dates_are_rfc822() -> None:
    body = render_rss(samples.meta(), [samples.original()])
    root = etree.fromstring(body)
    assert root.findtext("channel/item/pubDate") == "Wed, 25 Nov 2026 08:30:00 +0000"
    assert root.findtext("channel/lastBuildDate") == "Wed, 25 Nov 2026 08:30:00 +0000"


@pytest.mark.parametrize("case", list(_cases()))
def test_json_feed_is_valid_and_complete(case: str) -> None:
    scope, items = _cases()[case]
    body = render_jsonfeed(samples.meta(scope, "feed.json"), items)
    feed = json.loads(body)
    assert errors(jsonfeed_validator(), feed) == []
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == f"http://testserver/feeds/{scope}/feed.json"
    assert feed["hubs"] == [{"type": "WebSub", "url": "http://127.0.0.1:9/hub"}]
    # feedparser 6 does not read JSON Feed (that arrives in feedparser 7); the schema is the check here.
    for out, item in zip(feed["items"], items, strict=True):
        assert out["id"] == item.guid and out["language"] == item.language
        assert out["authors"] == [{"name": "Incheon Metropolitan City", "url": item.original_url}]
        ext = out["_syndicate"]
        assert ext["licence"]["id"] == "KOGL-1" and ext["via"] == "포탈뉴스통신"
        assert ext["agency"]["name"] == {"ko": "인천광역시", "en": "Incheon Metropolitan City"}
        assert ext["machine_translation_label"] == item.label
        assert [a["url"] for a in out.get("attachments", [])] == [a.url for a in item.attachments]
        if item.original is not None:
            assert ext["original"]["language"] == "ko" and ext["original"]["title"] == item.original.title
            assert ext["alternates"] == {"ko": item.original.link, "en": item.link}


def test_json_feed_schema_rejects_a_broken_feed() -> None:
    """The validator is not vacuous: an item without content fails."""
    feed = json.loads(render_jsonfeed(samples.meta(), [samples.original()]))
    del feed["items"][0]["content_html"]
    assert errors(jsonfeed_validator(), feed)
