"""store.save_step writes what a step changed on its release and version as plain UPDATEs, as the ORM's flush
would have: the same columns, the same values, updated_at moved, nothing written when nothing changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, class_mapper, object_session

from syndicate import pipeline
from syndicate.errors import NotFound
from syndicate.model import RawRelease
from syndicate.store import releases as store
from syndicate.store.db import get_engine, session


def _submit() -> str:
    raw = RawRelease(title="인천시 보도자료", body="첫 문단.\n\n둘째 문단.", language="ko")
    release_id, _, _ = pipeline.submit(agency_id="incheon", raw=raw)
    return release_id


def _state(release_id: str) -> tuple[Any, ...]:
    with session() as s:
        row = store.get(s, release_id)
        ver = store.version(s, release_id, 1)
        return row.status, row.gate, row.error, row.updated_at, ver.stage, ver.content, ver.raw


def _updates(s: Session) -> list[str]:
    """The UPDATE statements the database is sent from now on in ``s``'s transaction. On SQLite, as the driver runs
    them (its trace callback, values written in): save_step hands them to the driver's cursor itself."""
    seen: list[str] = []

    def statement(sql: str) -> None:
        if sql.lstrip().upper().startswith("UPDATE"):
            seen.append(" ".join(sql.split()))

    conn = s.connection()
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.set_trace_callback(statement)  # type: ignore[union-attr]
    else:
        event.listen(get_engine(), "before_cursor_execute", lambda _c, _k, sql, *_: statement(sql))
    return seen


def test_the_changed_columns_are_written_and_the_objects_leave_the_session(database: str) -> None:
    release_id = _submit()
    before = _state(release_id)
    with session() as s:
        row, ver = store.for_step(s, release_id, 1)
        row.status, row.gate, ver.stage, ver.content = "credited", {"translate": {"ok": True}}, "credit", {"a": [1]}
        seen = _updates(s)
        store.save_step(s, row, ver)
        assert row not in s and ver not in s and not s.dirty
    status, gate, error, updated_at, stage, content, raw = _state(release_id)
    assert (status, gate, error, stage, content) == (
        "credited",
        {"translate": {"ok": True}},
        None,
        "credit",
        {"a": [1]},
    )
    assert raw == before[6]  # deferred and untouched: not written
    assert updated_at > before[3]
    # Only the changed columns (and the release's updated_at, as the ORM's onupdate would), one UPDATE each.
    assert len(seen) == 2
    assert "SET status=" in seen[0] and "gate=" in seen[0] and "updated_at=" in seen[0] and "error" not in seen[0]
    assert "SET content=" in seen[1] and "stage=" in seen[1] and "raw" not in seen[1]


def test_nothing_changed_writes_nothing(database: str) -> None:
    release_id = _submit()
    with session() as s:
        row, ver = store.for_step(s, release_id, 1)
        seen = _updates(s)
        store.save_step(s, row, ver)
    assert seen == []


def test_a_value_set_back_to_none_is_written(database: str) -> None:
    release_id = _submit()
    with session() as s:
        row, _ver = store.for_step(s, release_id, 1)
        row.error = "normalize: no title"
        row.embargo_until = row.created_at + timedelta(days=1)
    with session() as s:
        row, ver = store.for_step(s, release_id, 1)
        row.error, row.embargo_until = None, None
        store.save_step(s, row, ver)
    with session() as s:
        row = store.get(s, release_id)
        assert row.error is None and row.embargo_until is None


def test_a_whole_pass_matches_the_orm_flush(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline through save_step leaves the rows as the unit of work leaves them (save_step bypassed)."""
    ours = _submit()
    theirs = _submit()
    for step in pipeline.STEPS:
        pipeline.run_step(step, ours, 1)
    with monkeypatch.context() as patch:
        patch.setattr(store, "save_step", lambda *_: None)  # the commit's flush writes instead
        for step in pipeline.STEPS:
            pipeline.run_step(step, theirs, 1)
    with session() as s:
        a, b = store.get(s, ours), store.get(s, theirs)
        va, vb = store.version(s, ours, 1), store.version(s, theirs, 1)
        fields = ("status", "version", "published_version", "gate", "licence", "error", "retracted_at")
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert a.published_at is not None and b.published_at is not None
        assert va.stage == vb.stage == "publish"
        assert {k: v for k, v in (va.content or {}).items() if k != "title"} == {
            k: v for k, v in (vb.content or {}).items() if k != "title"
        }
        stages = [e.stage for e in store.events(s, ours)]
        assert stages == [e.stage for e in store.events(s, theirs)]
        assert stages[-1] == "published"


def _columns(obj: Any, raw: bool) -> dict[str, Any]:
    keys = [attr.key for attr in class_mapper(type(obj)).column_attrs if raw or attr.key != "raw"]
    return {key: getattr(obj, key) for key in keys}


@pytest.mark.parametrize("raw", [False, True])
def test_for_step_builds_what_the_orm_loads(database: str, raw: bool) -> None:
    """In a fresh session for_step builds the two objects from one Core row; they are what the ORM's query
    loads (a session already holding the release takes that query), persistent in the session, and the
    submission as received, when not asked for, loads on first read."""
    release_id = _submit()
    pipeline.run_step("normalize", release_id, 1)
    with session() as s:
        row, ver = store.for_step(s, release_id, 1, raw=raw)
        assert row in s and ver in s and not s.dirty and object_session(row) is s
        assert inspect(row).persistent and inspect(ver).persistent
        assert ("raw" in ver.__dict__) is raw
        built = _columns(row, raw=True), _columns(ver, raw=True)  # reads raw when it was left out
    with session() as s:
        store.get(s, release_id)  # now held: for_step takes the ORM's query
        row, ver = store.for_step(s, release_id, 1, raw=raw)
        loaded = _columns(row, raw=True), _columns(ver, raw=True)
    # Every column alike but the release's updated_at, which each for_step's lock moves.
    assert built[0].pop("updated_at") < loaded[0].pop("updated_at")
    assert built == loaded
    assert built[1]["raw"]["release"]["title"] == "인천시 보도자료"


def test_for_step_tells_a_missing_release_from_a_missing_version(database: str) -> None:
    release_id = _submit()
    with session() as s, pytest.raises(NotFound, match="no version 2"):
        store.for_step(s, release_id, 2)
    with session() as s, pytest.raises(NotFound, match="no release"):
        store.for_step(s, "0" * 32, 1)
