"""A release's timeline: events are written at once (Core), in the caller's transaction and in call order."""

from __future__ import annotations

import pytest

from syndicate.model import ReleaseStatus
from syndicate.store import releases as store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow


def test_an_event_for_a_release_still_pending_in_the_session_is_written_after_it(database: str) -> None:
    # The release is only added, not flushed: the event's foreign key needs it in the database first.
    with session() as s:
        s.add(ReleaseRow(id="r1", identity="release:r1", status=ReleaseStatus.received, language="ko", version=1))
        store.event(s, "r1", 1, "received")
        store.event(s, "r1", 1, "normalized", {"n": 1})
    with session() as s:
        timeline = [(e.stage, e.version, e.detail) for e in store.events(s, "r1")]
    assert timeline == [("received", 1, None), ("normalized", 1, {"n": 1})]


def test_events_roll_back_with_the_transaction(database: str) -> None:
    with session() as s:
        s.add(ReleaseRow(id="r2", identity="release:r2", status=ReleaseStatus.received, language="ko", version=1))
    with pytest.raises(RuntimeError), session() as s:
        store.event(s, "r2", 1, "credited")
        raise RuntimeError("the step failed")
    with session() as s:
        assert store.events(s, "r2") == []
        # Written at once, so a read in the same transaction sees it, timestamped in UTC.
        store.event(s, "r2", 1, "credited")
        (only,) = store.events(s, "r2")
        assert only.stage == "credited" and only.at.tzinfo is not None
