"""The Core rows a render pass reads (store.releases.shown, summaries.for_releases_in) are the ORM rows' values:
the same releases in the same order per scope, the same fields, the same summaries."""

from __future__ import annotations

from typing import Any

from syndicate import pipeline
from syndicate.model import RawRelease, Summary
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store.db import session


def _publish(agency: str, category: str | None, title: str) -> str:
    raw = RawRelease(title=title, body="첫 문단입니다.\n\n둘째 문단입니다.", language="ko")
    release_id, _, _ = pipeline.submit(agency_id=agency, raw=raw, category=category)
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, 1)
    return release_id


def _orm(**scope: Any) -> list[tuple[Any, ...]]:
    with session() as s:
        return [
            (r.id, r.language, r.agency_id, r.category, r.published_at, r.created_at, r.updated_at, v.version)
            for r, v in store.published(s, **scope)
        ]


def _core(**scope: Any) -> list[tuple[Any, ...]]:
    with session() as s:
        rows = store.shown(s, **scope)
    assert all(row.release_id == row.id and row.content is None for row in rows)
    return [
        (r.id, r.language, r.agency_id, r.category, r.published_at, r.created_at, r.updated_at, r.version) for r in rows
    ]


def test_shown_rows_are_the_published_rows(database: str) -> None:
    ids = [
        _publish("incheon", "economy", "인천 경제"),
        _publish("incheon", None, "인천 일반"),
        _publish("busan", "economy", "부산 경제"),
        _publish("busan", "culture", "부산 문화"),
    ]
    corrected = ids[0]
    _, steps = pipeline.correct(
        corrected, agency_id="incheon", raw=RawRelease(title="인천 경제 (정정)", body="고친 본문.")
    )
    pipeline.run_inline(steps)
    pipeline.retract(ids[3], agency_id="busan")
    scopes: list[dict[str, Any]] = [
        {},
        {"agency_id": "incheon"},
        {"agency_id": "busan"},
        {"category": "economy"},
        {"category": "culture"},
        {"limit": 2},
    ]
    for scope in scopes:
        assert _core(**scope) == _orm(**scope), scope
    everything = _core()
    assert {row[0] for row in everything} == set(ids[:3])  # the retracted one is in no feed
    assert dict((row[0], row[7]) for row in everything)[corrected] == 2  # the corrected version is shown


def test_summaries_for_a_render_pass_are_the_stored_ones(database: str) -> None:
    first, second = _publish("incheon", None, "하나"), _publish("incheon", None, "둘")
    with session() as s:
        summary_store.replace(
            s, first, 1, [Summary(language="ko", sentences=["가."]), Summary(language="en", sentences=["A."])]
        )
        summary_store.replace(s, second, 1, [Summary(language="ko", sentences=["나.", "다."])])
    with session() as s:
        found = summary_store.for_releases_in(s, [first, second], ["ko", "en", "ja"])
        stored = {
            (row.language, row.release_id): (row.version, row.sentences)
            for release_id in (first, second)
            for row in summary_store.for_release(s, release_id)
        }
    assert {(lang, rid): (row.version, row.sentences) for lang, rows in found.items() for rid, row in rows.items()} == (
        stored
    )
    assert set(found) == {"ko", "en"} and found["ko"][second].sentences == ["나.", "다."]
