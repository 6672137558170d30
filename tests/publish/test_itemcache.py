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
    kept = (dict(itemcache.CONTENT._entries), dict(itemcache.ITEMS._entries))
    for scope_key, fmt in written:
        assert stored[(scope_key, fmt)] == _from_scratch(scope_key, fmt), (scope_key, fmt)
    # Put back what the pass kept, so the next pass renders with it as a worker's would.
    itemcache.CONTENT._entries.update(kept[0])
    itemcache.ITEMS._entries.update(kept[1])
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
