"""The summarize step: stores the summary, respects the licence, feeds and the API show it."""

from __future__ import annotations

import feedparser
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from syndicate import pipeline
from syndicate.model import RawRelease
from syndicate.store import summaries as summary_store
from syndicate.store.db import get_engine, session
from syndicate.store.releases import events
from syndicate.store.tables import Base

BODY = (
    "인천광역시는 25일 청년 일자리 1만 개를 만드는 계획을 발표했다.\n\n"
    "시는 올해 청년 고용 지원 예산을 1.5배로 늘린다.\n\n"
    "유정복 시장은 “청년이 머무는 도시를 만들겠다”고 말했다.\n\n"
    "문의: 일자리정책과 ☎ 032-440-1234"
)


def run_to(step: str, *, licence: str | None) -> str:
    raw = RawRelease(title="인천시, 청년 일자리 1만 개", subtitle="청년 고용 지원 확대", body=BODY, body_is_html=False)
    release_id, _, steps = pipeline.submit(agency_id="incheon", raw=raw, licence_id=licence)
    while steps:
        nxt = steps.pop(0)
        if nxt.step == "render":
            pipeline.render()
            continue
        steps.extend(pipeline.run_step(nxt.step, nxt.release_id, nxt.version))
        if nxt.step == step:
            break
    return release_id


def stages(release_id: str) -> list[str]:
    with session() as s:
        return [e.stage for e in events(s, release_id)]


def test_summarize_comes_after_the_gate_and_before_publish() -> None:
    assert pipeline.STEPS.index("gate") < pipeline.STEPS.index("summarize") == pipeline.STEPS.index("publish") - 1


def test_summary_is_stored_in_the_release_language(database: str) -> None:
    release_id = run_to("summarize", licence="KOGL-1")
    with session() as s:
        [row] = summary_store.for_release(s, release_id)
        summary = summary_store.to_model(row)
    assert (row.language, row.version, summary.method) == ("ko", 1, "extractive")
    assert summary.sentences == [
        "인천광역시는 25일 청년 일자리 1만 개를 만드는 계획을 발표했다.",
        "시는 올해 청년 고용 지원 예산을 1.5배로 늘린다.",
    ]
    assert stages(release_id)[-1] == "summarized"
    # Redelivered: nothing changes, the chain continues to publish.
    again = pipeline.run_step("summarize", release_id, 1)
    assert [n.step for n in again] == ["publish"]
    with session() as s:
        assert len(summary_store.for_release(s, release_id)) == 1


def test_licence_without_derivatives_skips_the_summary(database: str) -> None:
    release_id = run_to("summarize", licence="KOGL-4")
    with session() as s:
        assert summary_store.for_release(s, release_id) == []
        refused = [e.detail for e in events(s, release_id) if e.stage == "licence_refused"]
    assert {"action": "summarize", "reason": "KOGL-4 forbids derivatives; a summary is one"} in refused


def test_correction_to_a_no_derivatives_licence_removes_the_old_summary(database: str) -> None:
    release_id = run_to("publish", licence="KOGL-1")
    raw = RawRelease(title="정정", body=BODY, body_is_html=False)
    number, _ = pipeline.correct(release_id, agency_id="incheon", raw=raw, licence_id="KOGL-3")
    for step in ("normalize", "credit", "gate", "summarize"):
        pipeline.run_step(step, release_id, number)
    with session() as s:
        assert summary_store.for_release(s, release_id) == []


def test_feed_description_and_api_show_the_summary(database: str, client: object) -> None:
    release_id = run_to("publish", licence="KOGL-1")
    pipeline.render()
    feed = feedparser.parse(client.get("/feeds/ko/rss.xml").content)  # type: ignore[attr-defined]
    [entry] = feed.entries
    assert entry.summary.startswith("인천광역시는 25일 청년 일자리 1만 개를 만드는 계획을 발표했다.")
    answer = client.get(f"/api/v1/releases/{release_id}").json()  # type: ignore[attr-defined]
    assert answer["summaries"] == [
        {
            "language": "ko",
            "method": "extractive",
            "version": 1,
            "sentences": [
                "인천광역시는 25일 청년 일자리 1만 개를 만드는 계획을 발표했다.",
                "시는 올해 청년 고용 지원 예산을 1.5배로 늘린다.",
            ],
        }
    ]


def test_feed_falls_back_to_the_subtitle_without_a_summary(database: str, client: object) -> None:
    run_to("publish", licence="KOGL-4")
    pipeline.render()
    feed = feedparser.parse(client.get("/feeds/ko/rss.xml").content)  # type: ignore[attr-defined]
    assert feed.entries[0].summary == "청년 고용 지원 확대"


@pytest.mark.usefixtures("database")
def test_summaries_table_matches_the_migrations() -> None:
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "summaries" in repr(d)] == []
    assert "summaries" in sa.inspect(get_engine()).get_table_names()


def test_replace_leaves_exactly_the_given_summaries(database: str) -> None:
    from syndicate.model import Summary

    release_id = run_to("summarize", licence="KOGL-1")
    with session() as s:
        summary_store.save(s, release_id, 1, Summary(language="en", sentences=["en:a"], method="translated"))
    with session() as s:
        summary_store.replace(
            s,
            release_id,
            2,
            [
                Summary(language="ko", sentences=["가.", "나."], method="extractive"),
                Summary(language="ja", sentences=["ja:가."], method="translated"),
            ],
        )
    with session() as s:
        rows = {
            row.language: (row.version, row.sentences, row.method) for row in summary_store.for_release(s, release_id)
        }
    assert rows == {"ja": (2, ["ja:가."], "translated"), "ko": (2, ["가.", "나."], "extractive")}
    with session() as s:
        summary_store.replace(s, release_id, 3, [])
    with session() as s:
        assert summary_store.for_release(s, release_id) == []
