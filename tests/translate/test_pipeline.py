"""The translate step in the pipeline, on a real database, against the loopback LibreTranslate server:
translations stored per language, feeds in those languages, pending when every provider fails and filled in
by the retry, the licence gate, reviewed translations kept across corrections."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import feedparser
import pytest

from syndicate import pipeline, syndication, translation
from syndicate.model import RawRelease
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store import translations as translation_store
from syndicate.store.db import session
from syndicate.store.tables import utcnow
from tests.translate.loopback import LoopbackServer, use_libre

BODY = "인천광역시는 25일 청년 일자리 계획을 발표했다.\n\n시는 올해 1만 개의 일자리를 만든다."


@pytest.fixture
def configured(database: str, provider: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServer]:
    use_libre(monkeypatch, provider.url, "en,ja", TRANSLATE_BACKOFF="0.01")
    yield provider


def submit(licence: str | None = None, body: str = BODY) -> str:
    raw = RawRelease(title="인천광역시, 청년 일자리 1만 개", body=body, body_is_html=False, language="ko")
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw, category="economy", licence_id=licence)
    return release_id


def run(release_id: str, version: int = 1) -> None:
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, version)


def feed(scope: str) -> feedparser.FeedParserDict:
    syndication.render_stale()
    return feedparser.parse(syndication.get_document(scope, "rss.xml").body)


def stages(release_id: str) -> list[str]:
    with session() as s:
        return [e.stage for e in store.events(s, release_id)]


def test_every_target_language_is_translated_and_fed(configured: LoopbackServer) -> None:
    release_id = submit()
    run(release_id)
    with session() as s:
        rows = {t.language: t for t in translation_store.for_release(s, release_id)}
        assert set(rows) == {"en", "ja"}
        assert not any(t.pending for t in rows.values())
        assert rows["en"].provider == "libre" and rows["en"].review == "machine"
        assert rows["en"].content is not None
        assert rows["en"].content["title"].startswith("en:")
        assert "Incheon Metropolitan City" in rows["en"].content["paragraphs"][0]
        assert "仁川広域市" in rows["ja"].content["paragraphs"][0]
    for scope in ("en", "en/agencies/incheon", "en/categories/economy", "ja", "ko"):
        entries = feed(scope).entries
        assert len(entries) == 1, scope
    entry = feed("en").entries[0]
    assert "Machine translation from Korean; original: http://testserver/releases/" in entry.content[0].value
    assert "Incheon Metropolitan City" in entry.content[0].value
    assert "translation_done" in stages(release_id)


def test_all_providers_down_publishes_the_original_and_the_retry_fills_in(configured: LoopbackServer) -> None:
    configured.state.fail(500, times=1000)
    release_id = submit()
    run(release_id)
    with session() as s:
        assert store.get(s, release_id).status == "published"
        rows = translation_store.for_release(s, release_id)
        assert {t.language for t in rows if t.pending} == {"en", "ja"}
    assert len(feed("ko").entries) == 1
    assert feed("en").entries == []
    assert "translation_pending" in stages(release_id)

    # Not due yet: nothing is retried.
    assert pipeline.retry_translations() == []
    configured.state.reset()
    later = utcnow() + timedelta(hours=2)
    scopes = pipeline.retry_translations(later)
    assert "en" in scopes and "ja/agencies/incheon" in scopes
    assert len(feed("en").entries) == 1 and len(feed("ja").entries) == 1
    with session() as s:
        assert not any(t.pending for t in translation_store.for_release(s, release_id))
        # The filled-in languages get their summary too, translated in the same request.
        summaries = {row.language: row for row in summary_store.for_release(s, release_id)}
    assert set(summaries) == {"ko", "en", "ja"}
    for lang in ("en", "ja"):
        assert summaries[lang].method == "translated" and summaries[lang].version == 1
        assert len(summaries[lang].sentences) == len(summaries["ko"].sentences)
        assert all(t.startswith(f"{lang}:") for t in summaries[lang].sentences)


def test_a_licence_without_derivatives_is_not_translated(configured: LoopbackServer) -> None:
    release_id = submit(licence="KOGL-4")
    run(release_id)
    assert configured.state.total == 0
    assert "licence_refused" in stages(release_id)
    assert feed("en").entries == []
    assert len(feed("ko").entries) == 1


def test_a_correction_resends_only_changed_segments_and_keeps_the_reviewed_text(
    configured: LoopbackServer,
) -> None:
    release_id = submit()
    run(release_id)
    first_calls = configured.state.total
    assert first_calls == 2  # one request per language, carrying the title and two paragraphs
    assert len(configured.state.received) == 2 * 3

    reviewed = translation.approve(
        release_id,
        "en",
        "Incheon to create 10,000 jobs for young people",
        None,
        ["Incheon Metropolitan City announced its youth jobs plan on the 25th.", "The city will create 10,000."],
    )
    assert reviewed.review == "approved"
    entry = feed("en").entries[0]
    assert entry.title == "Incheon to create 10,000 jobs for young people"
    assert "Machine translation" not in entry.content[0].value

    # A correction changes the second paragraph only.
    body = "인천광역시는 25일 청년 일자리 계획을 발표했다.\n\n시는 올해 2만 개의 일자리를 만든다."
    number, _ = pipeline.correct(
        release_id,
        agency_id="incheon",
        raw=RawRelease(title="인천광역시, 청년 일자리 1만 개", body=body, language="ko"),
    )
    run(release_id, number)
    assert configured.state.total == first_calls + 2  # the changed paragraph, in en and ja
    assert len(configured.state.received) == 2 * 3 + 2
    with session() as s:
        en = translation_store.content(s, release_id, "en")
    assert en is not None
    assert en.title == "Incheon to create 10,000 jobs for young people"
    assert en.paragraphs[0] == "Incheon Metropolitan City announced its youth jobs plan on the 25th."
    assert en.paragraphs[1].startswith("en:")
    assert en.review == "machine"  # part of it is the machine's again, so it is labelled


def test_one_languages_failure_does_not_block_the_others(configured: LoopbackServer) -> None:
    configured.state.broken_targets = {"ja"}
    release_id = submit()
    run(release_id)
    with session() as s:
        rows = {t.language: t for t in translation_store.for_release(s, release_id)}
    assert rows["en"].pending is False and rows["ja"].pending is True
    assert "500" in (rows["ja"].error or "") or "server error" in (rows["ja"].error or "")
    assert len(feed("en").entries) == 1
    assert feed("ja").entries == []


def test_pending_retries_back_off(configured: LoopbackServer) -> None:
    configured.state.fail(500, times=10_000)
    release_id = submit()
    run(release_id)

    def state() -> dict[str, tuple[int, datetime]]:
        with session() as s:
            rows = translation_store.for_release(s, release_id)
            assert rows and all(row.pending and row.next_attempt_at for row in rows)
            return {row.language: (row.attempts, row.next_attempt_at) for row in rows}  # type: ignore[misc]

    before = state()
    assert {attempts for attempts, _ in before.values()} == {1}
    assert pipeline.retry_translations(utcnow() + timedelta(hours=2)) == []
    after = state()
    # The sweep stopped at its first failure (the providers are down): that one backed off, the other waits.
    retried = [lang for lang in after if after[lang] != before[lang]]
    assert len(retried) == 1, (before, after)
    attempts, second = after[retried[0]]
    assert attempts == 2
    assert second > before[retried[0]][1] + timedelta(seconds=60)


def test_the_summary_is_translated_into_every_target_language(configured: LoopbackServer) -> None:
    from syndicate.store import summaries as summary_store

    release_id = submit()
    run(release_id)
    with session() as s:
        summaries = {row.language: row for row in summary_store.for_release(s, release_id)}
    assert set(summaries) == {"ko", "en", "ja"}
    assert summaries["ko"].method == "extractive"
    assert summaries["en"].method == summaries["ja"].method == "translated"
    assert len(summaries["en"].sentences) == len(summaries["ko"].sentences)
    # The glossary holds in the summary too: the official English name, exactly.
    assert any("Incheon Metropolitan City" in sentence for sentence in summaries["en"].sentences)
    # And the English feed's description is the English summary.
    assert "Incheon Metropolitan City" in feed("en").entries[0].summary


def test_the_summary_goes_to_the_providers_in_the_same_round_as_the_release(configured: LoopbackServer) -> None:
    """Readers of the translated feeds wait one round of provider calls, not two: the translate step sends the
    summary's sentences along and records the summaries, and the summarize step has nothing left to do."""
    from syndicate import translation
    from syndicate.store import summaries as summary_store

    release_id = submit()
    calls = []
    made_after: dict[str, set[str]] = {}
    for step in pipeline.STEPS:
        before = configured.state.total
        pipeline.run_step(step, release_id, 1)
        calls.append((step, configured.state.total - before))
        with session() as s:
            made_after[step] = {row.language for row in summary_store.for_release(s, release_id)}
    made = dict(calls)
    assert made["summarize"] == 0, calls
    # One request per language carries the release's segments and the summary's other sentences.
    assert made["translate"] == 2, calls
    assert made_after["gate"] == set() and made_after["translate"] == {"ko", "en", "ja"}
    with session() as s:
        summaries = {row.language: row for row in summary_store.for_release(s, release_id)}
    assert summaries["ko"].method == "extractive" and summaries["en"].method == "translated"
    # The same sentences as translating the Korean summary on its own gives (from the memory: no more calls).
    before = configured.state.total
    again = translation.translate_texts(summaries["ko"].sentences, "ko", ["en", "ja"])
    assert configured.state.total == before
    assert again == {"en": summaries["en"].sentences, "ja": summaries["ja"].sentences}


def test_a_translate_step_that_made_every_summary_goes_on_to_publish(configured: LoopbackServer) -> None:
    """With the summary made in the translate step's requests, the summarize step has only its bookkeeping
    left: done in the translate step's transaction, so readers wait for one queue hop fewer."""
    release_id = submit()
    for step in pipeline.STEPS[: pipeline.STEPS.index("translate")]:
        pipeline.run_step(step, release_id, 1)
    assert pipeline.run_step("translate", release_id, 1) == [pipeline.Next("publish", release_id, 1)]
    with session() as s:
        row = store.get(s, release_id)
        assert row.status == "summarized"
        assert store.version(s, release_id, 1).stage == "summarize"
        assert {r.language for r in summary_store.for_release(s, release_id)} == {"ko", "en", "ja"}
    assert stages(release_id)[-2:] == ["translated", "summarized"]
    # A summarize task still queued (sent before an upgrade, or redelivered) changes nothing and goes on.
    before = configured.state.total
    assert pipeline.run_step("summarize", release_id, 1) == [pipeline.Next("publish", release_id, 1)]
    assert configured.state.total == before and stages(release_id)[-1] == "summarized"


def test_a_language_that_failed_leaves_the_summary_to_its_own_step(configured: LoopbackServer) -> None:
    """When a provider fails for one language during translation, the translate step records no summary, and the
    summarize step makes it the usual way (its translation into the failed language is left out)."""
    from syndicate.store import summaries as summary_store

    configured.state.broken_targets = {"ja"}
    release_id = submit()
    for step in pipeline.STEPS[: pipeline.STEPS.index("translate")]:
        pipeline.run_step(step, release_id, 1)
    assert pipeline.run_step("translate", release_id, 1) == [pipeline.Next("summarize", release_id, 1)]
    with session() as s:
        assert summary_store.for_release(s, release_id) == []
    pipeline.run_step("summarize", release_id, 1)
    with session() as s:
        assert {row.language for row in summary_store.for_release(s, release_id)} == {"ko", "en"}


def test_a_licence_without_derivatives_has_no_summary_in_any_language(configured: LoopbackServer) -> None:
    from syndicate.store import summaries as summary_store

    release_id = submit(licence="KOGL-4")
    run(release_id)
    with session() as s:
        assert summary_store.for_release(s, release_id) == []
    assert "licence_refused" in stages(release_id)


def test_extra_texts_share_the_releases_requests(configured: LoopbackServer) -> None:
    """The hook for the summary: texts handed to prepare go in each language's one request, and into the memory
    with the step's transaction (write_memory), not one of their own."""
    release_id = submit()
    for step in pipeline.STEPS[: pipeline.STEPS.index("translate")]:
        pipeline.run_step(step, release_id, 1)
    work = translation.prepare(release_id, 1, extra=lambda release, verdict: ["요약 문장입니다."])
    assert work is not None and all(o.translation is not None for o in work.outcomes)
    assert configured.state.total == 2 and configured.state.batches == [4, 4]  # title, 2 paragraphs, the extra
    assert {o.language: o.extra for o in work.outcomes} == {
        "en": ["en:문장입니다. en:요약"],
        "ja": ["ja:문장입니다. ja:요약"],
    }
    memory = translation_store.StoredMemory()
    assert memory.get_many(["요약 문장입니다."], "ko", "ja", "libre") == {}
    with session() as s:
        translation.write_memory(s, work)
    assert memory.get_many(["요약 문장입니다."], "ko", "ja", "libre") == {"요약 문장입니다.": "ja:문장입니다. ja:요약"}
    with session() as s:
        translation.write_memory(s, work)  # written again (a retried step): the entries are kept as they are
    assert memory.get_many(["요약 문장입니다."], "ko", "ja", "libre") == {"요약 문장입니다.": "ja:문장입니다. ja:요약"}
