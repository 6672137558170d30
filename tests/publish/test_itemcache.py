"""Feed items kept between render passes (syndicate/itemcache.py): every document a pass stores is byte for
byte what a pass with nothing kept renders, through changes to each input an item is built from; and an
unchanged release's items are not built again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from syndicate import itemcache, pipeline, syndication, translation
from syndicate.config import get_settings
from syndicate.itemcache import KeptByInputs
from syndicate.model import Summary
from syndicate.publish.fragments import FragmentCache
from syndicate.publish.items import FeedItem
from syndicate.store import feeds as feed_store
from syndicate.store import releases
from syndicate.store import summaries as summary_store
from syndicate.store import translations as translation_store
from syndicate.store.db import session
from syndicate.store.tables import FeedDocumentRow
from tests.publish import flow
from tests.translate.loopback import LoopbackServer, use_libre


@pytest.fixture
def translating(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    use_libre(monkeypatch, server.url, "en,ja")
    itemcache.clear()
    yield server
    server.stop()
    itemcache.clear()


def _stored() -> dict[tuple[str, str], bytes]:
    with session() as s:
        return {(d.scope, d.format): d.body for d in s.scalars(select(FeedDocumentRow))}


def _from_scratch(scope_key: str, fmt: str) -> bytes:
    """The document as a pass that keeps nothing renders it: no kept items or content, no fragments."""
    itemcache.clear()
    with session() as s:
        scope = syndication.Scope.parse(scope_key)
        changed = feed_store.scope_version(s, scope_key)
        assert changed is not None
        items = syndication.items_for(s, scope, syndication.RenderPass(s))
        return syndication._render(scope, syndication.FORMATS[fmt], changed[1], items)[0]


def _versions() -> dict[tuple[str, str], int]:
    with session() as s:
        return feed_store.rendered_versions(s)


def _render_and_compare() -> dict[tuple[str, str], bytes]:
    """Render what is stale; every document this pass wrote must equal a render from scratch. (Documents it
    did not write are not compared: a scope nothing touched keeps its rendering, e.g. the old category's after
    a correction moved the release, until that scope changes again; that is not this cache's doing.)"""
    before = _versions()
    assert syndication.render_stale() > 0
    written = {key for key, version in _versions().items() if version > before.get(key, -1)}
    stored = _stored()
    kept = (dict(itemcache.CONTENT._entries), dict(itemcache.ITEMS._entries), dict(itemcache.TRANSLATIONS._entries))
    shown = (dict(itemcache.SHOWN._scopes), itemcache.SHOWN._count.copy())
    fragments = (dict(itemcache.FRAGMENTS._fragments), itemcache.FRAGMENTS.size)
    for scope_key, fmt in written:
        assert stored[(scope_key, fmt)] == _from_scratch(scope_key, fmt), (scope_key, fmt)
    # Put back what the pass kept, so the next pass renders with it as a worker's would.
    itemcache.CONTENT._entries.update(kept[0])
    itemcache.ITEMS._entries.update(kept[1])
    itemcache.TRANSLATIONS._entries.update(kept[2])
    itemcache.SHOWN._scopes.update(shown[0])
    itemcache.SHOWN._count.update(shown[1])
    itemcache.FRAGMENTS._fragments.update(fragments[0])
    itemcache.FRAGMENTS.size = fragments[1]
    return stored


def _touch(release_id: str) -> None:
    with session() as s:
        feed_store.touch(s, syndication.scopes_for(releases.get(s, release_id)))


def test_documents_equal_a_pass_that_keeps_nothing_through_every_kind_of_change(
    translating: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = flow.publish("첫 번째 보도자료")
    _render_and_compare()
    second, _ = flow.publish("두 번째 보도자료")
    before = _render_and_compare()

    # A reviewed translation replaces the machine's: new text, no label.
    with session() as s:
        content = releases.get(s, first)
        version = releases.version(s, first, content.version).content
    assert version is not None
    translation.approve(first, "en", "Reviewed title", None, [f"Reviewed {i}" for i in version["paragraphs"]])
    after = _render_and_compare()
    assert b"Reviewed title" in after[("en", "rss")] and after[("en", "rss")] != before[("en", "rss")]

    # A correction: a new version, its own summary, another category.
    flow.run(pipeline.correct(first, agency_id=None, raw=flow.raw("고친 제목"), category="welfare")[1])
    after = _render_and_compare()
    assert "고친 제목".encode() in after[("ko", "rss")] and ("ko/categories/welfare", "rss") in after

    # The licence changed under the same version: credit runs again and rewrites that version's content in
    # place; a licence without derivatives also takes its translations and summaries away.
    flow.run(pipeline.override_licence(second, "KOGL-4", note=None, by="operator"))
    after = _render_and_compare()
    assert "공공누리 제4유형".encode() in after[("ko", "rss")]

    # Each input alone, its release row untouched: the translation shown, a summary, the stored content.
    with session() as s:
        row = releases.get(s, first)
        shown = translation_store.content(s, first, "ja")
        assert shown is not None
        translation_store.save(s, first, row.version, shown.model_copy(update={"title": "ja:差し替え"}))
    _touch(first)
    assert "ja:差し替え".encode() in _render_and_compare()[("ja", "rss")]
    with session() as s:
        row = releases.get(s, first)
        summary_store.save(s, first, row.version, Summary(language="ja", sentences=["ja:要約"], method="translated"))
    _touch(first)
    assert "ja:要約".encode() in _render_and_compare()[("ja", "rss")]
    with session() as s:
        row = releases.get(s, first)
        ver = releases.version(s, first, row.version)
        ver.content = {**(ver.content or {}), "title": "내용만 바뀐 제목"}
    _touch(first)
    assert "내용만 바뀐 제목".encode() in _render_and_compare()[("ko", "rss")]

    # The base URL is in every link.
    monkeypatch.setenv("SYNDICATE_BASE_URL", "https://feeds.example.org")
    get_settings.cache_clear()
    _touch(first)
    _touch(second)
    after = _render_and_compare()
    assert b"https://feeds.example.org/releases/" in after[("ko", "rss")]


def test_an_unchanged_release_is_not_built_again(translating: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = flow.publish("첫 번째 보도자료")
    syndication.render_stale()
    built: list[str] = []
    real = syndication.item_for

    def counting(row, ver, language, summary=None, known=None):  # type: ignore[no-untyped-def]
        built.append(row.id)
        return real(row, ver, language, summary, known)

    monkeypatch.setattr(syndication, "item_for", counting)
    second, _ = flow.publish("두 번째 보도자료")
    syndication.render_stale()
    assert built and set(built) == {second}
    built.clear()
    _touch(first)
    syndication.render_stale()
    assert built == []


def test_kept_values_hold_only_for_equal_inputs_and_the_oldest_go_first() -> None:
    kept: KeptByInputs[str, str] = KeptByInputs(2)
    kept.put("a", (1, [2]), "A")
    assert kept.get("a", (1, [2])) == "A"
    assert kept.get("a", (1, [3])) is None and kept.get("b", (1, [2])) is None
    kept.put("b", 1, "B")
    kept.get("a", (1, [2]))  # used: now the newest
    kept.put("c", 1, "C")
    assert kept.get("b", 1) is None and kept.get("a", (1, [2])) == "A" and kept.get("c", 1) == "C"


def test_a_release_leaves_the_caches_when_no_rendered_feed_shows_it(
    translating: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNDICATE_FEED_ITEMS", "2")
    get_settings.cache_clear()
    # Two agencies: the oldest of incheon's stays in incheon's feeds after the language-wide feeds drop it.
    first, _ = flow.publish("첫 번째 보도자료", agency="incheon", category=None)
    second, _ = flow.publish("두 번째 보도자료", agency="seoul", category=None)
    syndication.render_stale()
    kept = itemcache.ITEMS.releases()
    assert kept == {first, second} and itemcache.CONTENT.releases() == {first, second}
    fragments = len(itemcache.FRAGMENTS)
    assert fragments > 0

    third, _ = flow.publish("세 번째 보도자료", agency="seoul", category=None)
    _render_and_compare()
    # `first` left the language-wide feeds but still leads incheon's: it stays.
    assert itemcache.ITEMS.releases() == {first, second, third}

    fourth, _ = flow.publish("네 번째 보도자료", agency="seoul", category=None)
    fifth, _ = flow.publish("다섯 번째 보도자료", agency="incheon", category=None)
    _render_and_compare()
    # `second` is in no feed any more (seoul's shows the third and fourth, every language-wide one the newest
    # two); everything kept for it is gone, its fragments included, and nothing else.
    assert itemcache.ITEMS.releases() == {first, third, fourth, fifth}
    assert itemcache.CONTENT.releases() == {first, third, fourth, fifth}
    assert itemcache.TRANSLATIONS.releases() == {first, third, fourth, fifth}
    assert second not in itemcache.SHOWN
    hashes = {built.key for _, built in itemcache.ITEMS._entries.values() if built.key is not None}
    assert set(itemcache.FRAGMENTS._fragments) == hashes

    # A pass after the cleanup renders what a pass from scratch renders (compared inside).
    flow.publish("여섯 번째 보도자료", agency="seoul", category=None)
    _render_and_compare()


def test_shown_by_counts_every_scope_a_release_is_in() -> None:
    shown = itemcache.ShownBy()
    assert shown.show({"ko": ["a", "b"], "ko/agencies/x": ["a"]}) == set()
    assert shown.show({"ko": ["b", "c"]}) == set()  # `a` is still in x's feed
    assert shown.show({"ko/agencies/x": ["c"]}) == {"a"}
    # Leaving one scope and entering another in the same pass is not leaving.
    assert shown.show({"ko": ["c"], "ko/agencies/x": ["b", "c"]}) == set()
    assert "b" in shown and "a" not in shown


def test_dropped_values_are_told_whether_replaced_evicted_or_forgotten() -> None:
    dropped: list[str] = []
    kept: KeptByInputs[tuple[str, int], str] = KeptByInputs(2, on_drop=dropped.append)
    kept.put(("r1", 1), 1, "A")
    kept.put(("r1", 1), 2, "A2")  # replaced
    kept.put(("r2", 1), 1, "B")
    kept.put(("r3", 1), 1, "C")  # evicts the oldest
    assert dropped == ["A", "A2"]
    kept.forget({"r3"})
    assert dropped == ["A", "A2", "C"] and kept.releases() == {"r2"}


def test_fragments_are_kept_by_item_and_discarded_with_it() -> None:
    cache = FragmentCache(max_bytes=10)
    serialize = {"rss": lambda item: b"rss", "json": lambda item: b"json!"}
    item = FeedItem.model_construct()
    assert cache.get("rss", b"k1", item, serialize["rss"]) == b"rss"
    assert cache.get("json", b"k1", item, serialize["json"]) == b"json!"
    assert cache.size == 8 and len(cache) == 1
    cache.get("rss", b"k2", item, serialize["rss"])  # 11 bytes: the least recent item goes, both its formats
    assert cache.size == 3 and len(cache) == 1
    cache.discard([b"k2", b"unknown"])
    assert cache.size == 0 and len(cache) == 0
