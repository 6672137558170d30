"""The Korean model (Kiwi, ~330 MB) is loaded once per worker, in the parent before it forks its pool, so the
pool processes share its pages; a worker for polls and pushes only never loads it."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
from sqlalchemy import select

from syndicate import pipeline
from syndicate.model import RawRelease
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow
from tests.conftest import Proc, wait_for

MB = 2**20


def _publish_korean(n: int) -> None:
    from workers.tasks.pipeline import enqueue

    ids = []
    for i in range(n):
        body = "인천광역시는 25일 청년 일자리 확대를 위한 종합 계획을 발표했다. 시는 예산을 늘린다.\n\n" * 6
        release_id, _, steps = pipeline.submit(agency_id="incheon", raw=RawRelease(title=f"메모리 {i}", body=body))
        enqueue(steps)
        ids.append(release_id)

    def published() -> bool:
        with session() as s:
            return all(s.scalar(select(ReleaseRow.status).where(ReleaseRow.id == i)) == "published" for i in ids)

    wait_for(published, 120, interval=0.5, what="releases published")


def test_pool_processes_share_the_model_loaded_before_the_fork(worker: Proc) -> None:
    _publish_korean(4)  # summaries ran in the pool processes
    parent = psutil.Process(worker.popen.pid)
    children = parent.children()
    assert len(children) == 2
    assert parent.memory_info().rss > 250 * MB, "the model is loaded in the parent"
    for child in children:
        info = child.memory_full_info()
        assert info.rss > 250 * MB, "the child maps the parent's model"
        # Loaded in the child instead, its private pages (USS) would hold the whole model, ~330 MB.
        assert info.uss < 150 * MB, f"child {child.pid} holds {info.uss // MB} MB of its own"


def test_a_worker_for_polls_and_pushes_does_not_load_the_model(database: str, broker: str, tmp_path: Path) -> None:
    proc = Proc(["worker", "--concurrency", "2", "--queues", "poll,deliver"], tmp_path / "io.log")
    try:
        wait_for(lambda: "ready." in proc.output() or proc.popen.poll() is not None, 60, what="worker ready")
        assert proc.popen.poll() is None, proc.output()
        family = [psutil.Process(proc.popen.pid), *psutil.Process(proc.popen.pid).children()]
        # The background warm-up would have had seconds to load it by now if it were going to.
        wait_for(lambda: len(psutil.Process(proc.popen.pid).children()) == 2, 30, what="pool started")
        time.sleep(5)
        for p in family:
            assert p.memory_info().rss < 200 * MB, f"{p.pid}: {p.memory_info().rss // MB} MB"
    finally:
        proc.stop()
