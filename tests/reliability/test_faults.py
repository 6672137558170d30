"""Faults lose nothing: a worker killed with SIGKILL mid-batch, and the broker restarted mid-batch.

Real processes throughout: Celery worker and beat processes, a real Redis, the test database. Each test prints
its figures as ``FIGURE name=value`` lines: the releases lost and the recovery time (from the fault to the last
release published).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syndicate import partners, pipeline, syndication
from syndicate.config import get_settings
from syndicate.embedded import EmbeddedRedis
from syndicate.model import RawRelease
from syndicate.store.db import session
from syndicate.store.tables import ReleaseEventRow, ReleaseRow
from tests.conftest import TEST_DB, Proc, figure, kill_hard, wait_for
from tests.publish.partner_server import Partner, Server

pytestmark = pytest.mark.slow


@pytest.fixture
def fast_recovery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_STALL_SECONDS", "3")
    monkeypatch.setenv("SYNDICATE_FEED_ITEMS", "500")
    monkeypatch.setenv("SYNDICATE_SUBMIT_PER_MINUTE", "0")
    get_settings.cache_clear()


def _start_worker(tmp_path: Path, name: str) -> Proc:
    proc = Proc(["worker", "--concurrency", "2"], tmp_path / f"{name}.log")
    wait_for(lambda: "ready." in proc.output() or proc.popen.poll() is not None, 60, what=f"{name} ready")
    assert proc.popen.poll() is None, proc.output()
    return proc


def _submit_batch(n: int, tag: str) -> list[str]:
    from workers.tasks.pipeline import enqueue

    ids = []
    for i in range(n):
        raw = RawRelease(title=f"{tag} 보도자료 {i}", body=f"본문 {i}.\n\n둘째 문단 {i}.")
        release_id, _, steps = pipeline.submit(agency_id="incheon", raw=raw)
        enqueue(steps)
        ids.append(release_id)
    return ids


def _published_count(ids: list[str]) -> int:
    with session() as s:
        return int(s.scalar(select(func.count()).where(ReleaseRow.id.in_(ids), ReleaseRow.status == "published")))


def _wait_all(ids: list[str], *procs: Proc) -> None:
    try:
        wait_for(lambda: _published_count(ids) == len(ids), 180, interval=0.5, what=f"all {len(ids)} published")
    except AssertionError as exc:
        logs = "\n".join(f"--- {p.log.name}\n{p.output()[-4000:]}" for p in procs)
        raise AssertionError(f"{exc}; {_published_count(ids)} published\n{logs}") from None


def _assert_published_exactly_once(ids: list[str], tag: str) -> None:
    with session() as s:
        counts = dict(
            s.execute(
                select(ReleaseEventRow.release_id, func.count())
                .where(ReleaseEventRow.release_id.in_(ids), ReleaseEventRow.stage == "published")
                .group_by(ReleaseEventRow.release_id)
            ).all()
        )
    assert len(counts) == len(ids), f"{len(ids) - len(counts)} releases never published"
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v != 1}
    syndication.render_stale()
    body = syndication.get_document("ko", "rss.xml").body.decode()
    missing = [i for i in range(len(ids)) if f"{tag} 보도자료 {i}<" not in body]
    assert not missing, missing


def test_worker_killed_mid_batch_loses_nothing(
    database: str, broker: str, fast_recovery: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A message taken by the killed worker is sent again when its lease (4 × this + 30 s) runs out.
    monkeypatch.setenv("SYNDICATE_DELIVERY_TIMEOUT", "2")
    get_settings.cache_clear()
    server = Server()
    _, secret = partners.add_partner(name="Kill", url=f"{server.base}/kill")
    receiver = server.partners["kill"] = Partner(secret=secret)
    beat = Proc(["beat"], tmp_path / "beat.log")
    worker = _start_worker(tmp_path, "worker1")
    try:
        ids = _submit_batch(200, "킬")
        wait_for(lambda: _published_count(ids) >= 40, 120, what="some releases published")
        kill_hard(worker)
        killed_at = time.monotonic()
        assert _published_count(ids) < 200, "the batch finished before the kill; the test proves nothing"
        worker = _start_worker(tmp_path, "worker2")
        _wait_all(ids, worker, beat)
        recovery = time.monotonic() - killed_at
        _assert_published_exactly_once(ids, "킬")
        figure("sigkill.releases", len(ids))
        figure("sigkill.lost", len(ids) - _published_count(ids))
        figure("sigkill.recovery_s", f"{recovery:.1f}")
        # The partner has every release's version; a copy arrives only under the same webhook-id.
        wait_for(lambda: len({r.webhook_id for r in receiver.accepted}) >= len(ids), 120, what="every delivery")
        ids_by_release: dict[str, set[str]] = {}
        for received in receiver.accepted:
            ids_by_release.setdefault(received.data["uri"], set()).add(received.webhook_id)
        assert len(ids_by_release) == len(ids), receiver.problems
        new_ids = sum(len(webhook_ids) - 1 for webhook_ids in ids_by_release.values())
        figure("sigkill.partner_deliveries", len(ids_by_release))
        figure("sigkill.duplicates_with_new_webhook_id", new_ids)
        assert new_ids == 0
        assert not receiver.problems
    finally:
        worker.stop()
        beat.stop()
        server.close()


def test_broker_restart_mid_batch_loses_nothing(
    database: str, own_redis: EmbeddedRedis, fast_recovery: None, tmp_path: Path
) -> None:
    beat = Proc(["beat"], tmp_path / "beat.log")
    worker = _start_worker(tmp_path, "worker")
    try:
        ids = _submit_batch(100, "레디스")
        wait_for(lambda: _published_count(ids) >= 20, 120, what="some releases published")
        own_redis.stop()
        stopped_at = time.monotonic()
        time.sleep(2)
        own_redis.start()
        _wait_all(ids, worker, beat)
        recovery = time.monotonic() - stopped_at
        _assert_published_exactly_once(ids, "레디스")
        figure("broker_restart.releases", len(ids))
        figure("broker_restart.lost", len(ids) - _published_count(ids))
        figure("broker_restart.recovery_s", f"{recovery:.1f}")
        assert worker.popen.poll() is None, "the worker must survive a broker restart"
    finally:
        worker.stop()
        beat.stop()


def _restart_postgres() -> None:
    import subprocess
    from pathlib import Path as _Path

    version = sorted(p.name for p in _Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.skipif(not TEST_DB.startswith("postgresql"), reason="restarts a PostgreSQL server; SQLite has none")
def test_database_restart_mid_batch_loses_nothing(
    database: str, broker: str, fast_recovery: None, tmp_path: Path
) -> None:
    beat = Proc(["beat"], tmp_path / "beat.log")
    worker = _start_worker(tmp_path, "worker")
    try:
        ids = _submit_batch(100, "디비")
        wait_for(lambda: _published_count(ids) >= 20, 120, what="some releases published")
        restarted_at = time.monotonic()
        _restart_postgres()
        _wait_all(ids, worker, beat)
        recovery = time.monotonic() - restarted_at
        _assert_published_exactly_once(ids, "디비")
        figure("database_restart.releases", len(ids))
        figure("database_restart.lost", len(ids) - _published_count(ids))
        figure("database_restart.recovery_s", f"{recovery:.1f}")
        assert worker.popen.poll() is None, "the worker must survive a database restart"
    finally:
        worker.stop()
        beat.stop()
