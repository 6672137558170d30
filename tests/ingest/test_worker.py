"""Polling through a real Celery worker on a real broker: the poll task, the beat's due sweep, the lock."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from syndicate import catalog
from syndicate.model import Source
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow
from tests.conftest import wait_for
from tests.ingest.server import Answer, rss, serve

pytestmark = pytest.mark.e2e


def _published() -> list[str]:
    with session() as s:
        return [r.identity for r in s.scalars(select(ReleaseRow).where(ReleaseRow.status == "published"))]


def test_poll_task_carries_new_items_to_published(worker: object) -> None:
    from workers.tasks.poll import poll_source

    with serve() as site:
        site.route("/feed.xml", Answer(200, rss([("w1", "인천시, 청년 일자리 1만 개", "시는 올해 일자리를 만든다.")])))
        catalog.add_runtime([Source(id="worker-feed", agency="incheon", url=f"{site.base}/feed.xml")])
        poll_source.delay("worker-feed")
        wait_for(lambda: _published() == ["guid:worker-feed:w1"], 30, what="release published")


def test_due_sweep_enqueues_polls(bare_registry: object, worker: object) -> None:
    from workers.tasks.poll import poll_due

    with serve() as site:
        site.route("/feed.xml", Answer(200, rss([("d1", "부산시 소식", "부산시는 해양 축제를 연다.")])))
        catalog.add_runtime([Source(id="swept", agency="busan", url=f"{site.base}/feed.xml")])
        poll_due.delay()
        wait_for(lambda: "guid:swept:d1" in _published(), 30, what="swept source published")
        assert len(site.hits("/feed.xml")) == 1


def test_one_source_is_never_polled_twice_at_once(broker: str, database: str) -> None:
    from workers.tasks.poll import poll_source, source_lock

    with source_lock("locked-source") as got:
        assert got
        with source_lock("locked-source") as again:
            assert not again
        assert poll_source.run("locked-source") == "locked"
    with source_lock("locked-source") as after:
        assert after
