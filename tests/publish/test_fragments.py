"""Feeds stitched from cached item fragments are exactly the documents lxml and json write whole, and a
changed item is always serialized again."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from lxml import etree

from syndicate.publish import atom, jsonfeed, rss
from syndicate.publish.fragments import FragmentCache, item_key
from syndicate.publish.items import FeedItem
from tests.publish import samples


def _items() -> list[FeedItem]:
    return [
        samples.original(1),
        samples.translation(2),
        samples.bilingual(3),
        samples.original(4, title=samples.HOSTILE),
    ]


def _cached(cache: FragmentCache, calls: list[str]) -> Callable[[str, FeedItem, Callable[[FeedItem], bytes]], bytes]:
    def fragment(kind: str, item: FeedItem, serialize: Callable[[FeedItem], bytes]) -> bytes:
        def counted(it: FeedItem) -> bytes:
            calls.append(it.guid)
            return serialize(it)

        return cache.get(kind, item_key(item), item, counted)

    return fragment


def _whole_rss(items: list[FeedItem]) -> bytes:
    tree = etree.fromstring(rss.render_rss(samples.meta(), []))
    for item in items:
        rss._item(tree[0], item)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def _whole_atom(items: list[FeedItem]) -> bytes:
    tree = etree.fromstring(atom.render_atom(samples.meta(filename="atom.xml"), []))
    for item in items:
        atom._entry(tree, item)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


@pytest.mark.parametrize(("render", "whole"), [(rss.render_rss, _whole_rss), (atom.render_atom, _whole_atom)])
def test_stitched_xml_is_byte_for_byte_the_whole_tree(render: Callable, whole: Callable) -> None:  # type: ignore[type-arg]
    items = _items()
    meta = samples.meta(filename="atom.xml" if render is atom.render_atom else "rss.xml")
    cache, calls = FragmentCache(), []
    first = render(meta, items, _cached(cache, calls))
    assert first == render(meta, items) == whole(items)
    etree.fromstring(first)  # well-formed, namespaces declared once at the top
    assert len(calls) == len(items)
    assert render(meta, items, _cached(cache, calls)) == first
    assert len(calls) == len(items), "the second rendering reused every fragment"


def test_stitched_json_is_the_whole_feed() -> None:
    items = _items()
    out = jsonfeed.render_jsonfeed(samples.meta(filename="feed.json"), items, _cached(FragmentCache(), []))
    parsed = json.loads(out)
    assert parsed["items"] == [jsonfeed._item(item) for item in items]
    assert parsed["version"] == jsonfeed.VERSION and parsed["feed_url"].endswith("/feeds/ko/feed.json")
    assert json.loads(jsonfeed.render_jsonfeed(samples.meta(filename="feed.json"), [])) | {"items": []} == {
        **{k: v for k, v in parsed.items() if k != "items"},
        "items": [],
    }


def test_any_change_to_an_item_serializes_it_again() -> None:
    cache, calls = FragmentCache(), []
    item = samples.original(1)
    rss.render_rss(samples.meta(), [item], _cached(cache, calls))
    retitled = item.model_copy(update={"title": "정정된 제목"})
    relicensed = item.model_copy(
        update={"credit": item.credit.model_copy(update={"licence": samples.licence("KOGL-4", "agency")})}
    )
    out_title = rss.render_rss(samples.meta(), [retitled], _cached(cache, calls))
    out_licence = rss.render_rss(samples.meta(), [relicensed], _cached(cache, calls))
    assert len(calls) == 3
    assert "정정된 제목".encode() in out_title
    assert out_licence == _whole_rss([relicensed]) != _whole_rss([item])


def test_the_cache_is_bounded_in_bytes() -> None:
    cache = FragmentCache(max_bytes=3000)
    for n in range(20):
        item = samples.original(n)
        cache.get("rss", item_key(item), item, rss.item_bytes)
    assert 0 < cache.size <= 3000
