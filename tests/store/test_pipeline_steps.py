"""Pipeline steps are idempotent and follow the version a correction creates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from syndicate import pipeline, syndication
from syndicate.config import get_settings
from syndicate.errors import NotFound
from syndicate.model import RawRelease
from syndicate.store import feeds as feed_store
from syndicate.store import releases as store
from syndicate.store.db import session
from syndicate.store.tables import utcnow


def _submit(**kw: Any) -> str:
    raw = RawRelease(title="인천시 보도자료", body="첫 문단.\n\n둘째 문단.", language="ko")
    release_id, _, steps = pipeline.submit(agency_id="incheon", raw=raw, **kw)
    assert [n.step for n in steps] == [pipeline.STEPS[0]]
    return release_id


def _run_all(release_id: str, version: int) -> None:
    for step in pipeline.STEPS:
        pipeline.run_step(step, release_id, version)


def _snapshot(release_id: str) -> tuple[Any, ...]:
    with session() as s:
        row = store.get(s, release_id)
        return (
            row.status,
            row.published_version,
            row.published_at,
            len(store.events(s, release_id)),
            [v.content for v in store.versions(s, release_id)],
        )


def test_running_every_step_twice_changes_nothing(database: str) -> None:
    release_id = _submit()
    _run_all(release_id, 1)
    before = _snapshot(release_id)
    assert before[0] == "published"
    for step in pipeline.STEPS:
        again = pipeline.run_step(step, release_id, 1)
        assert all(n.release_id == release_id for n in again)
    assert _snapshot(release_id) == before


def test_a_superseded_version_does_nothing(database: str) -> None:
    release_id = _submit()
    _run_all(release_id, 1)
    number, _steps = pipeline.correct(
        release_id, agency_id="incheon", raw=RawRelease(title="정정된 제목", body="새 본문.", language="ko")
    )
    assert number == 2
    # A late task for version 1 must not undo anything of version 2.
    assert pipeline.run_step("normalize", release_id, 1) == []
    _run_all(release_id, 2)
    doc = syndication.get_document("ko", "rss.xml")
    assert "정정된 제목".encode() in doc.body and "인천시 보도자료".encode() not in doc.body


def test_embargo_holds_until_its_minute(database: str) -> None:
    release_id = _submit(embargo_until=utcnow() + timedelta(minutes=5))
    _run_all(release_id, 1)
    assert _snapshot(release_id)[0] == "embargoed"
    assert "인천시 보도자료".encode() not in syndication.get_document("ko", "rss.xml").body
    assert pipeline.release_embargoes(utcnow()) == []
    follow = pipeline.release_embargoes(utcnow() + timedelta(minutes=6))
    assert [n.step for n in follow] == ["render"]
    assert _snapshot(release_id)[0] == "published"
    assert "인천시 보도자료".encode() in syndication.get_document("ko", "rss.xml").body


def test_feed_documents_render_once_per_change(database: str) -> None:
    first = syndication.get_document("ko", "rss.xml")
    assert syndication.get_document("ko", "rss.xml").etag == first.etag
    release_id = _submit()
    _run_all(release_id, 1)
    assert syndication.render_stale() >= 1
    assert syndication.render_stale() == 0  # nothing changed since
    assert syndication.get_document("ko", "rss.xml").etag != first.etag


def test_stalled_releases_resume_at_their_next_step(database: str) -> None:
    release_id = _submit()
    pipeline.run_step(pipeline.STEPS[0], release_id, 1)
    assert pipeline.resume_stalled(utcnow()) == []  # not idle long enough yet
    later = utcnow() + timedelta(minutes=5)
    assert pipeline.resume_stalled(later) == [pipeline.Next(pipeline.STEPS[1], release_id, 1)]
    _run_all(release_id, 1)
    assert pipeline.resume_stalled(later) == []  # published: nothing to resume
    held = _submit(embargo_until=utcnow() + timedelta(days=1))
    _run_all(held, 1)
    assert pipeline.resume_stalled(later) == []  # embargoed on purpose


def test_the_same_step_run_twice_at_once_happens_once(database: str) -> None:
    """Two workers handed the same step at the same moment (a redelivery, a resumed stall): one does it."""
    import threading

    for _ in range(5):
        release_id = _submit()
        for step in pipeline.STEPS[:-1]:
            pipeline.run_step(step, release_id, 1)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def publish(release_id: str = release_id, barrier: threading.Barrier = barrier, errors: list = errors) -> None:
            barrier.wait()
            try:
                pipeline.run_step("publish", release_id, 1)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=publish) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors, errors
        with session() as s:
            published = [e for e in store.events(s, release_id) if e.stage == "published"]
        assert len(published) == 1, [(e.stage, e.at) for e in published]


def test_with_no_target_language_the_gate_still_refuses_translation(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No language configured: the translate step does no provider work, but a licence that forbids derivatives
    is still on the timeline, and a release it allows goes through with no refusal and no pending translation."""
    monkeypatch.setenv("SYNDICATE_LANGUAGES", "")
    get_settings.cache_clear()
    raw = RawRelease(title="인천시 보도자료", body="첫 문단.\n\n둘째 문단.", language="ko")
    forbidden, _, _ = pipeline.submit(agency_id="incheon", raw=raw, licence_id="KOGL-4")
    free, _, _ = pipeline.submit(agency_id="incheon", raw=raw, licence_id="KOGL-1")
    _run_all(forbidden, 1)
    _run_all(free, 1)
    with session() as s:
        refused = [e.detail for e in store.events(s, forbidden) if e.stage == "licence_refused"]
        assert {"action": "translate", "reason": "KOGL-4 forbids derivatives; a translation is a derivative"} in refused
        assert store.get(s, forbidden).status == "published"
        stages = [e.stage for e in store.events(s, free)]
        assert "licence_refused" not in stages and "translation_pending" not in stages
        assert store.get(s, free).status == "published"


def test_a_step_of_a_version_that_does_not_exist_is_not_found(database: str) -> None:
    release_id = _submit()
    with pytest.raises(NotFound, match="no version 7"):
        pipeline.run_step("normalize", release_id, 7)
    with pytest.raises(NotFound, match="no release"):
        pipeline.run_step("normalize", "0" * 32, 1)


def test_touching_feed_scopes_creates_or_bumps_each_once(database: str) -> None:
    with session() as s:
        feed_store.touch(s, ["ko/all", "ko/agencies/incheon"])
    with session() as s:
        feed_store.touch(s, ["ko/all", "ko/all", "en/all"])  # a scope named twice is one change
    with session() as s:
        versions = {key: feed_store.scope_version(s, key) for key in ("ko/all", "ko/agencies/incheon", "en/all")}
    assert {key: v[0] for key, v in versions.items() if v} == {"ko/all": 2, "ko/agencies/incheon": 1, "en/all": 1}
